"""Weekly fan-out benchmark: N subscribers due at once, through the real bot process.

The SIIAU simulator answers every request after `--siiau-latency` (300 ms), the
Bot API stand-in enforces 30 sends/s, and all N subscriptions are forced due.
Reports wall time against the Telegram floor (N/30 s), peak RSS, peak SIIAU
concurrency, 429s and deliveries. `--unchanged 0.5` first delivers a week to
everyone (not measured), then changes half of the schedules, so the measured
week re-sends the other half by file_id.

`--kill` (with `--replicas` 2 or more) is the exactly-once check at scale that
`tests/e2e/test_replicas.py` runs at 240 users: once a third of the users have
their document, SIIAU and sendDocument are held, and when every document
Telegram took is on record one replica is killed with SIGKILL; the others take
its lapsed claims over. It reports how many users got exactly one document and
exits 1 if any got none or more than one (or an outcome other than sent /
re-sent, or a crash, was recorded).

    .venv/bin/python bench/fanout.py --users 10000
    .venv/bin/python bench/fanout.py --users 1000 --unchanged 0.5
    .venv/bin/python bench/fanout.py --users 1000 --replicas 3 --db postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/fanout.py --users 1000 --replicas 3 --kill --unchanged 0.8 \
        --db postgresql://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Run as a script (`python bench/x.py`), Python puts bench/ on the path; the sibling modules
# are imported as `bench.*`, as the tests do, so the checkout's root goes on it too.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench.chatbot import stop_bot
from bench.seed import seed_subscribers
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.students import SimCourse, SimSession, generated_student
from bot.store.crypto import CredentialCipher

TOKEN = "200000002:" + "B" * 35
FIRST_USER = 1_000_000


NEW_WEEK = [
    "DELETE FROM weekly_deliveries",  # a new week for everyone
    "UPDATE subscriptions SET next_due_ts = {now} - 1, pending_due_ts = NULL, lease_until_ts = NULL, attempts = 0",
]


def force_due(db_url: str) -> None:
    now = int(time.time())
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.split(":///", 1)[1]) as db:
            for statement in NEW_WEEK:
                db.execute(statement.format(now=now))
    else:
        asyncio.run(_execute(db_url, [s.format(now=now) for s in NEW_WEEK]))


async def _execute(db_url: str, statements: list[str]) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        result: list[asyncpg.Record] = []
        for statement in statements:
            result = await connection.fetch(statement)
        return result
    finally:
        await connection.close()


def _count(db_url: str, query: str) -> dict[str, int]:
    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.split(":///", 1)[1]) as db:
            return dict(db.execute(query))
    return {r[0]: r[1] for r in asyncio.run(_execute(db_url, [query]))}


def outcomes(db_url: str) -> dict[str, int]:
    return _count(db_url, "SELECT outcome, COUNT(*) FROM weekly_deliveries GROUP BY outcome")


def leases_held(db_url: str) -> int:
    query = "SELECT 'held', COUNT(*) FROM subscriptions WHERE lease_until_ts IS NOT NULL"
    return _count(db_url, query).get("held", 0)


def sent_on_record(db_url: str) -> int:
    recorded = outcomes(db_url)
    return recorded.get("sent", 0) + recorded.get("resent_unchanged", 0)


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.05)


@dataclass
class Kill:
    """`kill -9` one replica mid fan-out, once `at` users have their document.

    SIIAU and sendDocument are held first, and the kill waits until every document
    Telegram took is on record: a kill then cuts only work that is redone later, never
    a send between Telegram's answer and our commit (the one window no process can
    close; README, "Weekly deliveries"). The rest is released right after the kill.
    """

    victim: subprocess.Popen[bytes]
    at: int
    siiau: SiiauSimulator
    botapi: BotApiStandIn
    db_url: str
    done_when: int = 0  # users with their document when it was killed
    seconds_in: float = 0.0
    cpu: tuple[float, float] = (0.0, 0.0)  # the victim's, just before
    peak_sessions: int = 0  # SIIAU sessions at once, up to the kill

    @property
    def killed(self) -> bool:
        return self.victim.returncode is not None

    def __call__(self, done: Callable[[], int], started: float, timeout: float) -> None:
        self.siiau.hold()
        self.botapi.hold_documents()
        wait_for(
            lambda: self.botapi.documents_passing() == 0 and sent_on_record(self.db_url) == done(),
            "sent documents never reached the record",
            timeout,
        )
        self.peak_sessions = self.siiau.peak_sessions
        self.cpu = cpu_seconds(self.victim.pid)
        self.victim.send_signal(signal.SIGKILL)
        self.victim.wait()
        self.done_when, self.seconds_in = done(), time.monotonic() - started
        self.siiau.release()
        self.botapi.release_documents()


@contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """SQLite in the work dir, or a fresh database on the PostgreSQL server of --db."""
    if not args.db:
        yield f"sqlite+aiosqlite:///{workdir}/fanout.db"
        return
    name = f"horario_bench_{uuid.uuid4().hex[:8]}"
    admin = args.db.replace("+asyncpg", "")
    asyncio.run(_execute(admin, [f'CREATE DATABASE "{name}"']))
    try:
        yield (
            admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
            + f"/{name}"
        )
    finally:
        asyncio.run(_execute(admin, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))


def tree_rss_kib(pids: list[int]) -> list[tuple[int, int]]:
    """For each pid: (its RSS, RSS of it and all its descendants), in KiB, from one /proc scan."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    sizes = []
    for pid in pids:
        total, stack = 0, [pid]
        while stack:
            current = stack.pop()
            total += rss.get(current, 0)
            stack.extend(children.get(current, []))
        sizes.append((rss.get(pid, 0), total))
    return sizes


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user+system CPU of pid, of its waited-for children), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


