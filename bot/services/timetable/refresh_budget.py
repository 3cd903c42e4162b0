"""How often something the student did not type may refresh their schedule from SIIAU.

The calendar feed (anyone holding the link, and calendar apps polling on their own
schedule), digests, friends' `/libres` and planner pictures must never spend a
student's SIIAU logins. They go through `ScheduleBook.request_refresh`, which spends
this budget: at most one refresh per student per `SCHEDULE_MAX_AGE_DAYS`, and never
more than one a day after a failure. The refresh itself runs within the usual bounds
(the per-user gate, the login guard, the breaker). The budget lives in the database
(`refresh_budget`), so restarts and replicas agree.
"""

from __future__ import annotations

from typing import Protocol

DAY_SECONDS = 24 * 3600


class RefreshBudget(Protocol):
    async def claim(self, user_id: int, now_ts: int) -> bool:
        """Take the user's next refresh, or False when it is not due."""
        ...

    async def failed(self, user_id: int) -> None:
        """The refresh just claimed failed."""
        ...


class BudgetRecords(Protocol):
    async def claim(
        self, user_id: int, now_ts: int, *, after_success: int, after_failure: int
    ) -> bool: ...

    async def failed(self, user_id: int) -> None: ...


class StoredRefreshBudget:
    """The budget in the database (`bot.store.refresh_budget`)."""

    def __init__(self, records: BudgetRecords, max_age_seconds: int) -> None:
        self._records = records
        self._every = max(1, max_age_seconds)

    async def claim(self, user_id: int, now_ts: int) -> bool:
        return await self._records.claim(
            user_id, now_ts, after_success=self._every, after_failure=max(self._every, DAY_SECONDS)
        )

    async def failed(self, user_id: int) -> None:
        await self._records.failed(user_id)


class LocalRefreshBudget:
    """The same rule in this process's memory (tools and tests without a database)."""

    def __init__(self, max_age_seconds: int) -> None:
        self._every = max(1, max_age_seconds)
        self._last: dict[int, tuple[int, bool]] = {}

    async def claim(self, user_id: int, now_ts: int) -> bool:
        last = self._last.get(user_id)
        if last is not None:
            tried, failed = last
            wait = max(self._every, DAY_SECONDS) if failed else self._every
            if now_ts - tried < wait:
                return False
        self._last[user_id] = (now_ts, False)
        return True

    async def failed(self, user_id: int) -> None:
        if user_id in self._last:
            self._last[user_id] = (self._last[user_id][0], True)
