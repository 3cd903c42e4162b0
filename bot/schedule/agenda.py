"""A schedule laid on the calendar: which classes meet on a date, and which one is next.

Pure and clock-free: callers pass the moment, in any zone; answers are in the schedule's
zone (Guadalajara). Days off come from `DaysOff`; a session's first and last day (SIIAU's
FECHA INICIO / FIN) bound its weeks when the page gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.schedule.days_off import DayOff, DaysOff
from bot.schedule.model import Course, Schedule, Session

LOOKAHEAD_DAYS = 120  # longer than any gap between two school days inside a cycle


@dataclass(frozen=True, slots=True)
class Meeting:
    """One class on one date. `day_off` set: it would meet, but the day has no classes."""

    course: Course
    session: Session
    day: date
    starts: datetime
    ends: datetime
    day_off: DayOff | None = None

    @property
    def held(self) -> bool:
        return self.day_off is None


class Agenda:
    def __init__(self, schedule: Schedule, days_off: DaysOff, zone: ZoneInfo) -> None:
        self.schedule = schedule
        self.days_off = days_off
        self.zone = zone
        self._sessions = [(c, s) for c in schedule.courses for s in c.sessions if s.scheduled]

    # ---- the cycle --------------------------------------------------------------
    @property
    def first_day(self) -> date | None:
        days = [s.first_day for _, s in self._sessions if s.first_day]
        return min(days) if days else None

    @property
    def last_day(self) -> date | None:
        """The cycle's end, when every session gave one (else it is not known)."""
        days = [s.last_day for _, s in self._sessions]
        return max(d for d in days if d) if days and all(days) else None

    def ended(self, today: date) -> bool:
        last = self.last_day
        return last is not None and today > last

    @property
    def unscheduled(self) -> list[Course]:
        """Courses with no day or hour on the page (online, or to be arranged)."""
        placed = {id(c) for c, _ in self._sessions}
        return [c for c in self.schedule.courses if id(c) not in placed]

    # ---- days -------------------------------------------------------------------
    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def on(self, day: date) -> list[Meeting]:
        """Every class that would meet on `day`, in order; on a day off, each one carries it."""
        day_off = self.days_off.get(day)
        meetings = [
            self._meeting(course, session, day, day_off)
            for course, session in self._sessions
            if _meets(session, day)
        ]
        return sorted(meetings, key=lambda m: (m.starts, m.course.name))

    def next_school_day(self, after: date) -> date | None:
        """The first day after `after` with a class held, within the cycle."""
        for offset in range(1, LOOKAHEAD_DAYS + 1):
            day = after + timedelta(days=offset)
            if self.ended(day):
                return None
            if any(m.held for m in self.on(day)):
                return day
        return None

    def next_meeting(self, now: datetime) -> Meeting | None:
        """The next class to start strictly after `now` (days off skipped), or None."""
        today = self.today(now)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = today + timedelta(days=offset)
            if self.ended(day):
                return None
            for meeting in self.on(day):
                if meeting.held and meeting.starts > now:
                    return meeting
        return None

    def _meeting(
        self, course: Course, session: Session, day: date, day_off: DayOff | None
    ) -> Meeting:
        assert session.start is not None and session.end is not None
        starts = datetime.combine(day, session.start, self.zone)
        ends = datetime.combine(day, session.end, self.zone)
        if ends <= starts:  # crosses midnight: it ends the next day
            ends = datetime.combine(day + timedelta(days=1), session.end, self.zone)
        return Meeting(course, session, day, starts, ends, day_off)


def _meets(session: Session, day: date) -> bool:
    if day.weekday() not in session.days:
        return False
    if session.first_day is not None and day < session.first_day:
        return False
    return session.last_day is None or day <= session.last_day


def minutes_until(now: datetime, then: datetime) -> int:
    return max(0, int((then - now).total_seconds() // 60))


def local_time(moment: datetime, zone: ZoneInfo) -> time:
    return moment.astimezone(zone).time()
