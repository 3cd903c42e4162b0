"""Live calendar links: one per student, kept as the SHA-256 of its token.

The token itself is never stored, so the link cannot be shown again: a student who
lost it asks for a new one, which replaces (revokes) the old. Plain SHA-256 is enough
for a token with 256 random bits, and it does not change when the encryption keys
rotate (a keyed hash would silently break every subscribed calendar).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import CalendarLinkRow
from bot.store.owned import write_for_user


@dataclass(frozen=True, slots=True)
class CalendarLinkOwner:
    user_id: int
    token_hash: str


class CalendarLinkStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def issue(self, user_id: int, token_hash: str, created_ts: int) -> bool:
        """Keep `token_hash` as the user's only link (the old one stops working).
        False when the user is gone (`/olvidar`)."""
        insert = dialect_insert(self._engine)(CalendarLinkRow).values(
            user_id=user_id, token_hash=token_hash, created_ts=created_ts
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "token_hash": insert.excluded.token_hash,
                "created_ts": insert.excluded.created_ts,
            },
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def created_ts(self, user_id: int) -> int | None:
        """When the user's link was issued, or None when they have none."""
        async with self._sessions() as session:
            row = await session.get(CalendarLinkRow, user_id)
        return None if row is None else row.created_ts

    async def owner(self, token_hash: str) -> CalendarLinkOwner | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(CalendarLinkRow).where(CalendarLinkRow.token_hash == token_hash)
                )
            ).scalar_one_or_none()
        return None if row is None else CalendarLinkOwner(row.user_id, row.token_hash)

    async def revoke(self, user_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(CalendarLinkRow).where(CalendarLinkRow.user_id == user_id))
