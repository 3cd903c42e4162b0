"""Free time several students share, from their schedules laid on the calendar.

Pure and clock-free: callers pass the days. A day's window runs from `opens` to `closes`
(Guadalajara time, the agendas' zone); each person's held classes are busy time, and what
is left, in stretches of at least `min_minutes`, is free for all. A day off (the days-off
file) is free all day for everyone, and marked. Days are given whole: the caller decides
which ones, and `week_days` gives today through Saturday.

Only windows, busy stretches (no names) and the classes two people share leave this module:
what a friend or a group may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DayOff, DaysOff
from bot.schedule.model import Course, Day, Schedule

OPENS, CLOSES = time(7, 0), time(21, 0)
MINUTES_PER_DAY = 24 * 60
SUNDAY = 6


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in minutes after midnight, local time."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class FreeDay:
    day: date
    free: tuple[Window, ...]
    busy: tuple[Window, ...]  # someone has a class: merged, nameless
    day_off: DayOff | None = None

    @property
    def weekday(self) -> Day:
        return Day(self.day.weekday())


@dataclass(frozen=True, slots=True)
class SharedClass:
    """A class (same NRC) in every schedule compared: its key and when it meets."""

    nrc: str
    key: str
    meetings: tuple[tuple[tuple[Day, ...], time], ...]  # (days, start) per session


def week_days(today: date) -> list[date]:
    """Today through Saturday; on a Sunday, the coming Monday through Saturday."""
    if today.weekday() == SUNDAY:
        today += timedelta(days=1)
    return [today + timedelta(days=n) for n in range(Day.SATURDAY - today.weekday() + 1)]


def laid_out(
    schedule: Schedule, days: Sequence[date], days_off: DaysOff, zone: ZoneInfo
) -> tuple[Agenda, bool]:
    """The schedule on the calendar for `days`. When its cycle (FECHA INICIO–FIN) misses
    every one of them (it ended, or it has not begun: the week before classes, when
    students plan together), its weekly pattern is used as it is, and True says so: a week
    with no class at all would tell friends "free all day" from a copy we only hold old or
    early. Within the cycle, each session's own dates count as on the agenda."""
    agenda = Agenda(schedule, days_off, zone)
    if not days:
        return agenda, False
    first, last = agenda.first_day, agenda.last_day
    outside = (last is not None and last < min(days)) or (first is not None and first > max(days))
    if not outside:
        return agenda, False
    undated = tuple(
        replace(
            course,
            sessions=tuple(replace(s, first_day=None, last_day=None) for s in course.sessions),
        )
        for course in schedule.courses
    )
    return Agenda(replace(schedule, courses=undated), days_off, zone), True


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _merge(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for window in sorted(windows, key=lambda w: w.start):
        if merged and window.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Window(last.start, max(last.end, window.end))
        else:
            merged.append(window)
    return merged


def busy_on(agenda: Agenda, day: date, opens: int, closes: int) -> list[Window]:
    """The person's held classes on `day`, clipped to the window (a class past midnight is
    busy until the window closes)."""
    busy: list[Window] = []
    for meeting in agenda.on(day):
        if not meeting.held:
            continue
        start = _minutes(meeting.starts.time())
        end = _minutes(meeting.ends.time()) if meeting.ends.date() == day else MINUTES_PER_DAY
        start, end = max(start, opens), min(end, closes)
        if start < end:
            busy.append(Window(start, end))
    return busy


def common_free(
    agendas: Sequence[Agenda],
    days: Sequence[date],
    days_off: DaysOff,
    *,
    opens: time = OPENS,
    closes: time = CLOSES,
    min_minutes: int = 30,
) -> list[FreeDay]:
    """Per day, the windows when nobody in `agendas` has a class, at least `min_minutes` long."""
    first, last = _minutes(opens), _minutes(closes)
    result: list[FreeDay] = []
    for day in days:
        day_off = days_off.get(day)
        if day_off is not None:
            result.append(FreeDay(day, (Window(first, last),), (), day_off))
            continue
        busy = _merge([w for agenda in agendas for w in busy_on(agenda, day, first, last)])
        free: list[Window] = []
        cursor = first
        for window in busy:
            if window.start - cursor >= min_minutes:
                free.append(Window(cursor, window.start))
            cursor = max(cursor, window.end)
        if last - cursor >= min_minutes:
            free.append(Window(cursor, last))
        result.append(FreeDay(day, tuple(free), tuple(busy)))
    return result


def shared_classes(schedules: Sequence[Schedule]) -> list[SharedClass]:
    """Classes with the same NRC in every one of `schedules` (two or more), by key."""
    if len(schedules) < 2:
        return []
    common = set.intersection(*({c.nrc for c in s.courses} for s in schedules))
    shared: list[SharedClass] = []
    for course in schedules[0].courses:
        if course.nrc not in common:
            continue
        shared.append(SharedClass(course.nrc, course.key, _meetings(course)))
    return sorted(shared, key=lambda c: (c.key, c.nrc))


def _meetings(course: Course) -> tuple[tuple[tuple[Day, ...], time], ...]:
    """(days, start) per start hour: sessions that start at the same hour are one
    `Mar, Jue 09:00`, whether the page gave them as one row or one row per day."""
    days_at: dict[time, set[Day]] = {}
    for session in course.sessions:
        if session.scheduled and session.start is not None:
            days_at.setdefault(session.start, set()).update(session.days)
    meetings = [(tuple(sorted(days)), start) for start, days in days_at.items()]
    return tuple(sorted(meetings, key=lambda m: (m[0][0], m[1])))
