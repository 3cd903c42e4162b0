"""Erase markers: when each erased student's data went, keyed by an HMAC of their id."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import ErasureRow


class ErasureStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def mark(self, key: str, erased_ms: int, *, forget_before_ms: int) -> None:
        """Keep `erased_ms` for `key` (the latest erase wins) and drop markers older than
        `forget_before_ms`: no run lasts that long."""
        insert = dialect_insert(self._engine)(ErasureRow).values(key=key, erased_ms=erased_ms)
        statement = insert.on_conflict_do_update(
            index_elements=["key"], set_={"erased_ms": erased_ms}
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)
            await session.execute(delete(ErasureRow).where(ErasureRow.erased_ms < forget_before_ms))

    async def erased_ms(self, key: str) -> int | None:
        async with self._sessions() as session:
            found = await session.execute(select(ErasureRow.erased_ms).where(ErasureRow.key == key))
            return found.scalar_one_or_none()
