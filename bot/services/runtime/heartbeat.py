"""Whether the database takes a write: the health check's question, behind a service."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal, Protocol

log = logging.getLogger(__name__)

DatabaseState = Literal["ok", "read_only", "unreachable"]


class HeartbeatRecords(Protocol):
    """Where the heartbeat is written (`bot.store.heartbeat.HeartbeatStore`)."""

    async def beat(self, timeout: float) -> None: ...

    async def read(self, timeout: float) -> None: ...


class HeartbeatService:
    def __init__(self, records: HeartbeatRecords) -> None:
        self._records = records

    async def database_state(self, timeout: float) -> DatabaseState:
        """ "ok" when a write commits within `timeout`, "read_only" when only reads work,
        "unreachable" otherwise."""
        try:
            # The outer limit only guards against a database that stopped answering at all.
            await asyncio.wait_for(self._records.beat(timeout), 2 * timeout + 5)
            return "ok"
        except Exception as error:  # noqa: BLE001 - any failure means "cannot write"
            log.warning("health: database write failed: %s", type(error).__name__)
        try:
            await self._records.read(timeout)
            return "read_only"
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            log.warning("health: database unreachable: %s", type(error).__name__)
            return "unreachable"
