from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.offer_server import OfferSimulator
from tests import workflow_kit
from tests.helpers import DEMO_NIPS, TEST_TOKEN, BotProcess, assert_no_secrets
from tests.pg import fresh_database

REPO = Path(__file__).resolve().parent.parent
# Settings built in tests read the environment: a test that forgets to point the Portal at
# a simulator reaches a closed local port, never the real host.
os.environ.setdefault("SIIAU_PORTAL_URL", "http://127.0.0.1:9")


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=7) as simulator:
        yield simulator


@pytest.fixture
def offer() -> Iterator[OfferSimulator]:
    """The public course offer; a `bot` in the same test is pointed at it."""
    with OfferSimulator() as simulator:
        yield simulator


@pytest.fixture
def botapi() -> Iterator[BotApiStandIn]:
    with BotApiStandIn(TEST_TOKEN) as stand_in:
        yield stand_in
    # Telegram takes one answer per press: a handler that answers twice gets a 400 it may swallow.
    assert stand_in.answers_refused == 0, "a callback query was answered twice"


TIER_MARKS = ("e2e", "render", "slow")


def _start_order(item: pytest.Item) -> int:
    """Longest first: slow, then e2e (a bot process, seconds each), then render, then the
    unit tier (mostly milliseconds)."""
    for rank, mark in enumerate(("slow", "e2e", "render")):
        if item.get_closest_marker(mark):
            return rank
    return len(TIER_MARKS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests/e2e/ as e2e, and start the longest tests first. The workers take one test
    at a time, in this order (`--maxschedchunk 1`, Makefile), so the long tests run beside
    the many short ones and the last minute is short tests on every worker, not one worker
    still working through a queue of bot processes."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=_start_order)  # stable: collection order within a tier


@pytest.fixture(autouse=True)
def _unit_tier_starts_no_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit tier is the one without tier marks: it must not start the bot or wkhtmltopdf."""
    if any(request.node.get_closest_marker(mark) for mark in TIER_MARKS):
        return

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a unit-tier test started a process: mark it e2e or render")

    monkeypatch.setattr(asyncio, "create_subprocess_exec", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.fixture
def bot(
    request: pytest.FixtureRequest, tmp_path: Path, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> Iterator[BotProcess]:
    """The real bot, polling the stand-in. On teardown: no NIP or token in its log or DB."""
    marker = request.node.get_closest_marker("bot_env")
    extra = {k: str(v) for k, v in (marker.kwargs if marker else {}).items()}
    offer_url = request.getfixturevalue("offer").url if "offer" in request.fixturenames else None
    process = BotProcess(tmp_path, botapi, siiau.url, extra, offer_url=offer_url).start()
    yield process
    process.stop()
    files = [process.log_path, *process.db_path.parent.glob("horario.db*")]
    typed = [t for t in botapi.user_texts() if not t.startswith("/")]  # codes, NIPs, wrong NIPs
    nips = [s.nip for s in siiau.students()]
    assert_no_secrets(files, DEMO_NIPS + nips + typed + [TEST_TOKEN, TEST_TOKEN.split(":")[1]])
    assert process.sessions_left_open(siiau) == {}, "the bot left a SIIAU session open"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on both back ends: embedded SQLite and a real PostgreSQL server. The
    PostgreSQL one is a copy of a database the migrations already brought to head (tests/pg.py):
    the test's own `migrate` finds nothing to do, and 34 tests skip 15 migrations each. Starting
    from an empty PostgreSQL database is the replica tests' (tests/e2e/test_replicas.py)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/horario.db"
        return
    async for url in fresh_database(migrated=True):
        yield url


@pytest.fixture(autouse=True)
async def _close_workflows() -> AsyncIterator[None]:
    """Stop the pre-started wkhtmltopdf processes of workflows a test built."""
    yield
    while workflow_kit.CREATED:
        await workflow_kit.CREATED.pop().aclose()
