"""Seat-alert benchmark: W watchers of S subjects, one poll per subject per round.

The offer simulator (this process) answers every results request after
`--latency` (300 ms). The watcher service runs in a child process, built by
`bot.bootstrap.build_cupos` exactly as the bot builds it, on a SQLite database
seeded with the subjects and watches (phases spread over the round, as
`/cupos` creates them), ticked every second like the JobQueue tick. Its
notifier records the time of each `sendMessage` it would make, paced at
`--sends-per-second` (the bot's rate limiter). Meanwhile this process opens one
seat in `--openings` random subjects at random moments and measures, per
opening, the time from the opening to the first alert sent for it.

Reports requests per round (must equal the subjects), how each subject's polls
are spaced, alert latency p50/p95 (goal: interval + 10 s), and the child's peak
RSS and CPU seconds (the simulator is not in them).

    .venv/bin/python bench/cupos.py --watchers 10000 --subjects 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import insert

from bot.sim.siiau.offer_pages import SimOfferSection, SimOfferSession, current_period
from bot.sim.siiau.offer_server import OfferSimulator

CYCLE, CENTRE = "202620", "D"


def clave(index: int) -> str:
    return f"B{index:04}"


def sections(index: int, period: str) -> list[SimOfferSection]:
    return [
        SimOfferSection(
            f"{300000 + 2 * index + n}",
            clave(index),
            f"MATERIA {index}",
            f"D{n + 1:02}",
            8,
            40,
            0,
            (SimOfferSession("01", "0700-0855", "MJ", "DUCT1", "A001", period),),
            (("01", "PROFESOR, UNO"),),
        )
        for n in range(2)
    ]


async def seed(db_url: str, watchers: int, subjects: int, interval: int, start: float) -> None:
    from bot.store.db import create_engine, migrate
    from bot.store.models import CupoSubjectRow, CupoWatchRow

    engine = create_engine(db_url)
    await migrate(engine)
    rng = random.Random(11)
    async with engine.begin() as connection:
        await connection.execute(
            insert(CupoSubjectRow),
            [
                {
                    "id": i + 1,
                    "cycle": CYCLE,
                    "centre": CENTRE,
                    "clave": clave(i),
                    "failures": 0,
                    "late_polls": 0,
                    "next_poll_ts": int(start) + rng.randrange(interval),
                    "free_json": json.dumps({s.nrc: 0 for s in sections(i, "")}),
                }
                for i in range(subjects)
            ],
        )
        await connection.execute(
            insert(CupoWatchRow),
            [
                {
                    "user_id": 5_000_000 + w,
                    "chat_id": 5_000_000 + w,
                    "subject_id": w % subjects + 1,
                    "target": "*" if w % 2 else f"{300000 + 2 * (w % subjects)}",
                    "label": clave(w % subjects),
                    "expires_ts": int(start) + 86400,
                    "created_ts": int(start),
                }
                for w in range(watchers)
            ],
        )
    await engine.dispose()


def watcher(
    db_url: str,
    offer_url: str,
    env: dict[str, str],
    until: float,
    sends_per_second: float,
    out: str,
) -> None:
    """The child: the service as the bot builds it, ticked until `until`."""
    os.environ.update(env)
    figures = asyncio.run(_watch(db_url, until, sends_per_second))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures.update(peak_rss_mib=usage.ru_maxrss / 1024, cpu_seconds=usage.ru_utime + usage.ru_stime)
    Path(out).write_text(json.dumps(figures))


async def _watch(db_url: str, until: float, sends_per_second: float) -> dict[str, object]:
    from bot.bootstrap import build_cupos, build_offer_http, build_stores
    from bot.config import Settings
    from bot.services.offer.cupos import WatchRecord
    from bot.services.runtime.breaker import CircuitBreaker
    from bot.siiau.errors import LayoutChanged
    from bot.siiau.offer import OfferSection
    from bot.store.crypto import CredentialCipher
    from bot.store.db import create_engine

    class PacedRecorder:
        """sendMessage as the bot's rate limiter would let it out: evenly spaced."""

        def __init__(self) -> None:
            self.sent: list[tuple[float, str]] = []
            self._lock = asyncio.Lock()
            self._next = 0.0

        async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
            async with self._lock:
                wait = self._next - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next = max(self._next, time.monotonic()) + 1 / sends_per_second
            self.sent.append((time.time(), section.nrc))

        async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
            return None

        async def send_operator_notice(self, error: LayoutChanged) -> None:
            print(f"operator notice: offer layout changed at {error.where}", file=sys.stderr)

    settings = Settings()
    engine = create_engine(db_url)
    store = build_stores(engine, CredentialCipher([CredentialCipher.generate_key()]))
    http = build_offer_http(settings)
    recorder = PacedRecorder()
    breaker = CircuitBreaker(settings.siiau.breaker_threshold, settings.siiau.breaker_cooldown)
    service = build_cupos(settings, store, breaker, http, recorder)
    while time.time() < until:
        await service.tick()
        await asyncio.sleep(settings.cupos.tick_seconds)
    status = await service.status()
    await service.aclose()
    await http.aclose()
    await engine.dispose()
    return {"sent": recorder.sent, "late_polls": status.late_polls}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--watchers", type=int, default=10000)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--interval", type=int, default=30, help="CUPOS_POLL_SECONDS")
    parser.add_argument("--concurrency", type=int, default=8, help="CUPOS_MAX_CONCURRENCY")
    parser.add_argument("--jitter", type=float, default=2.0, help="CUPOS_JITTER_SECONDS")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per offer request")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--openings", type=int, default=50)
    parser.add_argument("--sends-per-second", type=float, default=29.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cupos-bench-"))
    db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    period = current_period(date.today())
    with OfferSimulator() as offer:
        everything = [s for i in range(args.subjects) for s in sections(i, period)]
        offer.set_offer(CYCLE, CENTRE, everything)
        offer.set_delay(args.latency)
        start = time.time() + 5
        asyncio.run(seed(db_url, args.watchers, args.subjects, args.interval, start))
        until = start + args.interval * args.rounds
        env = {
            "CUPOS_POLL_SECONDS": str(args.interval),
            "CUPOS_MAX_CONCURRENCY": str(args.concurrency),
            "CUPOS_JITTER_SECONDS": str(args.jitter),
            "CUPOS_TICK_SECONDS": "1",
            "SIIAU_OFFER_URL": offer.url,
            "DATABASE_URL": db_url,
        }
        out = workdir / "watcher.json"
        child = multiprocessing.get_context("spawn").Process(
            target=watcher, args=(db_url, offer.url, env, until, args.sends_per_second, str(out))
        )
        child.start()
        # Seats open after round 1, early enough that a round and a half follows the last.
        rng = random.Random(5)
        chosen = rng.sample(range(args.subjects), args.openings)
        window = max(0.5, args.rounds - 2.5)
        moments = sorted(start + args.interval * (1 + window * rng.random()) for _ in chosen)
        opened: dict[str, float] = {}
        for index, moment in zip(chosen, moments, strict=True):
            time.sleep(max(0.0, moment - time.time()))
            nrc = sections(index, period)[0].nrc
            offer.set_free(nrc, 1)
            opened[nrc] = time.time()
        child.join()
        searches = offer.searches
    result = json.loads(out.read_text())

    polls: dict[str, list[float]] = defaultdict(list)
    for search in searches:
        polls[dict(search.fields)["crsep"]].append(search.at)
    counts = sorted(len(times) for times in polls.values())
    gaps = [b - a for times in polls.values() for a, b in zip(times, times[1:], strict=False)]
    rounds_seen = statistics.median(counts)
    first_alert: dict[str, float] = {}
    for at, nrc in result["sent"]:
        first_alert.setdefault(nrc, at)
    latencies = [first_alert[nrc] - t for nrc, t in opened.items() if nrc in first_alert]
    print(
        f"interval {args.interval} s, concurrency {args.concurrency}, jitter {args.jitter} s, "
        f"offer latency {args.latency * 1000:.0f} ms, {args.watchers} watchers of {args.subjects} subjects"
    )
    window = args.interval * args.rounds
    print(
        f"requests: {len(searches)} in the {window} s run ({len(searches) / args.rounds:.1f} per {args.interval} s; "
        f"the run's edges cut rounds): polls per subject min/median/max {counts[0]}/{rounds_seen:.0f}/{counts[-1]}, "
        f"{len(polls)} of {args.subjects} subjects polled"
    )
    print(
        f"gap between two polls of one subject: min {min(gaps):.1f} s, median {statistics.median(gaps):.1f} s, "
        f"max {max(gaps):.1f} s; late polls {result['late_polls']}"
    )
    for k in range(int(counts[0])):  # round k: every subject's k-th poll
        kth = [times[k] for times in polls.values()]
        print(
            f"round {k + 1}: {len(kth)} requests for {args.subjects} subjects, "
            f"first to last {max(kth) - min(kth):.1f} s"
        )
    if latencies:
        print(
            f"alert latency (opening → first sendMessage), {len(latencies)}/{len(opened)} openings: "
            f"p50 {percentile(latencies, 50):.1f} s, p95 {percentile(latencies, 95):.1f} s, "
            f"max {max(latencies):.1f} s (goal ≤ {args.interval + 10} s)"
        )
    print(f"alerts sent: {len(result['sent'])}")
    print(
        f"watcher process: peak RSS {result['peak_rss_mib']:.0f} MiB, CPU {result['cpu_seconds']:.1f} s "
        f"over {args.interval * args.rounds + 5} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
