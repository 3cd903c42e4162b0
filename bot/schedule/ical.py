"""A schedule as an iCalendar file (RFC 5545), built with the `icalendar` library.

Pure and clock-free: the caller passes `stamp`, the moment the schedule was read from
SIIAU, which dates the file (DTSTAMP, LAST-MODIFIED), so the same stored schedule gives
the same bytes every time (the feed's ETag depends on it).

One weekly-recurring VEVENT per session that has days and hours:
- DTSTART/DTEND carry TZID=<zone> (a VTIMEZONE is added from the zone itself); a session
  ending at or before its start time crosses midnight and ends the next day;
- RRULE:FREQ=WEEKLY;BYDAY=…;UNTIL=<the end of the session's last day, in UTC>;
- EXDATE for each day off that falls on one of the session's days within its dates;
- UID from the cycle, the NRC and the session's position in its course: stable across
  runs, so importing the file again updates the events instead of duplicating them.

A session's dates are its own (SIIAU's FECHA INICIO / FIN); missing, the cycle's (the
earliest first day and the latest last day the other sessions gave); with only one end
known, the other is `DEFAULT_WEEKS` away; with none, the cycle is taken to run
`DEFAULT_WEEKS` from the Monday of the week the schedule was read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vRecur

from bot.schedule.days_off import DaysOff
from bot.schedule.model import Course, Schedule, Session

PRODID = "-//horario-bot//SIIAU UdG schedule//ES"
UID_DOMAIN = "horario-bot.udg"
DEFAULT_WEEKS = 18  # a UdG semester's weeks of classes, when SIIAU gave no dates at all
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class CalendarWords:
    """The few words a calendar carries besides the schedule's own data (format strings).

    The bot's are in `bot.telegram.texts`; `bare()` holds data and no words.
    """

    calendar_name: str  # {term}
    nrc: str  # {nrc}
    section: str  # {section}
    professor: str  # {professor}

    @classmethod
    def bare(cls) -> CalendarWords:
        return cls("{term}", "NRC {nrc}", "{section}", "{professor}")


@dataclass(frozen=True, slots=True)
class CalendarFile:
    term: str
    content: bytes
    events: int
    unscheduled: tuple[str, ...]  # course names with a session of no fixed day or hour

    @property
    def filename(self) -> str:
        return f"horario_{self.term}.ics"


@dataclass(frozen=True, slots=True)
class Span:
    first: date
    last: date


def build_calendar(
    schedule: Schedule,
    days_off: DaysOff,
    zone: ZoneInfo,
    *,
    stamp: datetime,
    words: CalendarWords | None = None,
) -> CalendarFile:
    """The .ics of `schedule` in `zone`; `stamp` (aware) is when the schedule was read."""
    words = words or CalendarWords.bare()
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add(
        "x-wr-calname", words.calendar_name.format(term=schedule.term_label or schedule.term)
    )
    calendar.add("x-wr-timezone", zone.key)
    cycle = cycle_span(schedule, stamp.astimezone(zone).date())
    unscheduled: dict[str, None] = {}
    events: list[Event] = []
    for course in schedule.courses:
        for index, session in enumerate(course.sessions):
            if not session.scheduled:
                unscheduled[course.name] = None
                continue
            event = session_event(
                schedule,
                course,
                index,
                session,
                span_of(session, cycle),
                days_off,
                zone,
                stamp=stamp,
                words=words,
            )
            if event is not None:
                events.append(event)
    if events:
        calendar.add_component(vtimezone(zone))  # first: some clients read it before the events
    for event in events:
        calendar.add_component(event)
    return CalendarFile(schedule.term, calendar.to_ical(), len(events), tuple(unscheduled))


def session_event(
    schedule: Schedule,
    course: Course,
    index: int,
    session: Session,
    span: Span,
    days_off: DaysOff,
    zone: ZoneInfo,
    *,
    stamp: datetime,
    words: CalendarWords,
) -> Event | None:
    """The session's weekly event, or None when none of its days falls within its dates."""
    assert session.start is not None and session.end is not None
    first = first_meeting(session, span)
    if first is None:
        return None
    starts = datetime.combine(first, session.start, zone)
    ends = datetime.combine(first, session.end, zone)
    if ends <= starts:  # crosses midnight
        ends = datetime.combine(first + timedelta(days=1), session.end, zone)
    until = datetime.combine(span.last, time(23, 59, 59), zone).astimezone(UTC)
    event = Event()
    event.add("uid", event_uid(schedule.term, course.nrc, index))
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("summary", course.name or course.key or course.nrc)
    event.add("dtstart", starts)
    event.add("dtend", ends)
    days = sorted(set(session.days))
    event.add(
        "rrule", vRecur(freq="WEEKLY", byday=[BYDAY[d] for d in days], until=until, wkst="MO")
    )
    skipped = [
        datetime.combine(d.day, session.start, zone)
        for d in days_off.between(first, span.last)
        if d.day.weekday() in days
    ]
    if skipped:
        event.add("exdate", skipped)
    if session.place:
        event.add("location", session.place)
    event.add("description", description(course, session, words))
    event.add("transp", "OPAQUE")
    return event


@lru_cache(maxsize=4)
def vtimezone(zone: ZoneInfo) -> Timezone:
    """The zone's VTIMEZONE, made once: icalendar takes tens of milliseconds to make one.
    Calendars only read it."""
    return Timezone.from_tzinfo(zone, tzid=zone.key)


def description(course: Course, session: Session, words: CalendarWords) -> str:
    lines = [words.nrc.format(nrc=course.nrc)]
    if course.section:
        lines.append(words.section.format(section=course.section))
    if session.professor:
        lines.append(words.professor.format(professor=session.professor))
    return "\n".join(lines)


def event_uid(term: str, nrc: str, index: int) -> str:
    """Stable across runs and re-imports; reveals nothing but that it is ours."""
    digest = hashlib.sha256(f"{term}|{nrc}|{index}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def first_meeting(session: Session, span: Span) -> date | None:
    day = span.first
    while day <= span.last:
        if day.weekday() in session.days:
            return day
        if day - span.first >= timedelta(days=6):
            return None
        day += timedelta(days=1)
    return None


def cycle_span(schedule: Schedule, read_on: date) -> Span:
    """The cycle's dates: the earliest first day and latest last day SIIAU gave, else a default."""
    sessions = [s for c in schedule.courses for s in c.sessions if s.scheduled]
    firsts = [s.first_day for s in sessions if s.first_day]
    lasts = [s.last_day for s in sessions if s.last_day]
    weeks = timedelta(weeks=DEFAULT_WEEKS)
    first = min(firsts) if firsts else None
    last = max(lasts) if lasts else None
    if first is None and last is None:
        first = read_on - timedelta(days=read_on.weekday())
    if first is None:
        assert last is not None
        first = last - weeks + timedelta(days=1)
    if last is None:
        last = first + weeks - timedelta(days=1)
    return Span(first, last)


def span_of(session: Session, cycle: Span) -> Span:
    first = session.first_day or cycle.first
    last = session.last_day or cycle.last
    if last < first:  # one end the session's own, the other the cycle's: keep the session's
        if session.first_day is None:
            first = last - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
        else:
            last = first + timedelta(weeks=DEFAULT_WEEKS) - timedelta(days=1)
    return Span(first, last)
