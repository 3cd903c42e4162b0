"""The health probe's row: one heartbeat upserted, to prove the database takes a write."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import BUSY_TIMEOUT_MS, dialect_insert
from bot.store.models import HeartbeatRow

HEARTBEAT_ID = 1


class HeartbeatStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def beat(self, timeout: float) -> None:
        """A real write, committed: one heartbeat row upserted (the same row every time).

        The database itself gives up after `timeout` (SQLite's busy timeout, PostgreSQL's lock
        timeout): cancelling a write stuck on a lock would leave its connection checked out
        and, on SQLite, a thread blocked for the whole busy timeout.
        """
        engine = self._engine
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

    async def read(self, timeout: float) -> None:
        """A plain read (`SELECT 1`) within `timeout`: the database answers, if not to writes."""
        async with self._engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout)
