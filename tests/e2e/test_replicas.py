"""Several replicas on one PostgreSQL: webhook mode, shared dialogs, one delivery per user-week."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import asyncpg
import httpx
import pytest

from bench.seed import seed_subscribers
from bot.schedule import codec
from bot.siiau.schedule_page import parse_schedule
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau import pages as sim_pages
from bot.sim.siiau.students import SimStudent, generated_student
from bot.store.documents import DeliveredDocument
from tests.e2e.test_registration import register
from tests.helpers import TEST_KEY, BotProcess, until, until_async, wait_until
from tests.pg import fresh_database

SECRET = "s3cret-webhook_token"
FIRST_USER = 7_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async for url in fresh_database():
        yield url


class Replicas:
    def __init__(
        self,
        root: Path,
        botapi: BotApiStandIn,
        siiau: SiiauSimulator,
        db_url: str,
        count: int,
        **env: str,
    ) -> None:
        self.botapi = botapi
        self.processes: list[BotProcess] = []
        self.urls: list[str] = []
        for index in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}/telegram"
            workdir = root / f"replica{index}"
            workdir.mkdir()
            self.processes.append(
                BotProcess(
                    workdir,
                    botapi,
                    siiau.url,
                    {
                        "DATABASE_URL": db_url,
                        "TELEGRAM_WEBHOOK_URL": url,
                        "TELEGRAM_WEBHOOK_SECRET": SECRET,
                        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                        "TELEGRAM_WEBHOOK_PORT": str(port),
                        **env,
                    },
                )
            )
            self.urls.append(url)
        botapi.route_webhook_to(self.urls)

    def start(self) -> Replicas:
        registered = self.botapi.calls["setWebhook"]
        for process in self.processes:
            process.start()
        # post_init (which start() waits for) runs before the webhook server and setWebhook.
        wait_until(
            lambda: self.botapi.calls["setWebhook"] >= registered + len(self.processes),
            "replicas did not register their webhook",
        )
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        return "".join(p.log_text() for p in self.processes)


class MakeReplicas(Protocol):
    """The `replicas_factory` fixture: started replicas, stopped (and their logs checked) after."""

    def __call__(self, db_url: str, count: int, **env: str) -> Replicas: ...


@pytest.fixture
def replicas_factory(
    tmp_path: Path, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> Iterator[MakeReplicas]:
    made: list[Replicas] = []

    def make(db_url: str, count: int, **env: str) -> Replicas:
        made.append(Replicas(tmp_path, botapi, siiau, db_url, count, **env).start())
        return made[-1]

    yield make
    for replicas in made:
        replicas.stop()
        for secret in (DEMO_NIP, SECRET):
            assert secret not in replicas.logs()


async def test_webhook_mode_serves_updates_and_rejects_a_wrong_secret(
    pg_url: str,
    botapi: BotApiStandIn,
    replicas_factory: MakeReplicas,
) -> None:
    replicas = replicas_factory(pg_url, 1)
    assert botapi.webhook == (replicas.urls[0], SECRET)
    hello = botapi.user_says(100, "/start")
    botapi.wait_for_text(100, "Hola", after=hello)
    update = {
        "update_id": 999_999,
        "message": {
            "message_id": 50,
            "date": int(time.time()),
            "text": "/start",
            "chat": {"id": 101, "type": "private"},
            "from": {"id": 101, "is_bot": False, "first_name": "X"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with httpx.AsyncClient() as http:
        wrong = await http.post(
            replicas.urls[0], json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        missing = await http.post(replicas.urls[0], json=update)
    assert wrong.status_code == 403 and missing.status_code == 403
    hello = botapi.user_says(100, "/start")  # an update that does get in, after the refused ones
    botapi.wait_for_text(100, "Hola", after=hello)
    assert botapi.bot_messages(101) == []


async def test_a_registration_dialog_across_two_replicas_completes(
    pg_url: str,
    botapi: BotApiStandIn,
    siiau: SiiauSimulator,
    replicas_factory: MakeReplicas,
) -> None:
    replicas = replicas_factory(pg_url, 2)
    await asyncio.to_thread(register, botapi, 200, DEMO_CODE, DEMO_NIP)
    assert "SIIAU aceptó tus datos" in botapi.bot_messages(200)[-1].text
    assert all(botapi.webhook_posts[url] >= 1 for url in replicas.urls), botapi.webhook_posts
    asked = botapi.user_says(200, "/horario")
    await asyncio.to_thread(botapi.wait_for, 200, lambda m: m.file_id is not None, 60, asked)


def already_delivered(botapi: BotApiStandIn, student: SimStudent) -> DeliveredDocument:
    """What last week's delivery left behind: Telegram holds the PDF of this very schedule."""
    career = student.careers[0]
    page = sim_pages.schedule(student, career, sim_pages.CURRENT_CYCLE, career.courses)
    schedule = parse_schedule(page, career=career.code)
    file_id = botapi.hold_file(b"%PDF-1.4 last week", f"horario_{schedule.term}.pdf")
    anonymous = replace(schedule, student_code="", student_name="")
    return DeliveredDocument(schedule.content_hash, file_id, schedule.term, codec.dumps(anonymous))


