"""`python -m bot demo`: the real bot against both stand-ins, no token, no SIIAU.

It starts the SIIAU simulator and the Bot API stand-in on loopback, runs the
same Application as production (polling), plays a scripted conversation as a
student, prints the transcript and writes the PDF it received to `out_dir`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import string
from datetime import date
from pathlib import Path

from bot import logs
from bot.config import Settings
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.offer_pages import demo_offer, planner_offer
from bot.sim.siiau.offer_server import OfferSimulator
from bot.store.crypto import CredentialCipher
from bot.telegram.app import build_application
from bot.telegram.texts import cupos as cupos_words
from bot.telegram.texts import planner as planner_words
from bot.telegram.texts import schedule as schedule_words
from bot.telegram.texts import weekly as weekly_words

DEMO_USER = 424242


def _fake_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "100000001:" + "".join(secrets.choice(alphabet) for _ in range(35))


def run_demo(out_dir: str = "demo-out") -> int:
    out = Path(out_dir)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    out.chmod(0o700)  # the transcript's PDF names a student: only its owner reads this folder
    logs.configure("WARNING")
    token = _fake_token()
    with SiiauSimulator() as siiau, BotApiStandIn(token) as telegram, OfferSimulator() as offer:
        offer.set_offer("202620", "D", demo_offer(date.today()) + planner_offer(date.today()))
        os.environ.update(
            {
                "TELEGRAM_BOT_TOKEN": token,
                "TELEGRAM_API_URL": telegram.base_url,
                "TELEGRAM_POLL_TIMEOUT": "1",
                "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
                "DATABASE_URL": f"sqlite+aiosqlite:///{(out / 'demo.db').resolve()}",
                "SIIAU_BASE_URL": siiau.url,
                "SIIAU_PORTAL_URL": siiau.url,
                "SIIAU_OFFER_URL": offer.url,
                "CUPOS_POLL_SECONDS": "2",
                "CUPOS_TICK_SECONDS": "0.5",
                "CUPOS_JITTER_SECONDS": "0",
                # Grade alerts every 2 s, and the window held open (the simulator's cycle ended long ago);
                # the login guard's hourly cap raised to match, for this one demo student.
                "GRADES_POLL_SECONDS": "2",
                "GRADES_TICK_SECONDS": "0.5",
                "GRADES_JITTER_SECONDS": "0",
                "GRADES_AFTER_DAYS": "100000",
                "SIIAU_MAX_LOGINS_PER_HOUR": "60",
            }
        )
        return asyncio.run(_play(telegram, out, offer, siiau))


async def _play(
    telegram: BotApiStandIn, out: Path, offer: OfferSimulator, siiau: SiiauSimulator
) -> int:
    application = build_application(Settings())
    async with application:
        # post_init/post_shutdown run by themselves only under run_polling().
        await application.post_init(application)  # type: ignore[misc]
        await application.start()
        await application.updater.start_polling(timeout=1)  # type: ignore[union-attr]
        try:
            pdf_path = await asyncio.to_thread(_conversation, telegram, out)
            await asyncio.to_thread(_seat_alert, telegram, offer)
            picture_path = await asyncio.to_thread(_planner, telegram, out)
            await asyncio.to_thread(_grades, telegram, siiau)
        finally:
            await application.updater.stop()  # type: ignore[union-attr]
            await application.stop()
            await application.post_shutdown(application)  # type: ignore[misc]
    print("\n".join(telegram.transcript))
    print(f"\n/armar, option 1: {picture_path.resolve()}")
    print(f"PDF: {pdf_path.resolve()}")
    return 0


def _conversation(telegram: BotApiStandIn, out: Path) -> Path:
    user = DEMO_USER
    step = telegram.user_says(user, "/start")
    telegram.wait_for_text(user, "Hola", after=step)
    step = telegram.user_says(user, "/registrar")
    telegram.wait_for_text(user, "código", after=step)
    step = telegram.user_says(user, DEMO_CODE)
    telegram.wait_for_text(user, "NIP", after=step)
    step = telegram.user_says(user, DEMO_NIP)
    telegram.wait_for_text(user, "Listo", after=step)
    step = telegram.user_says(user, "/horario")
    document = telegram.wait_for(user, lambda m: m.file_id is not None, timeout=60, after=step)
    # Registration read and rendered it in its own SIIAU session: the first /horario is that
    # copy at once, then SIIAU's word on it.
    telegram.wait_for(
        user,
        lambda m: m.text in (schedule_words.DONE, schedule_words.VERIFIED_UNCHANGED),
        timeout=60,
        after=step,
    )
    step = telegram.user_says(user, "/semanal")
    menu = telegram.wait_for_text(user, "qué día", after=step)
    telegram.user_presses(user, menu, weekly_words.WEEKLY_QUICK)
    mode = telegram.wait_for(
        user, lambda m: m.message_id == menu.message_id and m.text == weekly_words.WEEKLY_PICK_MODE
    )
    telegram.user_presses(user, mode, weekly_words.WEEKLY_ALWAYS)
    telegram.wait_for(user, lambda m: m.message_id == menu.message_id and m.text.startswith("✅"))
    step = telegram.user_says(user, "/estado")
    telegram.wait_for_text(user, "Tus datos", after=step)
    step = telegram.user_says(
        user, "/horario"
    )  # a returning student: the saved PDF at once, then SIIAU's word
    telegram.wait_for(
        user, lambda m: m.text == schedule_words.VERIFIED_UNCHANGED, timeout=60, after=step
    )
    path = out / (document.filename or "horario.pdf")
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(document.document or b"")
    path.chmod(0o600)
    return path


def _planner(telegram: BotApiStandIn, out: Path) -> Path:
    """/armar with 3 subjects: option 1 as a picture, ▶️ to option 2, then its Plan B."""
    user = DEMO_USER
    step = telegram.user_says(user, "/armar I5886 I7412 LE201 D desde 7 sin sabado")
    option = telegram.wait_for(user, lambda m: m.photo is not None, timeout=60, after=step)
    path = out / "armar_opcion1.png"
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # private, as the PDF
    with os.fdopen(descriptor, "wb") as file:
        file.write(option.photo or b"")
    path.chmod(0o600)
    telegram.user_presses(user, option, planner_words.NEXT)
    telegram.wait_for(
        user, lambda m: m.message_id == option.message_id and m.caption.startswith("🧩 Opción 2")
    )
    step = telegram.last_message_id(user)
    telegram.user_presses(user, option, planner_words.PLAN_B)
    telegram.wait_for_text(user, "Plan B", after=step)
    return path


def _seat_alert(telegram: BotApiStandIn, offer: OfferSimulator) -> None:
    """/cupos: watch a full section, then a seat opens in the offer and the alert arrives."""
    user = DEMO_USER
    step = telegram.user_says(user, "/cupos I5890 D")
    listing = telegram.wait_for_text(user, "libres", after=step)
    step = telegram.last_message_id(user)
    telegram.user_presses(user, listing, cupos_words.CUPOS_WATCH.format(section="D11"))
    telegram.wait_for_text(user, "te aviso", after=step)
    offer.set_free("180245", 2)
    telegram.wait_for(user, lambda m: m.text.startswith("🎉"), timeout=60, after=step)


def _grades(telegram: BotApiStandIn, siiau: SiiauSimulator) -> None:
    """/calificaciones with one grade posted, then alerts on, and SIIAU posts another one."""
    user = DEMO_USER
    siiau.grades.post(DEMO_CODE, "179961", "95")
    step = telegram.user_says(user, "/calificaciones")
    telegram.wait_for_text(user, "Promedio", timeout=60, after=step)
    step = telegram.user_says(user, "/calificaciones avisar")
    telegram.wait_for_text(user, "te aviso", after=step)
    siiau.grades.post(DEMO_CODE, "181002", "88")
    telegram.wait_for(user, lambda m: m.text.startswith("📝"), timeout=60, after=step)
