from __future__ import annotations

from bot.ops.http import HealthSources, health
from bot.services.breaker import CircuitBreaker
from bot.store.db import create_engine


async def test_unreachable_database_is_unhealthy() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    ok, body = await health(HealthSources(engine, CircuitBreaker(1, 60), tick_seconds=30))
    await engine.dispose()
    assert not ok and body["database"] == "unreachable" and body["status"] == "degraded"


async def test_open_breaker_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/h.db")
    breaker = CircuitBreaker(1, 60)
    await breaker.record_failure()
    _, body = await health(HealthSources(engine, breaker, tick_seconds=30))
    await engine.dispose()
    assert body["database"] == "ok" and body["siiau_breaker"] == "open"
