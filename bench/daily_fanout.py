"""Morning digest fan-out: N students with stored schedules, all due at 07:00 on one Monday.

The students are seeded straight into a SQLite database (users, stored schedules sealed with
the cipher, `/diario` at 07:00). The daily service is wired by `bot.bootstrap` as the bot wires
it, on a clock fixed at that Monday 07:00 (so the run does not depend on today's date), and
sends through the real `TelegramDailyNotifier` on a PTB bot paced like the bot's
(`AIORateLimiter`, one call every 1/`--sends-per-second` s) to the Bot API stand-in, which
enforces 30 sends/s. Reports digests/s against the Telegram floor (N / sends-per-second),
the median work per digest outside the send (claim release, decrypting, agenda, text), the
median send (the pacing queue included), and the time spent in claims.

    .venv/bin/python bench/daily_fanout.py --students 10000
    .venv/bin/python bench/daily_fanout.py --students 10000 --spread 600   # the default window
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from telegram.ext import AIORateLimiter, ExtBot

from bot.bootstrap import build_services, build_workflow, open_store
from bot.config import Settings
from bot.core.records import utcnow
from bot.core.zones import zone
from bot.schedule import codec
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.timetable.daily import DailyService, next_digest_due
from bot.services.timetable.delivery import DeliveryService
from bot.sim.botapi import BotApiStandIn
from bot.store.crypto import CredentialCipher
from bot.store.daily import DailyClaim, Kind
from bot.store.models import DailySettingRow, StoredScheduleRow, UserRow
from bot.telegram.daily_notifier import TelegramDailyNotifier
from bot.telegram.notifier import TelegramNotifier

TOKEN = "200000003:" + "C" * 35
FIRST_USER = 2_000_000
MONDAY = date(2026, 9, 14)
GDL = zone("America/Mexico_City")
BATCH = 2000


def schedule_of(i: int) -> Schedule:
    """Five courses, a class every weekday, no cycle bounds: every day of the run has classes."""

    def session(days: tuple[Day, ...], start: int) -> Session:
        return Session(
            days,
            clock_time(start),
            clock_time(start + 1, 55),
            "DED" + "XYZ"[i % 3],
            f"A{i % 40:03d}",
            f"PROFESOR {i % 97}",
            None,
            None,
        )

    courses = tuple(
        Course(
            f"{100000 + (i * 5 + k) % 900000}",
            f"I{5000 + k}",
            f"MATERIA {k} DEL ALUMNO {i}",
            f"D{k:02d}",
            8,
            (
                session(
                    (Day.MONDAY, Day.WEDNESDAY, Day.FRIDAY)
                    if k % 2
                    else (Day.TUESDAY, Day.THURSDAY, Day.SATURDAY, Day.MONDAY),
                    7 + 2 * k,
                ),
            ),
        )
        for k in range(5)
    )
    return Schedule(
        "202620", "2026-B", f"ALUMNO {i}", f"2{i:08d}", "INCO", "INGENIERIA EN COMPUTACION", courses
    )


async def seed(
    settings: Settings, cipher: CredentialCipher, n: int, due: Callable[[int], int]
) -> None:
    store = await open_store(settings, cipher)
    now = utcnow()
    users = [{"id": FIRST_USER + i, "chat_id": FIRST_USER + i, "created_at": now} for i in range(n)]
    schedules = []
    for i in range(n):
        schedule = schedule_of(i)
        schedules.append(
            {
                "user_id": FIRST_USER + i,
                "schedule_token": cipher.encrypt(codec.dumps(schedule)),
                "content_hash": schedule.content_hash,
                "fetched_ts": int(now.timestamp()),
            }
        )
    daily = [
        {
            "user_id": FIRST_USER + i,
            "digest_hour": 7,
            "digest_due_ts": due(FIRST_USER + i),
            "digest_lease_ts": None,
            "reminder_minutes": None,
            "reminder_due_ts": None,
            "reminder_lease_ts": None,
            "updated_at": now,
        }
        for i in range(n)
    ]
    async with store.engine.begin() as connection:
        for table, rows in (
            (UserRow, users),
            (StoredScheduleRow, schedules),
            (DailySettingRow, daily),
        ):
            for start in range(0, len(rows), BATCH):
                await connection.execute(insert(table), rows[start : start + BATCH])
    await store.engine.dispose()


class FixedClock:
    def __init__(self, start: datetime) -> None:
        self.start, self.began = start, time.monotonic()

    def __call__(self) -> datetime:
        """Starts at `start` and runs at wall speed, so a spread window plays out in real time."""
        return self.start + timedelta(seconds=time.monotonic() - self.began)


def timed(
    samples: dict[int, float], user_of: Callable[..., int], call: Callable[..., Awaitable[Any]]
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """`call`, its duration kept by user id."""

    async def wrapper(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args)
        finally:
            samples[user_of(*args)] = time.perf_counter() - started

    return wrapper


async def run(args: argparse.Namespace, workdir: Path, botapi: BotApiStandIn) -> None:
    n = args.students
    key = CredentialCipher.generate_key()
    cipher = CredentialCipher([key])
    (workdir / "no_days_off.toml").write_text("")
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/daily.db",
            "ENCRYPTION_KEYS": key,
            "SCHEDULE_DAYS_OFF_FILE": str(workdir / "no_days_off.toml"),
            "DAILY_SPREAD_SECONDS": str(args.spread),
            "DAILY_CONCURRENCY": str(args.concurrency),
            "PDF_PREWARM": "0",
        }
    )
    settings = Settings()
    wave = datetime.combine(MONDAY, clock_time(7), GDL)
    await seed(
        settings,
        cipher,
        n,
        lambda user: int(
            next_digest_due(user, 7, wave - timedelta(hours=1), GDL, args.spread).timestamp()
        ),
    )
    rate = AIORateLimiter(
        overall_max_rate=1, overall_time_period=1 / args.sends_per_second, max_retries=5
    )
    bot: ExtBot[int] = ExtBot(TOKEN, base_url=botapi.base_url, rate_limiter=rate)
    async with bot:
        store = await open_store(settings, cipher)
        workflow = build_workflow(settings)

        def weekly_notifier(delivery: DeliveryService) -> TelegramNotifier:
            return TelegramNotifier(bot, render_again=delivery.render_again)

        services = build_services(
            settings, store, workflow, weekly_notifier, daily_notifier=TelegramDailyNotifier(bot)
        )
        daily: DailyService = services.daily
        clock = FixedClock(wave.astimezone(UTC))
        daily.clock = services.book.clock = clock
        process_times: dict[int, float] = {}
        send_times: dict[int, float] = {}
        claim_times: list[float] = []
        claim_sizes: list[int] = []
        original_claim = daily.store.claim_due

        async def claim_due(
            kind: Kind, now_ts: int, lease_seconds: int, limit: int
        ) -> list[DailyClaim]:
            started = time.perf_counter()
            claims = await original_claim(kind, now_ts, lease_seconds, limit)
            claim_times.append(time.perf_counter() - started)
            claim_sizes.append(len(claims))
            return claims

        daily.store.claim_due = claim_due  # type: ignore[method-assign]
        daily.process = timed(process_times, lambda claim: claim.user_id, daily.process)  # type: ignore[method-assign]
        notifier = daily.notifier
        notifier.send_digest = timed(  # type: ignore[method-assign]
            send_times, lambda _chat, digest: digest.user_id, notifier.send_digest
        )
        sent_before = botapi.calls["sendMessage"]
        started = time.monotonic()
        while botapi.calls["sendMessage"] - sent_before < n:
            await daily.drain()  # one tick: claim everything due now, until nothing is claimable
            if botapi.calls["sendMessage"] - sent_before < n:
                await asyncio.sleep(min(1.0, settings.daily.tick_seconds))
            if time.monotonic() - started > args.timeout:
                raise RuntimeError(f"only {botapi.calls['sendMessage'] - sent_before}/{n} sent")
        seconds = time.monotonic() - started
        rows = await daily.store.sent(kind=Kind.DIGEST)
        await services.aclose()

    floor = n / args.sends_per_second
    work = sorted(process_times[user] - send_times[user] for user in send_times)
    sends = sorted(send_times.values())
    nonempty = [t for t, size in zip(claim_times, claim_sizes, strict=True) if size]
    print(
        f"students: {n}, spread: {args.spread} s, DAILY_CONCURRENCY={args.concurrency}, "
        f"pace {args.sends_per_second}/s (stand-in allows 30/s), SQLite, CPUs: {os.cpu_count()}"
    )
    print(
        f"wall time:        {seconds:.1f} s; floor N/{args.sends_per_second:g} = {floor:.1f} s; "
        f"ratio {seconds / floor:.3f}×"
    )
    print(f"digests/s:        {n / seconds:.1f} (floor pace {args.sends_per_second:g}/s)")
    print(
        f"sent log:         {len(rows)} digests, {sum(1 for r in rows if r[4] == 'sent')} 'sent'; "
        f"429 answers: {botapi.too_many_requests}"
    )
    print(
        f"per digest:       work outside the send median {statistics.median(work) * 1000:.2f} ms "
        f"(p95 {work[int(len(work) * 0.95)] * 1000:.2f} ms); send incl. pacing queue median "
        f"{statistics.median(sends) * 1000:.0f} ms"
    )
    print(
        f"claims:           {len(nonempty)} non-empty claims of ≤{args.concurrency}, median "
        f"{statistics.median(nonempty) * 1000:.2f} ms, total {sum(claim_times):.1f} s over "
        f"{len(claim_times)} claim statements"
    )
    print(
        f"CPU:              {time.process_time():.0f} s in this process (stand-in threads included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument(
        "--spread", type=int, default=0, help="DAILY_SPREAD_SECONDS (0: everyone due at 07:00)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="DAILY_CONCURRENCY")
    parser.add_argument(
        "--sends-per-second", type=float, default=29.0, help="TELEGRAM_SENDS_PER_SECOND"
    )
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        BotApiStandIn(TOKEN, sends_per_second=30, keep_files=False) as botapi,
    ):
        asyncio.run(run(args, Path(tmp), botapi))
    sys.exit(0)


if __name__ == "__main__":
    main()
