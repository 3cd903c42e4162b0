"""The .ics of a schedule, parsed back with icalendar and expanded with recurring-ical-events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import recurring_ical_events
from icalendar import Calendar, Component, vDDDLists, vDDDTypes, vRecur

from bot.core.zones import zone
from bot.schedule.days_off import DayOff, DaysOff, Source
from bot.schedule.ical import DEFAULT_WEEKS, CalendarWords, build_calendar
from bot.schedule.model import Course, Day, Schedule, Session

GDL = zone("America/Mexico_City")
STAMP = datetime(2026, 8, 10, 15, 30, tzinfo=UTC)
FIRST, LAST = date(2026, 8, 17), date(2026, 12, 12)
DAYS_OFF = DaysOff(
    [
        DayOff(date(2026, 9, 16), "Día de la Independencia", Source.OFFICIAL, "LFT art. 74"),
        DayOff(date(2026, 11, 16), "Día de la Revolución", Source.OFFICIAL, "LFT art. 74"),
        DayOff(date(2026, 10, 12), "Día de la Raza", Source.ASSUMED, "calendario UdG"),  # a Monday
    ]
)


def session(
    days: tuple[Day, ...],
    start: time | None,
    end: time | None,
    first: date | None = FIRST,
    last: date | None = LAST,
    building: str = "DEDX",
    room: str = "A002",
    professor: str = "LOPEZ FRANCO, CARLOS",
) -> Session:
    return Session(days, start, end, building, room, professor, first, last)


def schedule(*courses: Course) -> Schedule:
    return Schedule("202620", "2026-B", "ALUMNA, UNA", "219294382", "INCO", "INGENIERIA", courses)


TOLERANT = Course(
    "179961",
    "I7036",
    "COMPUTACION TOLERANTE A FALLAS",
    "D06",
    8,
    (session((Day.MONDAY, Day.WEDNESDAY), time(7), time(8, 55)),),
)
NIGHT = Course(
    "190001",
    "I9000",
    "OBSERVACION NOCTURNA",
    "D01",
    4,
    (session((Day.FRIDAY,), time(22), time(1, 30), room=""),),
)
ONLINE = Course("190002", "I9001", "CURSO EN LINEA", "D90", 4, (session((), None, None),))


def parse(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def occurrences(content: bytes, first: date, last: date) -> list[tuple[datetime, datetime, str]]:
    found = recurring_ical_events.of(parse(content)).between(first, last + timedelta(days=1))
    return sorted((e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"])) for e in found)


def weekdays_between(first: date, last: date, weekdays: set[int]) -> list[date]:
    return [
        first + timedelta(d)
        for d in range((last - first).days + 1)
        if (first + timedelta(d)).weekday() in weekdays
    ]


def test_every_class_of_the_term_at_its_local_time_and_none_on_days_off() -> None:
    ics = build_calendar(schedule(TOLERANT), DAYS_OFF, GDL, stamp=STAMP)
    found = occurrences(ics.content, date(2026, 8, 1), date(2026, 12, 31))
    expected = [d for d in weekdays_between(FIRST, LAST, {0, 2}) if d not in DAYS_OFF]
    assert [start.date() for start, _, _ in found] == expected
    assert len(expected) == 2 * 17 - 3, "17 weeks of Mon/Wed less three days off"
    for start, end, summary in found:
        assert summary == "COMPUTACION TOLERANTE A FALLAS"
        assert (start.time(), end.time()) == (time(7), time(8, 55))
        assert start.utcoffset() == timedelta(hours=-6)
        assert start.tzinfo is not None and "Mexico_City" in str(start.tzinfo)
    assert all(start.date() not in DAYS_OFF for start, _, _ in found)
    assert ics.filename == "horario_202620.ics" and ics.events == 1 and ics.unscheduled == ()


def test_the_event_carries_the_rfc_5545_fields() -> None:
    words = CalendarWords(
        "Horario {term}", "NRC {nrc}", "Sección {section}", "Profesor: {professor}"
    )
    calendar = parse(
        build_calendar(schedule(TOLERANT), DAYS_OFF, GDL, stamp=STAMP, words=words).content
    )
    assert str(calendar["X-WR-CALNAME"]) == "Horario 2026-B"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Mexico_City"
    assert "horario-bot" in str(calendar["PRODID"]) and str(calendar["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Mexico_City"]
    [event] = calendar.walk("VEVENT")
    assert prop(event, "DTSTART", vDDDTypes).params["TZID"] == "America/Mexico_City"
    assert prop(event, "DTEND", vDDDTypes).params["TZID"] == "America/Mexico_City"
    assert prop(event, "DTSTART", vDDDTypes).dt == datetime(2026, 8, 17, 7, 0, tzinfo=GDL)
    rule = prop(event, "RRULE", vRecur)
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO", "WE"]
    # UNTIL is the end of the last day in Guadalajara, written in UTC (RFC 5545 3.3.10).
    assert rule["UNTIL"] == [datetime(2026, 12, 13, 5, 59, 59, tzinfo=UTC)]
    assert b"UNTIL=20261213T055959Z" in event.to_ical()
    exdates = [d.dt for line in exdate_lines(event) for d in line.dts]
    assert exdates == [
        datetime(2026, 9, 16, 7, tzinfo=GDL),
        datetime(2026, 10, 12, 7, tzinfo=GDL),
        datetime(2026, 11, 16, 7, tzinfo=GDL),
    ]
    assert all(line.params["TZID"] == "America/Mexico_City" for line in exdate_lines(event))
    assert str(event["LOCATION"]) == "DEDX A002"
    assert str(event["DESCRIPTION"]) == "NRC 179961\nSección D06\nProfesor: LOPEZ FRANCO, CARLOS"
    assert prop(event, "DTSTAMP", vDDDTypes).dt == STAMP
    assert str(event["UID"]).endswith("@horario-bot.udg")


P = TypeVar("P")


def prop(component: Component, name: str, kind: type[P]) -> P:
    """The property `name` as icalendar parsed it; its getter is typed as any property type."""
    value = component[name]
    assert isinstance(value, kind), f"{name} parsed as {type(value).__name__}"
    return value


def exdate_lines(event: Component) -> list[vDDDLists]:
    """One EXDATE line parses to a property, several to a list of them."""
    value = event["EXDATE"]
    lines: list[vDDDLists] = []
    for line in value if isinstance(value, list) else [value]:
        assert isinstance(line, vDDDLists), f"EXDATE parsed as {type(line).__name__}"
        lines.append(line)
    return lines


def test_uids_are_stable_across_builds_and_distinct_per_session() -> None:
    two_sessions = Course(
        "181002",
        "I7038",
        "SISTEMAS OPERATIVOS",
        "D03",
        8,
        (
            session((Day.MONDAY, Day.WEDNESDAY), time(9), time(10, 55)),
            session((Day.FRIDAY,), time(13), time(14, 55)),
        ),
    )
    first = build_calendar(schedule(TOLERANT, two_sessions), DAYS_OFF, GDL, stamp=STAMP)
    later = build_calendar(
        schedule(two_sessions, TOLERANT), DaysOff(), GDL, stamp=STAMP + timedelta(days=9)
    )
    uids = [str(e["UID"]) for e in parse(first.content).walk("VEVENT")]
    assert len(set(uids)) == 3
    assert sorted(uids) == sorted(str(e["UID"]) for e in parse(later.content).walk("VEVENT"))
    again = build_calendar(schedule(TOLERANT, two_sessions), DAYS_OFF, GDL, stamp=STAMP)
    assert again.content == first.content, (
        "the same stored schedule gives the same bytes (the feed's ETag)"
    )
    other_cycle = build_calendar(
        Schedule("202710", "2027-A", "", "", "INCO", "", (TOLERANT,)), DaysOff(), GDL, stamp=STAMP
    )
    assert str(parse(other_cycle.content).walk("VEVENT")[0]["UID"]) not in uids


def test_a_session_crossing_midnight_ends_the_next_day() -> None:
    ics = build_calendar(schedule(NIGHT), DaysOff(), GDL, stamp=STAMP)
    found = occurrences(ics.content, date(2026, 8, 1), date(2026, 12, 31))
    assert len(found) == len(weekdays_between(FIRST, LAST, {4}))
    for start, end, _ in found:
        assert start.weekday() == 4 and start.time() == time(22)
        assert end - start == timedelta(
            hours=3, minutes=30
        ) and end.date() == start.date() + timedelta(days=1)
    assert "LOCATION:DEDX\r\n" in ics.content.decode(), (
        "a course with no room still names its building"
    )


def test_no_daylight_saving_time_the_same_local_time_in_january_and_july() -> None:
    long_term = Course(
        "200001",
        "I1000",
        "VERANO",
        "D01",
        4,
        (
            session(
                (Day.TUESDAY,),
                time(13),
                time(14, 55),
                first=date(2026, 1, 13),
                last=date(2026, 8, 4),
            ),
        ),
    )
    ics = build_calendar(schedule(long_term), DaysOff(), GDL, stamp=STAMP)
    found = occurrences(ics.content, date(2026, 1, 1), date(2026, 8, 31))
    january = [s for s, _, _ in found if s.month == 1]
    july = [s for s, _, _ in found if s.month == 7]
    assert january and july
    for start in january + july:
        assert start.time() == time(13) and start.utcoffset() == timedelta(hours=-6)
        assert start.astimezone(UTC).time() == time(19), (
            "19:00 UTC all year: Mexico has had no DST since 2022"
        )


def test_sessions_without_days_or_hours_are_skipped_and_listed() -> None:
    ics = build_calendar(schedule(TOLERANT, ONLINE), DaysOff(), GDL, stamp=STAMP)
    assert ics.events == 1 and ics.unscheduled == ("CURSO EN LINEA",)
    assert "CURSO EN LINEA" not in ics.content.decode()


def test_missing_dates_come_from_the_cycle_or_a_bounded_default() -> None:
    undated = Course(
        "190003",
        "I9002",
        "SIN FECHAS",
        "D01",
        4,
        (session((Day.THURSDAY,), time(11), time(12), None, None),),
    )
    with_cycle = build_calendar(schedule(TOLERANT, undated), DaysOff(), GDL, stamp=STAMP)
    thursdays = [
        s.date()
        for s, _, n in occurrences(with_cycle.content, date(2026, 1, 1), date(2027, 12, 31))
        if n == "SIN FECHAS"
    ]
    assert thursdays == weekdays_between(FIRST, LAST, {3}), "bounded by the cycle's dates"
    alone = build_calendar(
        schedule(undated), DaysOff(), GDL, stamp=STAMP
    )  # read on Monday 2026-08-10
    found = [
        s.date() for s, _, _ in occurrences(alone.content, date(2026, 1, 1), date(2027, 12, 31))
    ]
    assert found[0] == date(2026, 8, 13) and len(found) == DEFAULT_WEEKS
    assert found[-1] <= date(2026, 8, 10) + timedelta(weeks=DEFAULT_WEEKS)


def test_the_shipped_days_off_are_honoured() -> None:
    ics = build_calendar(schedule(TOLERANT), DaysOff.load(), GDL, stamp=STAMP)
    found = {s.date() for s, _, _ in occurrences(ics.content, FIRST, LAST)}
    assert date(2026, 9, 16) not in found and date(2026, 11, 16) not in found
    assert date(2026, 9, 14) in found and date(2026, 11, 18) in found
