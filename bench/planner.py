"""/armar's figures: the search alone, the whole command through the bot, PNG renders.

The offer simulator serves the real offer layout at `--delay` s per request (300 ms),
`--subjects` subjects × `--sections` sections each (8 × 15), mixed clashes, some full,
over `--offers` seeded offers (20). Reports medians and p95:
  1. the search alone: the top option plus the count up to 10,000 (keep=1), and the
     ten options a student pages through (keep=10);
  2. /armar through the real bot process, from the command to the photo, cold (every
     clave asked of the offer) and then warm (the cached offer), with the offer requests
     each made (goal: the distinct claves cold, 0 warm);
  3. the PNG render of an option beside a bare `wkhtmltoimage` of the same HTML.

    .venv/bin/python bench/planner.py --offers 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# Run as a script (`python bench/x.py`), Python puts bench/ on the path; the sibling modules
# are imported as `bench.*`, as the tests do, so the checkout's root goes on it too.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.chatbot import start_bot, stop_bot
from bot.config import PdfSettings
from bot.pdf.renderer import PdfRenderer
from bot.pdf.view import GridItem, LegendLine, WeekPicture, week_grid
from bot.services.planner.request import candidate
from bot.services.planner.search import search
from bot.siiau.offer import OfferSection, parse_offer_results
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.offer_pages import (
    SimOfferSection,
    SimOfferSession,
    current_period,
    offer_results,
)
from bot.sim.siiau.offer_server import OfferSimulator
from bot.store.crypto import CredentialCipher

TOKEN = "123456:" + "B" * 35
CYCLE, CENTRE = "202620", "D"
SLOTS = ("0700-0855", "0900-1055", "1100-1255", "1300-1455", "1500-1655", "1700-1855", "1900-2055")
DAY_PAIRS = ("LI", "MJ", "V", "S", "LIV", "MJ")


def claves(seed: int, subjects: int) -> list[str]:
    return [f"K{seed:02d}{s:02d}" for s in range(subjects)]


def sim_offer(seed: int, subjects: int, sections: int) -> list[SimOfferSection]:
    """Two-hour classes on day pairs at seven slots: clashes are common, some sections full."""
    rng = random.Random(seed)
    when = current_period(date.today())
    out = []
    for s, clave in enumerate(claves(seed, subjects)):
        for n in range(sections):
            sessions = (
                SimOfferSession(
                    "01", rng.choice(SLOTS), rng.choice(DAY_PAIRS), "DEDX", f"A{n:03d}", when
                ),
            )
            free = 0 if rng.random() < 0.3 else rng.randint(1, 30)
            out.append(
                SimOfferSection(
                    f"{seed:02d}{s:02d}{n:03d}",
                    clave,
                    f"MATERIA {s}",
                    f"D{n:02d}",
                    8,
                    40,
                    free,
                    sessions,
                    (("01", "PROFESOR, UNO"),),
                )
            )
    return out


def parsed(offer: list[SimOfferSection]) -> list[OfferSection]:
    return list(
        parse_offer_results(
            offer_results(CYCLE, "X", offer, total=len(offer), end_of_report=True)
        ).sections
    )


def stats(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def bench_search(offers: list[list[OfferSection]]) -> None:
    for keep in (1, 10):
        times, counts = [], []
        for sections in offers:
            keys = sorted({s.key for s in sections})
            subjects = [[candidate(s) for s in sections if s.key == k] for k in keys]
            started = time.perf_counter()
            result = search(subjects, keep=keep)
            times.append(time.perf_counter() - started)
            counts.append("más de 10,000" if result.capped else str(result.count))
        print(f"search keep={keep}: {stats(times)}; counts: {', '.join(counts)}")


def picture(sections: list[OfferSection]) -> WeekPicture:
    items = [
        GridItem(
            s.days, s.start, s.end, "#cfe2ff", f"{x.key} {x.section}", (s.building,), x.free <= 0
        )
        for x in sections
        for s in x.sessions
        if s.start and s.end and s.days
    ]
    legend = tuple(LegendLine("#cfe2ff", f"{x.key} {x.section} · NRC {x.nrc}") for x in sections)
    return WeekPicture(
        "Opción 1 de 10", "", week_grid(items, hour_height=44), legend, font_scale=1.25
    )


async def bench_png(offers: list[list[OfferSection]], runs: int) -> None:
    async with PdfRenderer(PdfSettings(prewarm=0)) as renderer:
        ours, bare = [], []
        for i in range(runs):
            sections = offers[i % len(offers)]
            keys = sorted({s.key for s in sections})
            option = [next(s for s in sections if s.key == k) for k in keys]
            html = renderer.picture_html(picture(option))
            # Alternate which goes first, so a busy moment of the machine hits both alike.
            for ours_turn in (i % 2 == 0, i % 2 == 1):
                started = time.perf_counter()
                if ours_turn:
                    await renderer.render_png(html, 1000)
                    ours.append(time.perf_counter() - started)
                else:
                    command = renderer.image_command(1000)
                    await asyncio.to_thread(
                        subprocess.run,
                        command,
                        input=html.encode(),
                        capture_output=True,
                        check=True,
                    )
                    bare.append(time.perf_counter() - started)
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"PNG render_png: {stats(ours)}; bare wkhtmltoimage: {stats(bare)}; ratio {ratio:.2f}x")


def bench_bot(args: argparse.Namespace, offers: list[list[SimOfferSection]]) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SiiauSimulator() as siiau,
        OfferSimulator() as offer,
        BotApiStandIn(TOKEN, sends_per_second=30) as botapi,
    ):
        offer.set_delay(args.delay)
        offer.set_offer(CYCLE, CENTRE, [s for o in offers for s in o])
        env = {
            "PATH": os.environ["PATH"],
            "HOME": tmp,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/horario.db",
            "SIIAU_BASE_URL": siiau.url,
            "SIIAU_OFFER_URL": offer.url,
            "LOG_LEVEL": "WARNING",
        }
        process = start_bot(Path(tmp), env, botapi)
        try:
            for phase in ("cold", "warm"):
                times, requests = [], []
                for seed in range(len(offers)):
                    user = 50_000 + seed
                    before = offer.search_count()
                    asked = botapi.user_says(
                        user, f"/armar {' '.join(claves(seed, args.subjects))} {CENTRE}"
                    )
                    sent = next(m.at for m in botapi.chat(user) if m.message_id == asked)
                    photo = botapi.wait_for(
                        user, lambda m: bool(m.photo_id or m.text), timeout=300, after=asked
                    )
                    if not photo.photo_id:
                        raise RuntimeError(f"no photo for seed {seed}: {photo.text}")
                    times.append(photo.at - sent)
                    requests.append(offer.search_count() - before)
                print(
                    f"/armar {phase}: {stats(times)}; offer requests per /armar: {sorted(set(requests))}"
                )
        finally:
            stop_bot(process)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--sections", type=int, default=15)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per offer request")
    parser.add_argument("--png-runs", type=int, default=20)
    parser.add_argument("--skip-bot", action="store_true")
    args = parser.parse_args()
    sims = [sim_offer(seed, args.subjects, args.sections) for seed in range(args.offers)]
    offers = [parsed(o) for o in sims]
    bench_search(offers)
    asyncio.run(bench_png(offers, args.png_runs))
    if not args.skip_bot:
        bench_bot(args, sims)


if __name__ == "__main__":
    main()
