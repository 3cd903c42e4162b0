"""Everyday answers, `/hoy`, `/manana` and `/siguiente`: the stored schedule laid on the
calendar in Guadalajara time, never a SIIAU login per question (`ScheduleBook.known`).

The answers are typed; `bot.telegram.texts` words them. The pure `day_answer` and
`next_answer` take the moment as an argument, in any zone, so tests inject it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.schedule.agenda import Meeting
from bot.schedule.model import Course
from bot.services.timetable.schedule_book import KnownSchedule, ScheduleBook

TODAY, TOMORROW = 0, 1


@dataclass(frozen=True, slots=True)
class Saved:
    """The answer comes from an old stored copy while a refresh from SIIAU runs behind it."""

    read_at: datetime  # local time


@dataclass(frozen=True, slots=True)
class DayAnswer:
    today: date
    day: date
    meetings: tuple[Meeting, ...]  # every class that would meet; on a day off each carries it
    next_day: date | None  # no class held on `day`: the next day that has one, within the cycle
    next_first: Meeting | None  # the first class held on `next_day`
    cycle_end: date | None  # the cycle is over on `day`: its last day
    unscheduled: tuple[Course, ...]  # courses with no day or hour ("sin horario fijo")
    term_label: str
    saved: Saved | None = None

    @property
    def held(self) -> tuple[Meeting, ...]:
        return tuple(m for m in self.meetings if m.held)

    @property
    def tomorrow(self) -> bool:
        return self.day != self.today


@dataclass(frozen=True, slots=True)
class NextAnswer:
    now: datetime  # local time
    meeting: Meeting | None  # the next class to start, days off skipped
    cycle_end: date | None  # the cycle is over today: its last day
    unscheduled: tuple[Course, ...]
    term_label: str
    saved: Saved | None = None


def day_answer(known: KnownSchedule, now: datetime, offset: int = TODAY) -> DayAnswer:
    """The classes of today (`offset` 0) or tomorrow (1) as seen at `now`."""
    agenda = known.agenda
    today = agenda.today(now)
    day = today + timedelta(days=offset)
    ended = agenda.ended(day)
    meetings = () if ended else tuple(agenda.on(day))
    next_day: date | None = None
    next_first: Meeting | None = None
    if not ended and not any(m.held for m in meetings):
        next_day = agenda.next_school_day(day)
        if next_day is not None:
            next_first = next(m for m in agenda.on(next_day) if m.held)
    return DayAnswer(
        today,
        day,
        meetings,
        next_day,
        next_first,
        agenda.last_day if ended else None,
        tuple(agenda.unscheduled),
        known.schedule.term_label,
        _saved(known),
    )


def next_answer(known: KnownSchedule, now: datetime) -> NextAnswer:
    """The next class to start after `now`."""
    agenda = known.agenda
    local = now.astimezone(agenda.zone)
    ended = agenda.ended(local.date())
    meeting = None if ended else agenda.next_meeting(now)
    return NextAnswer(
        local,
        meeting,
        agenda.last_day if ended else None,
        tuple(agenda.unscheduled),
        known.schedule.term_label,
        _saved(known),
    )


async def day(book: ScheduleBook, user_id: int, offset: int = TODAY) -> DayAnswer:
    """Errors as a delivery's (`NotRegistered`, `InvalidCredentials`…) when there is no stored copy yet."""
    known = await book.known(user_id)
    return day_answer(known, book.now(), offset)


async def next_class(book: ScheduleBook, user_id: int) -> NextAnswer:
    known = await book.known(user_id)
    return next_answer(known, book.now())


def _saved(known: KnownSchedule) -> Saved | None:
    return Saved(known.read_at.astimezone(known.agenda.zone)) if known.refreshing else None
