"""The schedule each student last got from SIIAU, sealed: it holds their name and courses.

The store keeps JSON and never reads it; `bot.schedule.codec` turns it into a `Schedule`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.crypto import CredentialCipher, CredentialsUndecryptable
from bot.store.db import dialect_insert, session_factory
from bot.store.models import StoredScheduleRow
from bot.store.owned import write_for_user


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    schedule_json: str
    content_hash: str
    fetched_ts: int  # epoch seconds, UTC


class ScheduleStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._sessions = session_factory(engine)

    async def save(
        self, user_id: int, schedule_json: str, content_hash: str, fetched_ts: int
    ) -> bool:
        """Keep the newest schedule read for the user. False (nothing kept) when the user is gone,
        as after `/olvidar` while a run went on. An older read never replaces a newer one."""
        insert = dialect_insert(self._engine)(StoredScheduleRow).values(
            user_id=user_id,
            schedule_token=self._cipher.encrypt(schedule_json),
            content_hash=content_hash,
            fetched_ts=fetched_ts,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={c: insert.excluded[c] for c in ("schedule_token", "content_hash", "fetched_ts")},
            where=StoredScheduleRow.fetched_ts <= insert.excluded.fetched_ts,
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def load(self, user_id: int) -> StoredSchedule | None:
        """The stored schedule, or None when there is none or no configured key opens it."""
        async with self._sessions() as session:
            row = await session.get(StoredScheduleRow, user_id)
        if row is None:
            return None
        try:
            text = self._cipher.decrypt(row.schedule_token, user_id=user_id)
        except CredentialsUndecryptable:
            return None  # as if never read: the next run stores it again under a key we hold
        return StoredSchedule(text, row.content_hash, row.fetched_ts)
