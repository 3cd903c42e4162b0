"""The schedule on the calendar: days, days off, midnight, the cycle's end, Guadalajara time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.core.zones import zone
from bot.schedule.agenda import Agenda, minutes_until
from bot.schedule.days_off import DayOff, DaysOff, DaysOffError, Source, parse
from bot.schedule.model import Course, Day, Schedule, Session

GDL = zone("America/Mexico_City")
FIRST, LAST = date(2026, 8, 17), date(2026, 12, 5)


def session(
    days: tuple[Day, ...], start: str | None, end: str | None, room: str = "A002", **dates: date
) -> Session:
    return Session(
        days,
        time.fromisoformat(start) if start else None,
        time.fromisoformat(end) if end else None,
        "DEDX",
        room,
        "LOPEZ, ANA",
        dates.get("first_day", FIRST),
        dates.get("last_day", LAST),
    )


def course(nrc: str, name: str, *sessions: Session) -> Course:
    return Course(nrc, "I" + nrc[-4:], name, "D01", 8, sessions)


SCHEDULE = Schedule(
    "202620",
    "2026-B",
    "ANA",
    "219294382",
    "INCO",
    "INGENIERIA",
    (
        course("100001", "REDES", session((Day.MONDAY, Day.WEDNESDAY), "07:00", "08:55")),
        course("100002", "SISTEMAS OPERATIVOS", session((Day.MONDAY,), "11:00", "12:55", room="")),
        course("100003", "GUARDIA NOCTURNA", session((Day.FRIDAY,), "23:00", "01:00")),
        course("100004", "TUTORIA EN LINEA", session((), None, None)),
    ),
)
INDEPENDENCE = DayOff(date(2026, 9, 16), "Día de la Independencia", Source.OFFICIAL)


def agenda(days_off: DaysOff | None = None) -> Agenda:
    return Agenda(SCHEDULE, days_off if days_off is not None else DaysOff([INDEPENDENCE]), GDL)


def test_a_day_lists_its_classes_in_order_and_a_room_may_be_missing() -> None:
    monday = agenda().on(date(2026, 9, 14))
    assert [m.course.name for m in monday] == ["REDES", "SISTEMAS OPERATIVOS"]
    assert monday[0].starts == datetime(2026, 9, 14, 7, 0, tzinfo=GDL)
    assert monday[1].session.place == "DEDX"
    assert all(m.held for m in monday)


def test_a_day_off_keeps_its_classes_marked_with_its_name() -> None:
    [wednesday] = agenda().on(date(2026, 9, 16))
    assert not wednesday.held and wednesday.day_off == INDEPENDENCE


def test_a_session_across_midnight_ends_the_next_day() -> None:
    [friday] = agenda().on(date(2026, 9, 18))
    assert friday.ends == datetime(2026, 9, 19, 1, 0, tzinfo=GDL)


def test_a_session_with_no_days_is_unscheduled_not_lost() -> None:
    assert [c.name for c in agenda().unscheduled] == ["TUTORIA EN LINEA"]


def test_next_school_day_skips_days_off_and_weekends() -> None:
    # Tue 15 Sep has nothing, Wed 16 is a day off, Fri 18 has the night class.
    assert agenda().next_school_day(date(2026, 9, 14)) == date(2026, 9, 18)


def test_next_meeting_skips_a_day_off_and_counts_minutes() -> None:
    now = datetime(2026, 9, 15, 12, 0, tzinfo=GDL)
    nxt = agenda().next_meeting(now)
    assert (
        nxt is not None and nxt.course.name == "GUARDIA NOCTURNA" and nxt.day == date(2026, 9, 18)
    )
    at = datetime(2026, 9, 14, 6, 35, tzinfo=GDL)
    first = agenda().next_meeting(at)
    assert first is not None and minutes_until(at, first.starts) == 25


def test_the_cycle_ends_with_its_last_session() -> None:
    a = agenda()
    assert a.last_day == LAST and a.first_day == FIRST
    assert not a.ended(LAST) and a.ended(date(2026, 12, 6))
    assert a.next_meeting(datetime(2026, 12, 6, 8, 0, tzinfo=GDL)) is None
    assert a.on(date(2026, 12, 7)) == []


def test_midnight_in_guadalajara_while_the_server_runs_in_utc() -> None:
    # 05:59 UTC on Tuesday is 23:59 Monday in Guadalajara (UTC-6, no DST since 2022).
    before = datetime(2026, 9, 15, 5, 59, tzinfo=UTC)
    after = datetime(2026, 9, 15, 6, 0, tzinfo=UTC)
    assert agenda().today(before) == date(2026, 9, 14)
    assert agenda().today(after) == date(2026, 9, 15)
    # In July, when the old rules had daylight saving time, it is still UTC-6.
    assert (
        datetime(2026, 7, 1, 12, tzinfo=GDL).utcoffset()
        == datetime(2026, 1, 1, 12, tzinfo=GDL).utcoffset()
    )


def test_the_shipped_days_off_file_loads_and_cites_its_sources() -> None:
    days = DaysOff.load()
    assert date(2026, 9, 16) in days and len(days) > 10
    assert all(d.source in (Source.OFFICIAL, Source.ASSUMED) and d.reference for d in days)


def test_days_off_ranges_and_bad_files(tmp_path: Path) -> None:
    found = parse(
        {
            "dia": [
                {
                    "desde": date(2026, 3, 30),
                    "hasta": date(2026, 4, 3),
                    "nombre": "Semana Santa",
                    "fuente": "assumed",
                }
            ]
        }
    )
    assert [d.day.day for d in found] == [30, 31, 1, 2, 3]
    with pytest.raises(DaysOffError, match="fuente"):
        parse({"dia": [{"fecha": date(2026, 1, 1), "nombre": "X", "fuente": "rumour"}]})
    bad = tmp_path / "d.toml"
    bad.write_text("[[dia]]\nfecha = 2026-13-01\n", "utf-8")
    with pytest.raises(DaysOffError):
        DaysOff.load(bad)
