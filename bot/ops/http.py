"""`/healthz` and `/metrics` on METRICS_PORT: a tiny asyncio HTTP server, GET only."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.services.runtime import metrics
from bot.services.runtime.breaker import Breaker, BreakerState
from bot.services.runtime.heartbeat import HeartbeatService

log = logging.getLogger(__name__)


@dataclass
class HealthSources:
    heartbeat: HeartbeatService
    breaker: Breaker
    tick_seconds: float
    probe_timeout: float = 1.5  # under the Docker HEALTHCHECK's 4 s, write and read together


async def health(sources: HealthSources) -> tuple[bool, dict[str, object]]:
    """Degraded (503) when the database can't take a write, the SIIAU breaker is open,
    or the weekly tick stalled."""
    database = await sources.heartbeat.database_state(sources.probe_timeout)
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
