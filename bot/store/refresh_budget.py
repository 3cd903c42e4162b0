"""The refresh budget of triggers a student did not type: one claim per user, taken atomically."""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.models import RefreshBudgetRow


class RefreshBudgetStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def claim(
        self, user_id: int, now_ts: int, *, after_success: int, after_failure: int
    ) -> bool:
        """Take the user's next refresh when the last one began at least `after_success`
        seconds ago (`after_failure` when it failed). One winner across replicas; False for
        the others, and when the user is gone."""
        insert = dialect_insert(self._engine)(RefreshBudgetRow).values(
            user_id=user_id, tried_ts=now_ts, failed=False
        )
        try:
            async with self._sessions.begin() as session:
                inserted = await session.execute(
                    insert.on_conflict_do_nothing(index_elements=["user_id"])
                )
                if rows_affected(inserted) == 1:
                    return True
                row = RefreshBudgetRow
                taken = await session.execute(
                    update(row)
                    .where(row.user_id == user_id)
                    .where(
                        or_(
                            (row.failed.is_(False)) & (row.tried_ts <= now_ts - after_success),
                            (row.failed.is_(True)) & (row.tried_ts <= now_ts - after_failure),
                        )
                    )
                    .values(tried_ts=now_ts, failed=False)
                )
                return rows_affected(taken) == 1
        except IntegrityError:  # the user row is gone (/olvidar): nothing to refresh
            return False

    async def failed(self, user_id: int) -> None:
        """The refresh just claimed failed: the next waits a day (or `after_failure`)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(RefreshBudgetRow)
                .where(RefreshBudgetRow.user_id == user_id)
                .values(failed=True)
            )
