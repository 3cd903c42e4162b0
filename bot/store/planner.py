"""The planner's remembered centre per student, and what each answer was made from."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import PlannerPlanRow, PlannerPrefRow


class PlannerStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def centre(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            row = await session.get(PlannerPrefRow, user_id)
        return row.centre if row else None

    async def remember_centre(self, user_id: int, centre: str) -> None:
        statement = dialect_insert(self._engine)(PlannerPrefRow).values(
            user_id=user_id, centre=centre
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"centre": centre}
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def save_plan(
        self, plan_id: str, user_id: int, payload: str, created_ts: int, *, older_than: int
    ) -> None:
        """Keep a plan's makings; plans created before `older_than` go at the same time."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PlannerPlanRow).where(PlannerPlanRow.created_ts < older_than)
            )
            session.add(
                PlannerPlanRow(id=plan_id, user_id=user_id, payload=payload, created_ts=created_ts)
            )

    async def load_plan(self, plan_id: str) -> tuple[int, str, int] | None:
        """(user id, payload, created) of a plan, or None."""
        async with self._sessions() as session:
            row = await session.get(PlannerPlanRow, plan_id)
        return None if row is None else (row.user_id, row.payload, row.created_ts)
