"""/healthz: a real write probe, the breaker, and where the ops server listens."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import BotSettings
from bot.ops.http import HealthSources, OpsServer, health
from bot.services.runtime import metrics
from bot.services.runtime.breaker import CircuitBreaker
from bot.services.runtime.heartbeat import HeartbeatService
from bot.services.timetable.weekly import WeeklyView
from bot.store.db import create_engine, migrate
from bot.store.heartbeat import HeartbeatStore
from bot.telegram.texts import common
from bot.telegram.texts.weekly import weekly_line_of
from tests.weekly_kit import ZONE
from tests.workflow_kit import ManualClock


async def test_healthz_is_degraded_while_the_database_cannot_write_or_the_breaker_is_open(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/h.db")
    await migrate(engine)
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=1, cooldown=60, clock=clock)
    heartbeat = HeartbeatService(HeartbeatStore(engine))
    sources = HealthSources(heartbeat, breaker, tick_seconds=30, probe_timeout=0.5)
    metrics.LAST_TICK.set(time.time())
    ok, body = await health(sources)
    assert ok and body["database"] == "ok" and body["status"] == "ok"

    locker = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another writer holds the database: no write can commit
    try:
        ok, body = await health(sources)
        assert not ok and body["database"] == "read_only" and body["status"] == "degraded"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    ok, body = await health(sources)
    assert ok and body["database"] == "ok"

    await breaker.record_failure()
    ok, body = await health(sources)
    assert not ok and body["siiau_breaker"] == "open" and body["database"] == "ok"
    clock.advance(61)  # half-open: a trial may go through, so the replica is not reported down
    ok, body = await health(sources)
    assert ok and body["siiau_breaker"] == "half_open"
    await engine.dispose()


async def test_ops_endpoints_listen_on_loopback_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_HOST", raising=False)
    assert BotSettings(_env_file=None).metrics_host == "127.0.0.1"  # type: ignore[call-arg]
    monkeypatch.setenv("METRICS_HOST", "0.0.0.0")
    assert BotSettings(_env_file=None).metrics_host == "0.0.0.0"  # type: ignore[call-arg]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/h.db")
    server = OpsServer(
        HealthSources(HeartbeatService(HeartbeatStore(engine)), CircuitBreaker(5, 60), 30), 0
    )
    await server.start()
    try:
        assert server._server is not None
        assert {s.getsockname()[0] for s in server._server.sockets} == {"127.0.0.1"}
    finally:
        await server.stop()
        await engine.dispose()


def test_a_due_time_or_a_run_on_a_sunday_is_written_out() -> None:
    sunday = datetime(2026, 11, 29, 7, 0, tzinfo=ZONE)
    assert sunday.weekday() == 6
    assert common.when(sunday) == "dom 29/11 07:00"
    view = WeeklyView(
        weekday=5, hour=7, only_if_changed=False, active=True, paused_reason=None, next_due=sunday
    )
    assert "dom 29/11 07:00" in weekly_line_of(view, ZONE)
