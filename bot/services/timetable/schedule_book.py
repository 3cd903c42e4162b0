"""The schedule for everyday answers (/hoy, the digest, the calendar): the stored copy,
never a SIIAU login per question.

A student with no stored copy yet waits for one run. A copy older than `max_age` is
still answered from, and a refresh starts behind it, within the usual bounds (the
per-user gate, SIIAU's session slots, the breaker, the login guard). Asked for by the
student (`known`: /hoy, /calendario), it starts at once; asked for by anything else
(`stored`: the calendar feed, digests), it spends the refresh budget
(`request_refresh`, `bot.services.timetable.refresh_budget`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.records import utcnow
from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DaysOff
from bot.schedule.model import Schedule
from bot.services.errors import AlreadyRunning
from bot.services.runtime.background import Background
from bot.services.timetable.delivery import DeliveryService, StoredSchedule
from bot.services.timetable.refresh_budget import LocalRefreshBudget, RefreshBudget

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KnownSchedule:
    schedule: Schedule
    read_at: datetime
    agenda: Agenda
    refreshing: bool  # older than the limit: a refresh from SIIAU has started behind it


class ScheduleBook:
    def __init__(
        self,
        delivery: DeliveryService,
        days_off: DaysOff,
        zone: ZoneInfo,
        max_age: timedelta,
        *,
        clock: Callable[[], datetime] = utcnow,
        budget: RefreshBudget | None = None,
    ) -> None:
        self.delivery = delivery
        self.budget = budget or LocalRefreshBudget(int(max_age.total_seconds()))
        self.days_off = days_off
        self.zone = zone
        self.max_age = max_age
        self.clock = clock
        self._refreshing: dict[int, asyncio.Event] = {}  # set when the user's refresh is over
        self._background = Background()

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    def agenda(self, schedule: Schedule) -> Agenda:
        return Agenda(schedule, self.days_off, self.zone)

    async def known(self, user_id: int) -> KnownSchedule:
        """The student's schedule: stored, else read now (errors as a delivery's: `NotRegistered`…)."""
        stored = await self.delivery.stored_schedule(user_id)
        if stored is None and user_id in self._refreshing:
            # A refresh is reading it now (right after registration): wait for it, not a second login.
            await self.refreshed(user_id)
            stored = await self.delivery.stored_schedule(user_id)
        if stored is None:
            schedule = await self.delivery.refresh(user_id, count=True)
            return KnownSchedule(schedule, self.clock(), self.agenda(schedule), refreshing=False)
        return self._answer_from(user_id, stored, self.refresh_soon)

    async def stored(self, user_id: int) -> KnownSchedule | None:
        """The stored copy only, never a run in the foreground (digests, reminders, the feed);
        an old copy asks for a refresh through the budget (`request_refresh`)."""
        stored = await self.delivery.stored_schedule(user_id)
        return None if stored is None else self._answer_from(user_id, stored, self.request_refresh)

    def _answer_from(
        self, user_id: int, stored: StoredSchedule, refresh: Callable[[int], None]
    ) -> KnownSchedule:
        """The stored copy as an answer; one older than `max_age` calls `refresh`."""
        refreshing = self.clock() - stored.read_at > self.max_age
        if refreshing:
            refresh(user_id)
        return KnownSchedule(
            stored.schedule, stored.read_at, self.agenda(stored.schedule), refreshing
        )

    def is_refreshing(self, user_id: int) -> bool:
        return user_id in self._refreshing

    async def refreshed(self, user_id: int) -> None:
        """Return once no refresh of the user's runs in this process (at once when none does):
        a run of their own would otherwise meet it at the per-user gate (`AlreadyRunning`)."""
        running = self._refreshing.get(user_id)
        if running is not None:
            await running.wait()

    @asynccontextmanager
    async def reading(self, user_id: int) -> AsyncIterator[None]:
        """A read of the user's schedule under way elsewhere (registration's own SIIAU session):
        /horario and /hoy wait for it, as for a refresh, instead of logging in beside it."""
        if user_id in self._refreshing:
            yield
            return
        done = self._refreshing[user_id] = asyncio.Event()
        try:
            yield
        finally:
            if self._refreshing.get(user_id) is done:
                del self._refreshing[user_id]
            done.set()

    def refresh_soon(self, user_id: int) -> None:
        """One refresh per user at a time, in the background; its failure only costs freshness."""
        if user_id in self._refreshing:
            return
        self._refreshing[user_id] = asyncio.Event()
        self._background.start(self._refresh(user_id))

    def request_refresh(self, user_id: int) -> None:
        """A refresh asked for by something the student did not type: the calendar feed, a
        digest, a friend's /libres, a planner picture. Never waits (the claim and the run
        happen behind it), and runs only when the budget allows: at most one per student per
        `SCHEDULE_MAX_AGE_DAYS`, one a day after a failure, across restarts and replicas."""
        if user_id in self._refreshing:
            return
        self._refreshing[user_id] = asyncio.Event()
        self._background.start(self._refresh(user_id, budgeted=True))

    async def _refresh(self, user_id: int, *, budgeted: bool = False) -> None:
        try:
            if budgeted and not await self.budget.claim(user_id, int(self.clock().timestamp())):
                return
            await self.delivery.refresh(user_id)
        except AlreadyRunning:
            pass  # a run of the student's own is storing a fresh copy now
        except Exception as error:  # noqa: BLE001 - the stored copy still answers
            log.info("schedule refresh failed user=%s error=%s", user_id, type(error).__name__)
            if budgeted:
                await self._spent_on_failure(user_id)
        finally:
            self._refreshing.pop(user_id).set()

    async def _spent_on_failure(self, user_id: int) -> None:
        try:
            await self.budget.failed(user_id)
        except Exception as error:  # noqa: BLE001 - the claim's own wait still holds
            log.warning(
                "refresh budget not updated user=%s error=%s", user_id, type(error).__name__
            )

    @property
    def refreshes_running(self) -> int:
        return len(self._background)

    async def settle(self) -> None:
        """Wait for the refreshes in flight (tests, shutdown drains)."""
        await self._background.drain(_nothing)

    async def aclose(self) -> None:
        await self._background.cancel()


async def _nothing() -> int:
    return 0
