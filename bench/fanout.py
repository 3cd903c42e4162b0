"""Weekly fan-out benchmark: N subscribers due at once, through the real bot process.

The SIIAU simulator answers every request after `--siiau-latency` (300 ms), the
Bot API stand-in enforces 30 sends/s, and all N subscriptions are forced due.
Reports wall time against the Telegram floor (N/30 s), peak RSS, peak SIIAU
concurrency, 429s and deliveries. `--unchanged 0.5` first delivers a week to
everyone (not measured), then changes half of the schedules, so the measured
week re-sends the other half by file_id.

    .venv/bin/python bench/fanout.py --users 10000
    .venv/bin/python bench/fanout.py --users 1000 --unchanged 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.sim.botapi import BotApiStandIn
from bot.sim.seed import seed_subscribers
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.students import SimCourse, SimSession, generated_student
from bot.store.crypto import CredentialCipher

TOKEN = "200000002:" + "B" * 35
FIRST_USER = 1_000_000


def force_due(db_path: Path) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM weekly_deliveries")  # a new week for everyone
        db.execute("UPDATE subscriptions SET next_due_ts = CAST(strftime('%s','now') AS INTEGER) - 1,"
                   " pending_due_ts = NULL, lease_until_ts = NULL, attempts = 0")  # fmt: skip


def tree_rss_kib(pid: int) -> tuple[int, int]:
    """(RSS of pid, RSS of pid and all its descendants), in KiB, from /proc."""
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
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return rss.get(pid, 0), total


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user+system CPU of pid, of its waited-for children), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


def start_bot(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (workdir / "bot.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(botapi: BotApiStandIn, process: subprocess.Popen[bytes], before: int) -> None:
    deadline = time.monotonic() + 60
    while botapi.calls["setMyCommands"] <= before:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("bot did not start; see bot.log")
        time.sleep(0.05)


def stop_bot(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def deliver_week(botapi: BotApiStandIn, process: subprocess.Popen[bytes], db_path: Path, users: int,
                 timeout: float) -> tuple[float, int, int]:  # fmt: skip
    """Force everyone due; wait until every user has one more document. (seconds, rss, tree rss)."""
    target = {FIRST_USER + i: botapi.documents_sent[FIRST_USER + i] + 1 for i in range(users)}
    peak_rss = peak_tree = 0
    force_due(db_path)
    started = time.monotonic()
    while True:
        done = sum(1 for user, n in target.items() if botapi.documents_sent[user] >= n)
        rss, tree = tree_rss_kib(process.pid)
        peak_rss, peak_tree = max(peak_rss, rss), max(peak_tree, tree)
        if done == users:
            return time.monotonic() - started, peak_rss, peak_tree
        if time.monotonic() - started > timeout or process.poll() is not None:
            raise RuntimeError(f"only {done}/{users} delivered; see bot.log")
        time.sleep(0.5)


def change_schedule(siiau: SiiauSimulator, code: str) -> None:
    career = siiau.student(code).careers[0]
    first = career.courses[0]
    career.courses[0] = SimCourse(first.nrc, first.key, first.name, first.section, first.credits,
                                  (SimSession("1900-2055", "S", "DEDX", "Z-99", "PROFESOR NUEVO"),))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--unchanged", type=float, default=0.0, help="share of schedules unchanged")
    parser.add_argument("--siiau-latency", type=float, default=0.3)
    parser.add_argument("--siiau-concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    n = args.users
    students = [generated_student(i) for i in range(n)]
    key = CredentialCipher.generate_key()
    with tempfile.TemporaryDirectory() as tmp, SiiauSimulator(students) as siiau, \
            BotApiStandIn(TOKEN, sends_per_second=30, keep_files=False) as botapi:  # fmt: skip
        workdir = Path(tmp)
        db_path = workdir / "fanout.db"
        db_url = f"sqlite+aiosqlite:///{db_path}"
        asyncio.run(seed_subscribers(db_url, key, students, FIRST_USER))
        env = {
            "PATH": os.environ["PATH"], "HOME": tmp, "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": botapi.base_url, "TELEGRAM_POLL_TIMEOUT": "5", "ENCRYPTION_KEYS": key,
            "DATABASE_URL": db_url, "SIIAU_BASE_URL": siiau.url, "LOG_LEVEL": "WARNING",
            "SIIAU_MAX_CONCURRENCY": str(args.siiau_concurrency),
            "SIIAU_MAX_LOGINS_PER_HOUR": "1000", "SIIAU_READ_TIMEOUT": "10",
            "WEEKLY_TICK_SECONDS": "1", "WEEKLY_CONCURRENCY": str(args.siiau_concurrency * 2),
        }  # fmt: skip
        process = start_bot(workdir, env)
        wait_ready(botapi, process, 0)
        if args.unchanged:
            print(f"setup week: delivering to {n} users (not measured)…", file=sys.stderr)
            deliver_week(botapi, process, db_path, n, args.timeout)
            changed = students[: round(n * (1 - args.unchanged))]
            for student in changed:
                change_schedule(siiau, student.code)
        siiau.reset_stats()
        uploads_before, too_many_before = botapi.uploads, botapi.too_many_requests
        siiau.faults.latency = args.siiau_latency
        cpu_before = cpu_seconds(process.pid)
        bench_cpu_before = time.process_time()
        seconds, rss, tree = deliver_week(botapi, process, db_path, n, args.timeout)
        bot_cpu, render_cpu = (a - b for a, b in zip(cpu_seconds(process.pid), cpu_before, strict=True))
        bench_cpu = time.process_time() - bench_cpu_before
        stop_bot(process)
        with sqlite3.connect(db_path) as db:
            outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM weekly_deliveries GROUP BY outcome"))
        floor = n / 30
        print(f"users: {n}, unchanged: {args.unchanged:.0%}, SIIAU latency {args.siiau_latency * 1000:.0f} ms/request, "
              f"SIIAU_MAX_CONCURRENCY={args.siiau_concurrency}, CPUs: {os.cpu_count()}")  # fmt: skip
        print(f"wall time:            {seconds:.1f} s (floor N/30 = {floor:.1f} s; ratio {seconds / floor:.2f}×)")
        print(f"peak RSS:             {rss / 1024:.0f} MiB bot process; {tree / 1024:.0f} MiB with wkhtmltopdf")
        print(f"peak SIIAU sessions:  {siiau.peak_sessions} (bound {args.siiau_concurrency})")
        print(f"429 answers:          {botapi.too_many_requests - too_many_before}")
        print(f"uploads:              {botapi.uploads - uploads_before} (the rest re-sent by file_id)")
        print(f"deliveries:           {sum(outcomes.values())} recorded {outcomes}; "
              f"users with a new document: {n}")  # fmt: skip
        print(f"SIIAU sessions left open: {len(siiau.open_sessions())}")
        print(f"CPU seconds:          bot {bot_cpu:.0f}, wkhtmltopdf {render_cpu:.0f}, "
              f"simulators {bench_cpu:.0f} (of {seconds * (os.cpu_count() or 1):.0f} available)")  # fmt: skip


if __name__ == "__main__":
    main()
