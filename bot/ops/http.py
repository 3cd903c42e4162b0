"""`/healthz` and `/metrics` on METRICS_PORT: a tiny asyncio HTTP server, GET only."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.runtime import metrics
from bot.services.runtime.breaker import Breaker, BreakerState
from bot.store.db import BUSY_TIMEOUT_MS, dialect_insert
from bot.store.models import HeartbeatRow

log = logging.getLogger(__name__)


@dataclass
class HealthSources:
    engine: AsyncEngine
    breaker: Breaker
    tick_seconds: float
    probe_timeout: float = 1.5  # under the Docker HEALTHCHECK's 4 s, write and read together


HEARTBEAT_ID = 1


async def _write_probe(engine: AsyncEngine, timeout: float) -> None:
    """A real write, committed: one heartbeat row upserted (the same row every time).

    The database itself gives up after `timeout` (SQLite's busy timeout, PostgreSQL's lock
    timeout): cancelling a write stuck on a lock would leave its connection checked out
    and, on SQLite, a thread blocked for the whole busy timeout.
    """
    statement = dialect_insert(engine)(HeartbeatRow).values(id=HEARTBEAT_ID, at_ts=time.time())
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={"at_ts": statement.excluded.at_ts}
    )
    millis = max(1, int(timeout * 1000))
    sqlite = engine.dialect.name == "sqlite"
    limit = f"PRAGMA busy_timeout={millis}" if sqlite else f"SET LOCAL lock_timeout = {millis}"
    async with engine.connect() as connection:
        try:
            async with connection.begin():
                await connection.exec_driver_sql(limit)
                await connection.execute(statement)
        finally:
            if (
                sqlite
            ):  # a connection setting, not a transaction's: the pool's next user gets it back
                await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                await connection.commit()


async def _database_state(sources: HealthSources) -> str:
    """ "ok" when a write commits within the timeout, "read_only" when only reads work,
    "unreachable" otherwise."""
    try:
        # The outer limit only guards against a database that stopped answering at all.
        await asyncio.wait_for(
            _write_probe(sources.engine, sources.probe_timeout), 2 * sources.probe_timeout + 5
        )
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "cannot write"
        log.warning("health: database write failed: %s", type(error).__name__)
    try:
        async with sources.engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), sources.probe_timeout)
        return "read_only"
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        log.warning("health: database unreachable: %s", type(error).__name__)
        return "unreachable"


async def health(sources: HealthSources) -> tuple[bool, dict[str, object]]:
    """Degraded (503) when the database can't take a write, the SIIAU breaker is open,
    or the weekly tick stalled."""
    database = await _database_state(sources)
    breaker = await sources.breaker.state()
    last_tick = metrics.gauge_value(metrics.LAST_TICK)
    tick_age = time.time() - last_tick if last_tick else None
    tick_ok = tick_age is not None and tick_age < max(5 * sources.tick_seconds, 120)
    ok = database == "ok" and tick_ok and breaker is not BreakerState.OPEN
    body: dict[str, object] = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "siiau_breaker": breaker.value,
        "last_tick_age_seconds": round(tick_age, 1) if tick_age is not None else None,
    }
    return ok, body


class OpsServer:
    def __init__(self, sources: HealthSources, port: int, host: str = "127.0.0.1") -> None:
        self._sources = sources
        self._port = port
        self._host = host
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        log.info("health and metrics on %s:%d", self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) > 1 else ""
            routes: dict[str, Callable[[], Awaitable[tuple[int, str, bytes]]]] = {
                "/healthz": self._healthz,
                "/metrics": self._metrics,
            }
            if len(parts) < 2 or parts[0] != "GET" or path not in routes:
                status, kind, body = 404, "text/plain", b"not found\n"
            else:
                status, kind, body = await routes[path]()
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _healthz(self) -> tuple[int, str, bytes]:
        ok, body = await health(self._sources)
        return (200 if ok else 503), "application/json", json.dumps(body).encode()

    async def _metrics(self) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, generate_latest(metrics.REGISTRY)
