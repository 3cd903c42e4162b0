"""The services the chat layer is handed, and the one way to close what they stand on."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from bot.services.account.registration import RegistrationService
from bot.services.captures import PageCapturer
from bot.services.friends import FriendsService
from bot.services.grades.service import GradesService
from bot.services.offer.cupos import CuposService
from bot.services.planner.service import PlannerService
from bot.services.runtime.erasure import EraseLedger
from bot.services.runtime.operations import OperationsService
from bot.services.timetable.calendar import CalendarService
from bot.services.timetable.daily import DailyService
from bot.services.timetable.delivery import DeliveryService
from bot.services.timetable.progress import ProgressService
from bot.services.timetable.schedule_book import ScheduleBook
from bot.services.timetable.weekly import WeeklyService


@dataclass
class Services:
    """Built by `bot.bootstrap`; the chat layer sees these and nothing below them.

    `resources` holds what the services stand on (the weekly loop, the workflow's
    renderer and sweeper, the ops server, the database engine), closed in the
    reverse order of their opening by `aclose`.
    """

    delivery: DeliveryService
    registration: RegistrationService
    weekly: WeeklyService
    operations: OperationsService
    cupos: CuposService
    progress: ProgressService
    book: ScheduleBook
    calendar: CalendarService
    daily: DailyService
    grades: GradesService
    friends: FriendsService
    planner: PlannerService
    captures: PageCapturer = field(default_factory=PageCapturer.off)  # redacted pages for operators
    # When each student was erased: the chat layer drops sends from work begun before.
    erasures: EraseLedger = field(default_factory=lambda: EraseLedger(None, b""))
    resources: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def aclose(self) -> None:
        await self.resources.aclose()
