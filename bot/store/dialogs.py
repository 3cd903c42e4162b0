"""Registration dialogs in the database, so a dialog survives restarts and crosses replicas.

The student code typed mid-dialog is stored only as a Fernet token; the NIP is never stored here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.crypto import CredentialCipher
from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.models import DialogRow


@dataclass(frozen=True, slots=True)
class Dialog:
    user_id: int
    step: str  # "code" | "nip" | "verifying" | "saving" | "cancelled" | "career"
    code: str | None = None
    rejections: int = 0
    careers: dict[str, str] = field(default_factory=dict)


class DialogStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._sessions = session_factory(engine)

    async def get(self, user_id: int, now_ts: float) -> Dialog | None:
        async with self._sessions() as session:
            row = await session.scalar(select(DialogRow).where(DialogRow.user_id == user_id))
        if row is None or row.expires_ts < now_ts:
            return None
        return Dialog(
            user_id=row.user_id,
            step=row.step,
            code=self._cipher.decrypt(row.code_token, user_id=user_id) if row.code_token else None,
            rejections=row.rejections,
            careers=json.loads(row.careers_json) if row.careers_json else {},
        )

    async def put(self, dialog: Dialog, expires_ts: float) -> None:
        values = {
            "user_id": dialog.user_id,
            "step": dialog.step,
            "code_token": self._cipher.encrypt(dialog.code) if dialog.code else None,
            "rejections": dialog.rejections,
            "careers_json": json.dumps(dialog.careers) if dialog.careers else None,
            "expires_ts": int(expires_ts),
        }
        statement = dialect_insert(self._engine)(DialogRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: statement.excluded[k] for k in values if k != "user_id"},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def clear(self, user_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(DialogRow).where(DialogRow.user_id == user_id))

    async def replace_if(self, dialog: Dialog, expected_step: str, expires_ts: float) -> bool:
        """Move the dialog on only if it is still at `expected_step` (and so not cancelled meanwhile)."""
        values = {
            "step": dialog.step,
            "code_token": self._cipher.encrypt(dialog.code) if dialog.code else None,
            "rejections": dialog.rejections,
            "careers_json": json.dumps(dialog.careers) if dialog.careers else None,
            "expires_ts": int(expires_ts),
        }
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DialogRow)
                .where(DialogRow.user_id == dialog.user_id, DialogRow.step == expected_step)
                .values(**values)
            )
        return rows_affected(result) == 1

    async def clear_if(self, user_id: int, step: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(DialogRow).where(DialogRow.user_id == user_id, DialogRow.step == step)
            )
        return rows_affected(result) == 1

    async def expired_step(self, user_id: int, now_ts: float) -> str | None:
        """The step of the user's dialog if it has expired (and is still there), else None."""
        async with self._sessions() as session:
            row = await session.scalar(select(DialogRow).where(DialogRow.user_id == user_id))
        return row.step if row is not None and row.expires_ts < now_ts else None
