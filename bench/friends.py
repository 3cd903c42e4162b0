"""/libres through the real bot process: a group of `--members` sharing students, and a
student with `--friends` friends.

Students are seeded straight into a SQLite database (registered, a stored schedule sealed
with the cipher, a sealed first name, friendships both ways, group shares agreed and
confirmed just now, so no member lookup runs). The bot runs against the Bot API stand-in.
Time-to-answer runs from the stand-in receiving `/libres` to the answer appearing in it; no
SIIAU request is involved (the simulator is not even started: a login would fail the run).

The picture button is then pressed under some answers (from the press to the photo in the
chat), and `render_png` is timed alone in this process.

Telegram paces messages to one group at 20 a minute (PTB's `AIORateLimiter` does too), so
each group question goes to its own group of the same members; the private questions are
asked one after another. Prints figures; asserts nothing.

    .venv/bin/python bench/friends.py
    .venv/bin/python bench/friends.py --members 30 --friends 50 --asks 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from datetime import time as clock_time
from pathlib import Path

# Run as a script (`python bench/x.py`), Python puts bench/ on the path; the sibling modules
# are imported as `bench.*`, as the tests do, so the checkout's root goes on it too.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.chatbot import start_bot, stop_bot
from bot.bootstrap import open_store
from bot.config import Settings
from bot.core.credentials import Credentials
from bot.core.records import utcnow
from bot.core.zones import zone
from bot.pdf.free_week import WIDTH, free_week_html
from bot.pdf.renderer import PdfRenderer
from bot.schedule import codec
from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DaysOff
from bot.schedule.free_time import common_free, week_days
from bot.schedule.model import Course, Day, Schedule, Session
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.store.crypto import CredentialCipher
from bot.telegram.texts import friends as words

TOKEN = "200000003:" + "C" * 35
FIRST_USER = 5_000_000
FIRST_GROUP = -1_005_000_000_000
ALL_DAYS = tuple(Day)
GDL = zone("America/Mexico_City")


def schedule_of(i: int) -> Schedule:
    """Four courses at hours that differ by student, so common windows shrink as members add up."""

    def session(k: int) -> Session:
        start = 7 + (i * 3 + k * 4) % 13
        days = ALL_DAYS[k % 2 :: 2]
        return Session(
            days, clock_time(start), clock_time(start + 1, 55), "DEDX", f"A{k}", "PROFE", None, None
        )

    courses = tuple(
        Course(
            f"{600000 + (i + k) % 40}",
            f"I{6000 + (i + k) % 40}",
            f"MATERIA {k}",
            "D01",
            8,
            (session(k),),
        )
        for k in range(4)
    )
    return Schedule("202620", "2026-B", f"ALUMNO {i}", f"3{i:08d}", "INCO", "INGENIERIA", courses)


async def seed(
    settings: Settings, cipher: CredentialCipher, members: int, friends: int, groups: int
) -> int:
    """Returns the id of the student with `friends` friends."""
    store = await open_store(settings, cipher)
    friend_store = store.friends
    people = max(members, friends + 1)
    now = int(utcnow().timestamp())
    for i in range(people):
        user = FIRST_USER + i
        await store.users.save_credentials(
            user, user, Credentials(f"3{i:08d}", "bench1"), "INCO", "INGENIERIA"
        )
        schedule = schedule_of(i)
        await store.schedules.save(user, codec.dumps(schedule), schedule.content_hash, now)
        await friend_store.set_name(user, cipher.encrypt(f"Alumno{i}"), now)
    student = FIRST_USER
    for i in range(1, friends + 1):
        await friend_store.befriend(student, FIRST_USER + i, now, friends)
    for g in range(groups):
        for i in range(members):
            await friend_store.ask_share(FIRST_GROUP - g, FIRST_USER + i, now)
            await friend_store.consent_share(FIRST_GROUP - g, FIRST_USER + i, now)
    await store.engine.dispose()
    return student


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def answer_time(
    botapi: BotApiStandIn, user: int, chat: int | None, fragment: str
) -> tuple[float, ChatMessage]:
    where = user if chat is None else chat
    kind = "supergroup" if chat else "private"
    asked = botapi.user_says(user, "/libres", chat_id=chat, chat_type=kind)
    sent = next(m.at for m in botapi.chat(where) if m.message_id == asked)
    reply = botapi.wait_for_text(where, fragment, timeout=120, after=asked)
    return reply.at - sent, reply


def picture_time(botapi: BotApiStandIn, user: int, answer: ChatMessage) -> float:
    """From the press of the picture button to the PNG in the chat."""
    last = botapi.last_message_id(answer.chat_id)
    pressed = time.monotonic()
    botapi.user_presses(user, answer, words.PICTURE_BUTTON)
    photo = botapi.wait_for(answer.chat_id, lambda m: m.photo is not None, timeout=120, after=last)
    return photo.at - pressed


async def render_times(settings: Settings, n: int) -> list[float]:
    """`render_png` alone, in this process, on a week of 8 students' common time."""
    renderer = PdfRenderer(settings.pdf)
    agendas = [Agenda(schedule_of(i), DaysOff(), GDL) for i in range(8)]
    days = common_free(agendas, week_days(date(2026, 11, 9)), DaysOff())
    html = free_week_html(days, "Libres los 8 (Alumno0, Alumno1, …)")
    times = []
    try:
        for _ in range(n):
            started = time.perf_counter()
            await renderer.render_png(html, WIDTH)
            times.append(time.perf_counter() - started)
    finally:
        await renderer.aclose()
    return times


