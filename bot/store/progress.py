"""Progress messages the bot has sent and not finished yet (no text, no secrets: ids and a kind)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import ProgressRow


@dataclass(frozen=True, slots=True)
class OpenProgress:
    chat_id: int
    message_id: int
    user_id: int
    kind: str  # "verify" | "horario"


class ProgressStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def add(self, item: OpenProgress, created_ts: float) -> None:
        values = {
            "chat_id": item.chat_id,
            "message_id": item.message_id,
            "user_id": item.user_id,
            "kind": item.kind,
            "created_ts": int(created_ts),
        }
        statement = dialect_insert(self._engine)(ProgressRow).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def remove(self, chat_id: int, message_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ProgressRow).where(
                    ProgressRow.chat_id == chat_id, ProgressRow.message_id == message_id
                )
            )

    async def all(self) -> list[OpenProgress]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(select(ProgressRow).order_by(ProgressRow.created_ts))
            ).all()
        return [OpenProgress(r.chat_id, r.message_id, r.user_id, r.kind) for r in rows]
