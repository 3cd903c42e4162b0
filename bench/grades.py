"""Grade alerts under load: N students with alerts on, SIIAU answering each request in 300 ms,
one grade posted for a tenth of them; the real GradesService, store and SIIAU client.

The issue's size is 10,000 students checked every GRADES_POLL_SECONDS=10800 (3 h). A run that
long is not practical, so by default the interval shrinks with the number of students:
`--poll-seconds` = 10800 × N / 10000. SIIAU then sees the same logins per second as 10,000
students every 3 h, with the same 300 ms per request and the same session slots, so what the
run measures (does the job keep up, how late is an alert against its interval, duplicates,
CPU per check) holds at full size; logins per student per day are reported both as measured
and as the same rate at 10800 s. `--poll-seconds 10800 --students 10000` is the full run.

The clock is the real one, shifted to 12 days before the simulated cycle's FECHA FIN, so every
student is inside the polling window. Students' first checks are spread over one interval, as
when the window opens. A grade is posted for each chosen student at a random moment of the
second interval; its latency runs from that moment to Telegram (a recorder) taking the alert.

    .venv/bin/python bench/grades.py --students 100           # small: about 4 minutes
    .venv/bin/python bench/grades.py --students 10000 --poll-seconds 10800 --intervals 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from bot.bootstrap import build_delivery, build_workflow, open_store
from bot.config import Settings
from bot.core.credentials import Credentials
from bot.core.records import utcnow
from bot.schedule import codec
from bot.schedule.grades import Posting
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.grades.service import GradesService
from bot.services.runtime.gate import UserGate
from bot.siiau.errors import LayoutChanged
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.students import generated_student
from bot.store.crypto import CredentialCipher

FIRST_USER = 3_000_000
FECHA_FIN = date(2025, 12, 13)
SHIFTED_NOW = datetime(2025, 12, 1, 12, tzinfo=UTC)  # inside the window: 12 days before FECHA FIN
REQUESTS_PER_CHECK = 6  # direct login (3), menu, boleta, logout


def schedule_ending(i: int) -> Schedule:
    session = Session(
        (Day.MONDAY,),
        clock_time(7),
        clock_time(8, 55),
        "DEDX",
        "A1",
        "P",
        date(2025, 8, 18),
        FECHA_FIN,
    )
    return Schedule(
        "202520",
        "2025-B",
        f"ALUMNO {i}",
        str(300000000 + i),
        "INCO",
        "ING",
        (Course("1", "G0000", "MATERIA", "D01", 6, (session,)),),
    )


class Recorder:
    """Telegram, as far as alerts go: when each alert arrived, per chat."""

    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}
        self.texts: Counter[tuple[int, str]] = Counter()

    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        self.arrivals.setdefault(chat_id, []).append(time.monotonic())
        self.texts[(chat_id, f"{posting.nrc}:{posting.kind.value}:{posting.value}")] += 1

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        print(f"notice {notice} to {chat_id}", file=sys.stderr)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        print(f"operator notice: {error.where}", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
        if ordered
        else float("nan")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument(
        "--posted", type=int, default=0, help="students who get a grade (default: a tenth)"
    )
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per SIIAU request")
    parser.add_argument(
        "--poll-seconds", type=int, default=0, help="default: 10800 × students / 10000"
    )
    parser.add_argument("--intervals", type=int, default=3, help="how many poll intervals to run")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="GRADES_CONCURRENCY (default: its setting)"
    )
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    students = args.students
    posted_count = args.posted or max(1, students // 10)
    poll = args.poll_seconds or max(10, round(10800 * students / 10000))
    jitter = round(30 * poll / 10800)  # GRADES_JITTER_SECONDS's default, scaled like the interval
    rng = random.Random(args.seed)

    workdir = Path(tempfile.mkdtemp(prefix="grades-bench-"))
    simulator = SiiauSimulator(
        [generated_student(i) for i in range(students)], seed=args.seed
    ).start()
    simulator.faults.latency = args.latency
    os.environ.update(
        {
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", f"sqlite+aiosqlite:///{workdir}/bench.db"
            ),
            "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
            "SIIAU_BASE_URL": simulator.url,
            "SIIAU_PORTAL_URL": simulator.url,
            "SIIAU_LOGIN": "direct",
            "SIIAU_MAX_LOGINS_PER_HOUR": "1000000",
            "SIIAU_ORPHAN_SWEEP_SECONDS": "0",
            "GRADES_POLL_SECONDS": str(poll),
            "GRADES_JITTER_SECONDS": str(jitter),
            **({"GRADES_CONCURRENCY": str(args.concurrency)} if args.concurrency else {}),
        }
    )
    settings = Settings()
    cipher = CredentialCipher([k.get_secret_value() for k in settings.store.encryption_keys])
    store = await open_store(settings, cipher)
    workflow = build_workflow(settings)
    offset = SHIFTED_NOW - utcnow()

    def clock() -> datetime:
        return utcnow() + offset

    gate = UserGate(1000)
    recorder = Recorder()
    delivery = build_delivery(store, workflow, gate, clock=clock)
    service = GradesService(
        store.users,
        store.grades,
        workflow,
        gate,
        delivery,
        settings.grades,
        survey_link="",
        notifier=recorder,
        clock=clock,
        rng=random.Random(args.seed),
    )

    print(f"seeding {students} students…", file=sys.stderr)
    now = clock()
    for i in range(students):
        user, student = FIRST_USER + i, generated_student(i)
        await store.users.save_credentials(
            user, user, Credentials(student.code, student.nip), "INCO", "INGENIERIA"
        )
        schedule = schedule_ending(i)
        await store.schedules.save(
            user, codec.dumps(schedule), schedule.content_hash, int(now.timestamp())
        )
        due = now + timedelta(
            seconds=rng.uniform(0, poll)
        )  # spread over one interval, as the window opens
        await store.grades.set_enabled(user, True, int(due.timestamp()))

    chosen = rng.sample(range(students), posted_count)
    posts: dict[int, float] = {}
    start = time.monotonic()

    async def post(i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        student = generated_student(i)
        simulator.grades.post(student.code, student.careers[0].courses[0].nrc, "95")
        posts[FIRST_USER + i] = time.monotonic()

    posting = [asyncio.create_task(post(i, rng.uniform(poll, 2 * poll))) for i in chosen]
    cpu_before = resource.getrusage(resource.RUSAGE_THREAD)
    logins_before = sum(simulator.logins.values())
    duration = args.intervals * poll
    print(
        f"running {duration} s (interval {poll} s, {posted_count} grades posted)…", file=sys.stderr
    )
    while time.monotonic() - start < duration or (
        len(recorder.arrivals) < posted_count and time.monotonic() - start < duration + 2 * poll
    ):
        await service.pump()
        await asyncio.sleep(min(settings.grades.tick_seconds, 1.0))
    elapsed = time.monotonic() - start
    cpu_after = resource.getrusage(resource.RUSAGE_THREAD)
    await asyncio.gather(*posting)
    await service.aclose()
    await workflow.aclose()
    await store.engine.dispose()
    simulator.stop()

    checks = sum(v for k, v in service.outcomes.items() if k.startswith("check:"))
    logins = sum(simulator.logins.values()) - logins_before
    latencies = [recorder.arrivals[u][0] - posts[u] for u in posts if u in recorder.arrivals]
    duplicates = sum(n - 1 for n in recorder.texts.values() if n > 1)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    implied = poll + jitter / 2  # the mean interval the settings ask for
    measured = students * elapsed / max(1, logins)  # the mean interval between a student's logins
    print(
        f"students {students}, interval {poll} s (+≤{jitter} s jitter), "
        f"{args.latency * 1000:.0f} ms per request, GRADES_CONCURRENCY {settings.grades.concurrency}, "
        f"SIIAU_MAX_CONCURRENCY {settings.siiau.max_concurrency}, ran {elapsed:.0f} s"
    )
    print(
        f"checks {checks} ({dict(service.outcomes)}); logins {logins}; sessions left open {len(simulator.open_sessions())}"
    )
    print(
        f"mean interval between a student's logins: {measured:.1f} s measured, {implied:.1f} s set; "
        f"logins per student per day at GRADES_POLL_SECONDS=10800: {86400 / (measured * 10800 / poll):.2f} "
        f"(implied {86400 / (10800 + 15):.2f})"
    )
    if latencies:
        p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        print(
            f"posted → alert latency: p50 {p50:.1f} s, p95 {p95:.1f} s, max {max(latencies):.1f} s "
            f"(goal ≤ interval + 60 s = {poll + 60} s); as a share of the interval p95 {p95 / poll:.2f}"
        )
    print(
        f"grades posted {len(posts)}, alerts sent {sum(recorder.texts.values())}, duplicates {duplicates}, "
        f"missing {len(posts) - len(latencies)}"
    )
    print(
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (bot and simulator in one "
        f"process); CPU per check {cpu / max(1, checks) * 1000:.1f} ms (the bot's thread only)"
    )


if __name__ == "__main__":
    asyncio.run(main())