def report(what: str, times: list[float]) -> None:
    print(
        f"{what}: median {statistics.median(times) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms ({len(times)} answers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=30, help="sharing members of the group")
    parser.add_argument("--friends", type=int, default=50, help="friends of who asks in private")
    parser.add_argument(
        "--asks", type=int, default=20, help="questions of each kind (one group each)"
    )
    parser.add_argument("--pictures", type=int, default=10, help="picture buttons of each kind")
    args = parser.parse_args()
    key = CredentialCipher.generate_key()
    with tempfile.TemporaryDirectory() as tmp, BotApiStandIn(TOKEN, sends_per_second=30) as botapi:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": tmp,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": key,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/horario.db",
            "SIIAU_BASE_URL": "http://127.0.0.1:9",
            "SIIAU_PORTAL_URL": "http://127.0.0.1:9",
            "LOG_LEVEL": "WARNING",
            "PDF_PREWARM": "0",
            "FRIENDS_MAX": str(max(50, args.friends)),
        }
        os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "ENCRYPTION_KEYS": key})
        cipher = CredentialCipher([key])
        student = asyncio.run(seed(Settings(), cipher, args.members, args.friends, args.asks))
        group_header = words.GROUP_HEADER.split("{")[0]
        process = start_bot(Path(tmp), env, botapi)
        try:
            answer_time(botapi, student, None, "Horas libres")  # warm-up: imports, first queries
            asked = [answer_time(botapi, student, None, "Horas libres") for _ in range(args.asks)]
            in_groups = [
                answer_time(botapi, FIRST_USER, FIRST_GROUP - g, group_header)
                for g in range(args.asks)
            ]
            private_pictures = [picture_time(botapi, student, a) for _, a in asked[: args.pictures]]
            group_pictures = [
                picture_time(botapi, FIRST_USER, a) for _, a in in_groups[: args.pictures]
            ]
        finally:
            stop_bot(process)
        renders = asyncio.run(render_times(Settings(), args.pictures))
    print(f"CPUs: {os.cpu_count()}; no SIIAU request (SIIAU unreachable on purpose)")
    report(f"/libres in private, {args.friends} friends", [t for t, _ in asked])
    report(f"/libres in a group of {args.members} sharing members", [t for t, _ in in_groups])
    report("picture button to the PNG in the chat, private", private_pictures)
    report("picture button to the PNG in the chat, group", group_pictures)
    report("render_png alone (a week, 1080 px wide)", renders)


if __name__ == "__main__":
    main()
