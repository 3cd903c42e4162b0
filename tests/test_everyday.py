"""/hoy, /manana, /siguiente: answers and their wording, at moments given in UTC or local time."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.core.zones import zone
from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DayOff, DaysOff, Source
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.timetable import everyday
from bot.services.timetable.delivery import StoredSchedule
from bot.services.timetable.everyday import TODAY, TOMORROW, day_answer, next_answer
from bot.services.timetable.schedule_book import KnownSchedule, ScheduleBook
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import everyday as everyday_words
from bot.telegram.texts import start as start_words
from tests.helpers import until
from tests.weekly_kit import Clock, close, make_weekly, parts, register

GDL = zone("America/Mexico_City")
FIRST, LAST = date(2026, 8, 17), date(2026, 12, 5)
READ_AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def session(
    days: tuple[Day, ...],
    start: str | None,
    end: str | None,
    building: str = "DEDX",
    room: str = "A002",
    professor: str = "LOPEZ, ANA",
) -> Session:
    return Session(
        days,
        time.fromisoformat(start) if start else None,
        time.fromisoformat(end) if end else None,
        building,
        room,
        professor,
        FIRST,
        LAST,
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
        course(
            "100002",
            "SISTEMAS OPERATIVOS",
            session((Day.MONDAY,), "11:00", "12:55", room="", professor=""),
        ),
        course("100003", "GUARDIA NOCTURNA", session((Day.FRIDAY,), "23:00", "01:00")),
        course(
            "100004",
            "TUTORIA EN LINEA",
            session((), None, None, building="", room="", professor=""),
        ),
        course(
            "100005", "TALLER", session((Day.THURSDAY,), "15:00", "16:55", building="", room="")
        ),
    ),
)
INDEPENDENCE = DayOff(date(2026, 9, 16), "Día de la Independencia", Source.OFFICIAL, "LFT art. 74")


def known(refreshing: bool = False, days_off: DaysOff | None = None) -> KnownSchedule:
    agenda = Agenda(SCHEDULE, days_off if days_off is not None else DaysOff([INDEPENDENCE]), GDL)
    return KnownSchedule(SCHEDULE, READ_AT, agenda, refreshing)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=GDL)


def hoy(now: datetime, offset: int = TODAY, refreshing: bool = False) -> str:
    return everyday_words.everyday_day(day_answer(known(refreshing), now, offset))


def siguiente(now: datetime) -> str:
    return everyday_words.everyday_next(next_answer(known(), now))


def test_a_day_with_classes_one_line_each_with_room_and_professor() -> None:
    text = hoy(local(2026, 9, 14, 6, 0))
    assert text.splitlines() == [
        "📅 Hoy, lunes 14/09:",
        "• 07:00–08:55 REDES · DEDX A002 · LOPEZ, ANA",
        "• 11:00–12:55 SISTEMAS OPERATIVOS · DEDX",  # no room: the building alone, no professor
        "",
        "Sin horario fijo: TUTORIA EN LINEA",
    ]


def test_a_course_with_no_building_nor_room_says_so() -> None:
    assert (
        "• 15:00–16:55 TALLER · sin aula · LOPEZ, ANA" in hoy(local(2026, 9, 17, 9, 0)).splitlines()
    )


def test_no_classes_names_the_next_day_that_has_them() -> None:
    # Tuesday 15/09 has none; Wednesday 16 is a day off; Thursday 17 has TALLER at 15:00.
    answer = day_answer(known(), local(2026, 9, 15, 9, 0))
    assert answer.held == () and answer.next_day == date(2026, 9, 17)
    text = everyday_words.everyday_day(answer)
    assert text.splitlines()[:2] == [
        "📅 Hoy, martes 15/09: no tienes clases 🙌.",
        "Tu próximo día con clases: jueves 17/09, desde las 15:00.",
    ]
    assert text.count("TUTORIA EN LINEA") == 1


def test_a_day_off_shows_its_classes_as_dia_inhabil() -> None:
    text = hoy(local(2026, 9, 15, 20, 0), TOMORROW)
    assert text.splitlines()[:3] == [
        "📅 Mañana, miércoles 16/09: día inhábil (Día de la Independencia) 🎉, no tienes clases.",
        "• 07:00–08:55 REDES · día inhábil (Día de la Independencia)",
        "Tu próximo día con clases: jueves 17/09, desde las 15:00.",
    ]


def test_a_session_across_midnight_is_marked_and_skipped_once_running() -> None:
    assert "• 23:00–01:00 (+1 día) GUARDIA NOCTURNA · DEDX A002 · LOPEZ, ANA" in hoy(
        local(2026, 9, 18, 8, 0)
    )
    # At 23:30 on Friday the night class is running: the next one is Monday's first.
    text = siguiente(local(2026, 9, 18, 23, 30))
    assert text.splitlines()[:2] == [
        "⏭️ Tu siguiente clase es el lunes 07:00:",
        "• 07:00–08:55 REDES · DEDX A002 · LOPEZ, ANA",
    ]


def test_a_weekend_answers_the_next_school_day() -> None:
    text = hoy(local(2026, 9, 20, 10, 0))  # Sunday
    assert text.startswith(
        "📅 Hoy, domingo 20/09: no tienes clases 🙌.\nTu próximo día con clases: lunes 21/09"
    )


def test_the_cycle_ended_points_to_horario() -> None:
    after = hoy(local(2026, 12, 7, 9, 0))
    assert "Tu ciclo 2026-B terminó el sábado 05/12" in after and "/horario" in after
    assert "próximo día" not in after
    on_the_last_day = hoy(local(2026, 12, 5, 9, 0), TOMORROW)
    assert "Tu ciclo 2026-B termina el sábado 05/12" in on_the_last_day
    nothing_next = siguiente(local(2026, 12, 6, 9, 0))
    assert (
        nothing_next.startswith("Tu ciclo 2026-B terminó el sábado 05/12")
        and "/horario" in nothing_next
    )


def test_midnight_in_guadalajara_while_now_is_in_utc() -> None:
    before = datetime(2026, 9, 15, 5, 59, tzinfo=UTC)  # Monday 23:59 in Guadalajara
    after = datetime(2026, 9, 15, 6, 0, tzinfo=UTC)  # Tuesday 00:00
    assert hoy(before).startswith("📅 Hoy, lunes 14/09:\n• 07:00")
    assert hoy(after).startswith("📅 Hoy, martes 15/09: no tienes clases")
    assert hoy(before, TOMORROW).startswith("📅 Mañana, martes 15/09: no tienes clases")
    assert hoy(after, TOMORROW).startswith("📅 Mañana, miércoles 16/09: día inhábil")
    # 23:59 Monday: the next class is Thursday's (Tuesday has none, Wednesday is off).
    assert siguiente(before).startswith("⏭️ Tu siguiente clase es el jueves 15:00:")


def test_siguiente_phrasing() -> None:
    assert siguiente(local(2026, 9, 14, 6, 35)).startswith(
        "⏭️ Tu siguiente clase es en 25 min:\n• 07:00–08:55 REDES"
    )
    assert siguiente(datetime(2026, 9, 14, 12, 35, tzinfo=UTC)).startswith(
        "⏭️ Tu siguiente clase es en 25 min"
    )
    assert siguiente(local(2026, 9, 14, 6, 59, 30)).startswith("⏭️ Tu siguiente clase es en 1 min:")
    assert siguiente(local(2026, 9, 14, 9, 30)).startswith("⏭️ Tu siguiente clase es en 1 h 30 min:")
    assert siguiente(local(2026, 9, 14, 9, 0)).startswith("⏭️ Tu siguiente clase es hoy 11:00:")
    assert siguiente(local(2026, 9, 13, 20, 0)).startswith("⏭️ Tu siguiente clase es mañana 07:00:")
    assert siguiente(local(2026, 9, 17, 17, 0)).startswith(
        "⏭️ Tu siguiente clase es mañana 23:00:\n• 23:00–01:00"
    )
    now = local(2026, 9, 14, 9, 0)
    assert everyday_words.next_when(now, now + timedelta(hours=2)) == "hoy 11:00"
    assert everyday_words.next_when(now, now + timedelta(hours=1)) == "en 1 h"
    assert everyday_words.next_when(now, local(2026, 9, 22, 7, 0)) == "el martes 22/09 07:00"


def test_an_old_copy_says_so_in_one_line() -> None:
    text = hoy(local(2026, 9, 14, 6, 0), refreshing=True)
    assert (
        text.splitlines()[0]
        == "ℹ️ Es tu horario guardado del 01/09; lo estoy actualizando con SIIAU."
    )
    assert everyday_words.everyday_day(day_answer(known(), local(2026, 9, 14, 6, 0))).startswith(
        "📅"
    )


def test_commands_are_listed() -> None:
    names = [name for name, _ in start_words.COMMANDS]
    assert {"hoy", "manana", "siguiente"} <= set(names) and len(names) == len(set(names))


USER = 100


async def test_a_missing_copy_waits_for_the_refresh_already_reading_it(
    tmp_path: Path, siiau: SiiauSimulator
) -> None:
    """Right after registration a refresh is reading the schedule: /hoy waits for it, no second login."""
    clock = Clock(
        datetime(2025, 9, 1, 6, 30)
    )  # Monday 00:30 in Guadalajara, inside the simulator's cycle
    weekly, _ = await make_weekly(tmp_path / "e.db", siiau.url, clock)
    await register(weekly, USER, DEMO_CODE, DEMO_NIP)
    delivery = parts(weekly).delivery
    book = ScheduleBook(delivery, DaysOff(), GDL, timedelta(days=7), clock=clock)
    logins = siiau.logins[DEMO_CODE]
    looked: list[bool] = []
    read_stored = delivery.stored_schedule

    async def spy(user_id: int) -> StoredSchedule | None:
        stored = await read_stored(user_id)
        looked.append(stored is None)
        return stored

    delivery.stored_schedule = spy  # type: ignore[method-assign]
    siiau.hold()
    book.refresh_soon(USER)
    await until(lambda: siiau.held() > 0, "the refresh reaches SIIAU")
    answering = asyncio.ensure_future(everyday.day(book, USER, TODAY))
    # The answer found no copy while the refresh was held at SIIAU: it is waiting for it now.
    await until(lambda: looked == [True], "the answer looks for a stored copy")
    assert not answering.done()
    siiau.release()
    answer = await answering
    assert looked == [True, False], "it read the copy the refresh stored"
    assert siiau.logins[DEMO_CODE] == logins + 1, "one login: the refresh's"
    assert answer.day == date(2025, 9, 1)
    assert [m.course.name for m in answer.held] == [
        "SISTEMAS OPERATIVOS",
        "COMPUTACION TOLERANTE A FALLAS",
    ]
    nxt = await everyday.next_class(book, USER)
    assert nxt.meeting is not None and nxt.meeting.starts == datetime(2025, 9, 1, 9, 0, tzinfo=GDL)
    assert siiau.logins[DEMO_CODE] == logins + 1, "later answers read the stored copy"
    await book.aclose()
    await close(weekly)
