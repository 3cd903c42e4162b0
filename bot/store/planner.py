"""The planner's remembered centre per student."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import PlannerPrefRow


class PlannerStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def centre(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            row = await session.get(PlannerPrefRow, user_id)
        return row.centre if row else None

    async def remember_centre(self, user_id: int, centre: str) -> None:
        statement = dialect_insert(self._engine)(PlannerPrefRow).values(user_id=user_id, centre=centre)
        statement = statement.on_conflict_do_update(index_elements=["user_id"], set_={"centre": centre})
        async with self._sessions.begin() as session:
            await session.execute(statement)