def start_bot(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (workdir / "bot.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_ready(botapi: BotApiStandIn, process: subprocess.Popen[bytes], before: int) -> None:
    deadline = time.monotonic() + 60
    while botapi.calls["setMyCommands"] <= before:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("bot did not start; see bot.log")
        time.sleep(0.05)


def deliver_week(
    botapi: BotApiStandIn,
    processes: list[subprocess.Popen[bytes]],
    db_url: str,
    users: int,
    timeout: float,
    kill: Kill | None = None,
) -> tuple[float, int, int]:
    """Force everyone due; wait until every user has one more document (and, with `kill`,
    until every user-week has its outcome and no claim is leased).

    Returns (seconds, peak RSS of the largest bot process, peak RSS of all of them with renderers).
    """
    target = {FIRST_USER + i: botapi.documents_sent[FIRST_USER + i] + 1 for i in range(users)}
    peak_rss = peak_tree = 0

    def delivered() -> int:
        return sum(1 for user, n in target.items() if botapi.documents_sent[user] >= n)

    force_due(db_url)
    started = time.monotonic()
    while True:
        done = delivered()
        alive = [p for p in processes if kill is None or p is not kill.victim]
        sizes = tree_rss_kib([p.pid for p in alive])
        peak_rss = max(peak_rss, max(rss for rss, _ in sizes))
        peak_tree = max(peak_tree, sum(tree for _, tree in sizes))
        if kill is not None and not kill.killed and done >= kill.at:
            kill(delivered, started, timeout)
            continue
        if done == users:
            if kill is not None:
                wait_for(
                    lambda: sum(outcomes(db_url).values()) == users and leases_held(db_url) == 0,
                    "outcomes were not all recorded",
                    timeout,
                )
            return time.monotonic() - started, peak_rss, peak_tree
        if time.monotonic() - started > timeout or any(p.poll() is not None for p in alive):
            raise RuntimeError(f"only {done}/{users} delivered; see bot.log")
        time.sleep(0.05 if kill is not None and not kill.killed else 0.5)


def change_schedule(siiau: SiiauSimulator, code: str) -> None:
    career = siiau.student(code).careers[0]
    first = career.courses[0]
    career.courses[0] = SimCourse(
        first.nrc,
        first.key,
        first.name,
        first.section,
        first.credits,
        (SimSession("1900-2055", "S", "DEDX", "Z-99", "PROFESOR NUEVO"),),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--unchanged", type=float, default=0.0, help="share of schedules unchanged")
    parser.add_argument("--siiau-latency", type=float, default=0.3)
    parser.add_argument("--siiau-concurrency", type=int, default=64)
    parser.add_argument(
        "--replicas", type=int, default=1, help="bot processes (webhook mode when > 1)"
    )
    parser.add_argument(
        "--db",
        default="",
        help="PostgreSQL server DSN, e.g. postgresql://postgres@127.0.0.1/postgres",
    )
    parser.add_argument(
        "--kill", action="store_true", help="kill -9 a replica mid fan-out; check exactly once"
    )
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if args.kill and args.replicas < 2:
        parser.error("--kill needs --replicas 2 or more")
    n = args.users
    students = [generated_student(i) for i in range(n)]
    key = CredentialCipher.generate_key()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SiiauSimulator(students) as siiau,
        BotApiStandIn(TOKEN, sends_per_second=30, keep_files=False) as botapi,
        database(args, Path(tmp)) as db_url,
    ):
        workdir = Path(tmp)
        asyncio.run(seed_subscribers(db_url, key, students, FIRST_USER))
        base_env = {
            "PATH": os.environ["PATH"],
            "HOME": tmp,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "5",
            "ENCRYPTION_KEYS": key,
            "DATABASE_URL": db_url,
            "SIIAU_BASE_URL": siiau.url,
            "SIIAU_PORTAL_URL": siiau.url,
            "LOG_LEVEL": "WARNING",
            "SIIAU_MAX_CONCURRENCY": str(args.siiau_concurrency),
            "SIIAU_MAX_LOGINS_PER_HOUR": "1000",
            "SIIAU_READ_TIMEOUT": "10",
            "WEEKLY_TICK_SECONDS": "1",
            "WEEKLY_CONCURRENCY": str(max(4, args.siiau_concurrency * 2 // args.replicas)),
            # The replicas share one Bot API budget: each paces itself at its share of it.
            "TELEGRAM_SENDS_PER_SECOND": str(29 / args.replicas),
        }
        if args.kill:
            # Short leases, so the survivors take the victim's claims over soon; SIIAU is held
            # around the kill, so no read may time out meanwhile.
            base_env.update(
                {
                    "WEEKLY_LEASE_SECONDS": "6",
                    "SHARED_LEASE_SECONDS": "3",
                    "SIIAU_READ_TIMEOUT": "120",
                    "LOG_LEVEL": "INFO",
                }
            )
        processes, webhooks = [], []
        for index in range(args.replicas):
            env = dict(base_env)
            if args.replicas > 1:
                port = _free_port()
                url = f"http://127.0.0.1:{port}/telegram"
                env.update(
                    {
                        "TELEGRAM_WEBHOOK_URL": url,
                        "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                        "TELEGRAM_WEBHOOK_PORT": str(port),
                    }
                )
                webhooks.append(url)
            (workdir / f"r{index}").mkdir()
            processes.append(start_bot(workdir / f"r{index}", env))
            wait_ready(botapi, processes[-1], index)
        if webhooks:
            botapi.route_webhook_to(webhooks)
        if args.unchanged:
            print(f"setup week: delivering to {n} users (not measured)…", file=sys.stderr)
            deliver_week(botapi, processes, db_url, n, args.timeout)
            for student in students[: round(n * (1 - args.unchanged))]:
                change_schedule(siiau, student.code)
        siiau.reset_stats()
        uploads_before, too_many_before = botapi.uploads, botapi.too_many_requests
        documents_before = {FIRST_USER + i: botapi.documents_sent[FIRST_USER + i] for i in range(n)}
        siiau.faults.latency = args.siiau_latency
        kill = Kill(processes[1], n // 3, siiau, botapi, db_url) if args.kill else None
        cpu_before = [cpu_seconds(p.pid) for p in processes]
        bench_cpu_before = time.process_time()
        seconds, rss, tree = deliver_week(botapi, processes, db_url, n, args.timeout, kill)
        cpu_after = [
            kill.cpu if kill and p is kill.victim else cpu_seconds(p.pid) for p in processes
        ]
        bot_cpu = sum(a[0] - b[0] for a, b in zip(cpu_after, cpu_before, strict=True))
        render_cpu = sum(a[1] - b[1] for a, b in zip(cpu_after, cpu_before, strict=True))
        bench_cpu = time.process_time() - bench_cpu_before
        for process in processes:
            stop_bot(process)
        recorded = outcomes(db_url)
        floor = n / 30
        backend = "PostgreSQL" if args.db else "SQLite"
        print(
            f"users: {n}, unchanged: {args.unchanged:.0%}, replicas: {args.replicas} on {backend}, "
            f"SIIAU latency {args.siiau_latency * 1000:.0f} ms/request, "
            f"SIIAU_MAX_CONCURRENCY={args.siiau_concurrency}, CPUs: {os.cpu_count()}"
        )
        print(
            f"wall time:            {seconds:.1f} s (floor N/30 = {floor:.1f} s; ratio {seconds / floor:.2f}×)"
        )
        print(
            f"peak RSS:             {rss / 1024:.0f} MiB largest bot process; "
            f"{tree / 1024:.0f} MiB all bot processes with wkhtmltopdf"
        )
        print(f"peak SIIAU sessions:  {siiau.peak_sessions} (bound {args.siiau_concurrency})")
        print(f"429 answers:          {botapi.too_many_requests - too_many_before}")
        print(
            f"uploads:              {botapi.uploads - uploads_before} (the rest re-sent by file_id)"
        )
        print(
            f"deliveries:           {sum(recorded.values())} recorded {recorded}; users with a new document: {n}"
        )
        print(f"SIIAU sessions left open: {len(siiau.open_sessions())}")
        print(
            f"CPU seconds:          bot {bot_cpu:.0f}, wkhtmltopdf {render_cpu:.0f}, "
            f"simulators {bench_cpu:.0f} (of {seconds * (os.cpu_count() or 1):.0f} available)"
        )
        if kill is not None:
            sys.exit(
                report_kill(
                    kill,
                    n,
                    seconds,
                    recorded,
                    workdir,
                    {
                        user: botapi.documents_sent[user] - before
                        for user, before in documents_before.items()
                    },
                )
            )


def report_kill(
    kill: Kill,
    users: int,
    seconds: float,
    recorded: dict[str, int],
    workdir: Path,
    documents: dict[int, int],
) -> int:
    """Print what the kill did; 0 when every user got exactly one document, else 1."""
    per_user = collections.Counter(documents.values())
    crashes = sum(
        log.read_text().count("weekly delivery crashed") for log in workdir.glob("r*/bot.log")
    )
    once = per_user[1] == users and set(recorded) <= {"sent", "resent_unchanged"} and crashes == 0
    if not kill.killed:
        print("kill -9:              never happened (the fan-out ended first)")
        return 1
    print(
        f"kill -9:              replica 1 at {kill.done_when}/{users} delivered, {kill.seconds_in:.1f} s in; "
        f"peak SIIAU sessions up to then {kill.peak_sessions}"
    )
    print(
        f"exactly once:         {'yes' if once else 'NO'}: {per_user[1]} users with one document, "
        f"{sum(c for k, c in per_user.items() if k > 1)} with more, {per_user[0]} with none; "
        f"{crashes} crashed deliveries logged"
    )
    return 0 if once else 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
