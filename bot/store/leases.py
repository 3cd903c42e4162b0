"""Leasing due rows to one process: the atomic claim every DB-backed job shares.

A claim picks the earliest due rows (skipping rows another transaction has locked, on
PostgreSQL) and leases them in one `UPDATE … RETURNING`, so two processes never take the
same row; the `due` condition is checked again in the update for SQLite, which has no
`SKIP LOCKED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from bot.store.models import UserRow


async def lease_due(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    key: InstrumentedAttribute[Any],
    due: ColumnElement[bool],
    order_by: InstrumentedAttribute[Any],
    limit: int,
    values: Mapping[Any, Any],
    returning: Sequence[Any],
    *,
    chats_of: int | None = None,
) -> tuple[Sequence[Sequence[Any]], dict[int, int]]:
    """Lease up to `limit` rows that are `due`, earliest `order_by` first: set `values` on
    them and return `returning` of each. With `chats_of`, the index of the user id in
    `returning`, the same transaction also reads those users' chat ids (a user erased
    meanwhile has none)."""
    candidates = select(key).where(due).order_by(order_by).limit(limit)
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(key.class_)
        .where(key.in_(candidates.scalar_subquery()), due)
        .values(dict(values))
        .returning(*returning)
        .execution_options(synchronize_session=False)
    )
    async with sessions.begin() as session:
        rows = (await session.execute(statement)).all()
        chats: dict[int, int] = {}
        if rows and chats_of is not None:
            chats = await _chats(session, {row[chats_of] for row in rows})
    return rows, chats


async def _chats(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, int]:
    found = await session.execute(
        select(UserRow.id, UserRow.chat_id).where(UserRow.id.in_(list(user_ids)))
    )
    return {int(user_id): int(chat_id) for user_id, chat_id in found}