async def settled(connection: asyncpg.Connection, users: int) -> bool:
    """Every user-week has its outcome and no claim is held: nothing can be in flight."""
    outcomes = await connection.fetchval("SELECT count(*) FROM weekly_deliveries")
    held = await connection.fetchval(
        "SELECT count(*) FROM subscriptions WHERE lease_until_ts IS NOT NULL"
    )
    return bool(outcomes == users and held == 0)


@pytest.mark.slow
async def test_three_replicas_deliver_each_user_week_once_even_when_one_is_killed(
    pg_url: str,
    botapi: BotApiStandIn,
    siiau: SiiauSimulator,
    replicas_factory: MakeReplicas,
) -> None:
    """240 subscribers over 3 replicas (each runs 12 at a time, so a third of the users are
    in flight or done at the kill); as in most weeks, most schedules did not change (4 in 5
    here), so those are re-sent by file_id and the rest rendered and uploaded, interleaved by
    user. The same at 1,000 users, with timings: `bench/fanout.py --replicas 3 --kill`."""
    users = 240
    students = [generated_student(i) for i in range(users)]
    for student in students:
        siiau.add_student(student)
    changed = {FIRST_USER + i for i in range(0, users, 5)}
    unchanged = {
        FIRST_USER + i: already_delivered(botapi, s)
        for i, s in enumerate(students)
        if FIRST_USER + i not in changed
    }
    await seed_subscribers(pg_url, TEST_KEY, students, FIRST_USER, delivered=unchanged)
    replicas = replicas_factory(
        pg_url,
        3,
        SIIAU_MAX_CONCURRENCY="6",
        WEEKLY_LEASE_SECONDS="6",
        SHARED_LEASE_SECONDS="3",
        WEEKLY_CONCURRENCY="12",
        LOG_LEVEL="INFO",
        TELEGRAM_SENDS_PER_SECOND="9",
        SIIAU_READ_TIMEOUT="120",  # SIIAU is held around the kill: no read may time out meanwhile
    )
    siiau.reset_stats()
    uploads_before = botapi.uploads
    connection = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
    await connection.execute(
        "UPDATE subscriptions SET next_due_ts = extract(epoch from now())::bigint - 1"
    )

    def delivered() -> int:
        return sum(1 for i in range(users) if botapi.documents_sent[FIRST_USER + i])

    await until(lambda: delivered() >= users // 3, "the fan-out did not get going")
    # Whatever reaches SIIAU or Telegram now waits; once every document Telegram took is on
    # record, a kill can only cut work short (redone later), never a send between the two.
    siiau.hold()
    botapi.hold_documents()

    async def all_sent_on_record() -> bool:
        recorded = await connection.fetchval(
            "SELECT count(*) FROM weekly_deliveries WHERE outcome IN ('sent', 'resent_unchanged')"
        )
        return bool(botapi.documents_passing() == 0 and recorded == delivered())

    await until_async(all_sent_on_record, "sent documents never reached the record")
    peak_before_kill = siiau.peak_sessions
    victim = replicas.processes[1]
    await asyncio.to_thread(victim.kill)
    assert delivered() < users, "the kill must land mid fan-out"
    siiau.release()
    botapi.release_documents()
    await until(lambda: delivered() == users, "not every user was delivered")
    await until_async(lambda: settled(connection, users), "outcomes were not all recorded")
    per_user = Counter(
        {FIRST_USER + i: botapi.documents_sent[FIRST_USER + i] for i in range(users)}
    )
    assert set(per_user.values()) == {1}, {u: n for u, n in per_user.items() if n != 1}
    rows = await connection.fetch(
        "SELECT outcome, count(*) FROM weekly_deliveries GROUP BY outcome"
    )
    await connection.close()
    assert {r["outcome"]: r["count"] for r in rows} == {
        "sent": len(changed),
        "resent_unchanged": len(unchanged),
    }
    assert botapi.uploads - uploads_before == len(changed), (
        "an unchanged schedule was rendered and uploaded"
    )
    assert peak_before_kill <= 6, "the SIIAU session bound must hold across replicas"
    assert victim.sessions_left_open(siiau) == {}
    assert len(siiau.open_sessions()) <= 6  # what the victim's slots had in flight, at most
    crashes = [line for line in replicas.logs().splitlines() if "weekly delivery crashed" in line]
    assert crashes == []
