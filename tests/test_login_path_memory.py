"""The login path that worked, kept in the database: replicas share it, and it is
rechecked daily (believed for 24 h from when it was learned, on an injected clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau.client import LoginPathMemory, SiiauClientFactory
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.db import create_engine, migrate
from bot.store.login_path import DatabaseLoginPaths
from tests.workflow_kit import ManualClock

DAY = 24 * 3600
REREAD = 60  # LoginPathMemory keeps what the store said this long
DEMO = Credentials(DEMO_CODE, DEMO_NIP)


class Broken:
    async def load(self) -> tuple[str, float] | None:
        raise OSError("database down")

    async def save(self, path: str, since: float) -> None:
        raise OSError("database down")


class CountingPaths(DatabaseLoginPaths):
    saves = 0

    async def save(self, path: str, since: float) -> None:
        CountingPaths.saves += 1
        await super().save(path, since)


async def test_believed_for_a_day_from_when_it_was_learned() -> None:
    clock = ManualClock()
    memory = LoginPathMemory(clock=clock)
    assert await memory.preferred() is None
    await memory.remember("direct", None)
    clock.advance(DAY - 1)
    assert await memory.preferred() == "direct"
    await memory.remember(
        "direct", "direct"
    )  # worked again: the day still counts from the first time
    clock.advance(1)
    assert await memory.preferred() is None, "a day later auto tries the Portal first again"


async def test_a_store_that_fails_costs_the_preference_not_the_login() -> None:
    memory = LoginPathMemory(Broken())
    assert await memory.preferred() is None
    await memory.remember("portal", None)  # logged, not raised


async def test_replicas_share_the_path_in_the_database(db_url: str) -> None:
    clock = ManualClock()
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        await migrate(engines[0])
        first, second = (LoginPathMemory(DatabaseLoginPaths(e), clock=clock) for e in engines)
        assert await second.preferred() is None
        await first.remember("direct", None)
        assert await second.preferred() is None, "what the store said is kept for a minute"
        clock.advance(REREAD)
        assert await second.preferred() == "direct"  # learned by one replica, used by the other
        clock.advance(DAY)
        assert await second.preferred() is None
        await second.remember("portal", None)
        clock.advance(REREAD)
        assert await first.preferred() == "portal"
        async with engines[0].connect() as connection:
            rows = (await connection.execute(text("SELECT key, path FROM login_paths"))).all()
        assert [tuple(r) for r in rows] == [("siiau", "portal")]
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=8) as simulator:
        yield simulator
        assert simulator.open_sessions() == []


async def test_a_replica_goes_straight_to_the_path_another_learned_and_rechecks_a_day_later(
    siiau: SiiauSimulator, tmp_path: object
) -> None:
    siiau.faults.login_paths = {"direct"}  # the Portal answers 404
    clock = ManualClock()
    url = f"sqlite+aiosqlite:///{tmp_path}/paths.db"
    engines = [create_engine(url), create_engine(url)]
    settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login="auto")
    try:
        await migrate(engines[0])
        replicas = [
            SiiauClientFactory(settings, LoginPathMemory(CountingPaths(e), clock=clock))
            for e in engines
        ]

        async def login_with(replica: SiiauClientFactory) -> int:
            siiau.reset_stats()
            client = replica()
            try:
                await client.login(DEMO)
                assert client.login_path == "direct"
            finally:
                await client.logout()
                await client.aclose()
            return siiau.requests - 1  # without the logout

        assert await login_with(replicas[0]) == 1 + 3  # the Portal's 404, then the direct path
        assert await login_with(replicas[1]) == 3  # the other replica: straight to the direct path
        assert CountingPaths.saves == 1, "a path that keeps working is not written again"
        clock.advance(DAY)
        assert await login_with(replicas[1]) == 1 + 3  # rechecked daily: the Portal first again
        assert await login_with(replicas[0]) == 3
        assert CountingPaths.saves == 2
    finally:
        for engine in engines:
            await engine.dispose()
