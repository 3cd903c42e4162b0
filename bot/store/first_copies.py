"""The PDF registration rendered in its own SIIAU session, kept until Telegram holds it.

Registration reads and renders the schedule before its logout, but has no document in the
chat yet: the first /horario uploads these bytes at once (then keeps Telegram's file id, as
for every PDF) instead of logging in again. The PDF shows the student's name and courses,
so it is a Fernet token; the row belongs to the user (`/olvidar` removes it with the user).
"""

from __future__ import annotations

import base64

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.records import utcnow
from bot.store.crypto import CredentialCipher, CredentialsUndecryptable
from bot.store.db import dialect_insert, session_factory
from bot.store.models import FirstCopyRow
from bot.store.owned import write_for_user


class FirstCopyStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._sessions = session_factory(engine)

    async def save(self, user_id: int, content_hash: str, pdf: bytes) -> bool:
        """Keep the PDF of `content_hash`, replacing an older one. False when the user is gone."""
        token = self._cipher.encrypt(base64.b64encode(pdf).decode("ascii"))
        created = int(utcnow().timestamp())
        insert = dialect_insert(self._engine)(FirstCopyRow).values(
            user_id=user_id, content_hash=content_hash, pdf_token=token, created_ts=created
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"content_hash": content_hash, "pdf_token": token, "created_ts": created},
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def load(self, user_id: int, content_hash: str) -> bytes | None:
        """The kept PDF, when it shows exactly `content_hash` and a configured key opens it."""
        async with self._sessions() as session:
            token = await session.scalar(
                select(FirstCopyRow.pdf_token).where(
                    FirstCopyRow.user_id == user_id, FirstCopyRow.content_hash == content_hash
                )
            )
        if token is None:
            return None
        try:
            return base64.b64decode(self._cipher.decrypt(token, user_id=user_id))
        except CredentialsUndecryptable:
            return None

    async def drop(self, user_id: int) -> None:
        """Telegram holds it now (or it is stale): the file id replaces the bytes."""
        async with self._sessions.begin() as session:
            await session.execute(delete(FirstCopyRow).where(FirstCopyRow.user_id == user_id))
