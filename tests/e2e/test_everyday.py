"""/hoy, /manana, /siguiente through the real bot process, on the real clock.

The bot reads the wall clock, so the expected answers are computed here, from the
simulator's schedule with the same `Agenda` and shipped days off, at moments read just
before and just after each command: the bot's answer must be one of them, whatever the
weekday or the hour the suite runs at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.records import utcnow
from bot.core.zones import zone
from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DaysOff
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.timetable.everyday import TODAY, TOMORROW, day_answer, next_answer
from bot.services.timetable.schedule_book import KnownSchedule
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import SimCareer, SimCourse, SimSession, SimStudent
from bot.telegram.texts import common
from bot.telegram.texts import everyday as everyday_words
from bot.telegram.texts import register as register_words
from bot.telegram.texts import schedule as schedule_words
from tests.e2e.test_registration import at_nip_step, register
from tests.helpers import BotProcess, wait_until

GDL = zone("America/Mexico_City")
STUDENT, TWO_CAREERS, ENDED = 9301, 9302, 9303
LETTERS = "LMIJVS"  # SIIAU's day letters, Monday to Saturday


def dated(hours: str, days: str, building: str, room: str, professor: str) -> SimSession:
    """A session of a cycle around today, so that it meets on whatever day the test runs."""
    today = datetime.now(GDL).date()
    first, last = today - timedelta(days=30), today + timedelta(days=60)
    return SimSession(
        hours, days, building, room, professor, f"{first:%d-%m-%Y}", f"{last:%d-%m-%Y}"
    )


EVERY_DAY = [
    SimCourse(
        "290001",
        "I9001",
        "REDES DIARIAS",
        "D01",
        "8",
        (dated("0700-0855", "LMIJVS", "DEDX", "A101", "SOTO RUIZ, LAURA"),),
    ),
    SimCourse(
        "290002",
        "I9002",
        "SEMINARIO VESPERTINO",
        "D02",
        "6",
        (dated("1500-1655", "LIV", "DUCT1", "", "MORA DIAZ, PABLO"),),
    ),
    SimCourse(
        "290003",
        "I9003",
        "GUARDIA NOCTURNA",
        "D03",
        "4",
        (dated("2300-0100", "MJ", "DEDT", "B2", "LUNA PAZ, EVA"),),
    ),
    SimCourse("290004", "I9004", "PRACTICAS EN LINEA", "D04", "4", (dated("", "", "", "", ""),)),
]


def students() -> tuple[SimStudent, SimStudent]:
    every_day = SimStudent(
        "221000001",
        "diario7x",
        "2100001",
        "RAMOS LEAL, SOFIA",
        [SimCareer("INCO", "INGENIERIA EN COMPUTACION", courses=list(EVERY_DAY))],
    )
    two = SimStudent(
        "221000002",
        "doscarr9",
        "2100002",
        "PEREZ ORTA, LUIS",
        [
            SimCareer(
                "INCO",
                "INGENIERIA EN COMPUTACION",
                courses=[
                    SimCourse(
                        "290011",
                        "I9011",
                        "MATERIA DE COMPUTACION",
                        "D01",
                        "8",
                        (dated("0700-0855", "LMIJVS", "DEDX", "A1", "UNO, ANA"),),
                    )
                ],
            ),
            SimCareer(
                "LIFI",
                "LICENCIATURA EN FISICA",
                courses=[
                    SimCourse(
                        "290012",
                        "F9012",
                        "MATERIA DE FISICA",
                        "D01",
                        "8",
                        (dated("0900-1055", "LMIJVS", "DEFG", "F1", "DOS, BETO"),),
                    )
                ],
            ),
        ],
    )
    return every_day, two


def as_schedule(courses: list[SimCourse]) -> Schedule:
    """What the bot parses from the simulator's page, for the courses the answers show."""

    def session(s: SimSession) -> Session:
        start, end = s.hours.split("-") if s.hours else (None, None)
        return Session(
            tuple(Day(LETTERS.index(letter)) for letter in s.days),
            time(int(start[:2]), int(start[2:])) if start else None,
            time(int(end[:2]), int(end[2:])) if end else None,
            s.building,
            s.room,
            s.professor,
            datetime.strptime(s.first_day, "%d-%m-%Y").date(),
            datetime.strptime(s.last_day, "%d-%m-%Y").date(),
        )

    return Schedule(
        "202620",
        "2026-B",
        "",
        "",
        "",
        "",
        tuple(
            Course(
                c.nrc,
                c.key,
                c.name,
                c.section,
                int(c.credits),
                tuple(session(s) for s in c.sessions),
            )
            for c in courses
        ),
    )


def ask(botapi: BotApiStandIn, user: int, command: str, expected: Callable[[datetime], str]) -> str:
    """Send `command`; its answer must be what `expected` gives for a moment around it."""
    before = utcnow()
    asked = botapi.user_says(user, command)
    answers = {expected(before)}

    def answered(text: str) -> bool:
        answers.add(expected(utcnow()))
        return text in answers

    reply = botapi.wait_for(user, lambda m: answered(m.text), after=asked)
    return reply.text


def known(schedule: Schedule) -> KnownSchedule:
    return KnownSchedule(
        schedule, datetime.now(UTC), Agenda(schedule, DaysOff.load(), GDL), refreshing=False
    )


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")
def test_hoy_manana_siguiente_after_registration(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    every_day, two = students()
    siiau.add_student(every_day)
    siiau.add_student(two)

    asked = botapi.user_says(STUDENT, "/hoy")
    assert botapi.wait_for_text(STUDENT, "/registrar", after=asked).text == common.NOT_REGISTERED

    # Registration reads the schedule in its own SIIAU session (no second login): /hoy then needs none.
    register(botapi, STUDENT, every_day.code, every_day.nip)
    assert siiau.logins[every_day.code] == 1, (
        "registration's first schedule read is in its own session"
    )
    wait_until(lambda: bot.sessions_left_open(siiau) == {}, "the read logged out")
    mine = known(as_schedule(EVERY_DAY))
    hoy = ask(
        botapi,
        STUDENT,
        "/hoy",
        lambda now: everyday_words.everyday_day(day_answer(mine, now, TODAY)),
    )
    manana = ask(
        botapi,
        STUDENT,
        "/manana",
        lambda now: everyday_words.everyday_day(day_answer(mine, now, TOMORROW)),
    )
    siguiente = ask(
        botapi,
        STUDENT,
        "/siguiente",
        lambda now: everyday_words.everyday_next(next_answer(mine, now)),
    )
    assert siiau.logins[every_day.code] == 1, "everyday answers never log in to SIIAU"
    assert hoy.startswith("📅 Hoy, ") and manana.startswith("📅 Mañana, ")
    for text in (hoy, manana, siguiente):
        assert text.count("Sin horario fijo: PRACTICAS EN LINEA") == 1

    # Two careers: the answers are for the one chosen.
    register(botapi, TWO_CAREERS, two.code, two.nip)
    choice = botapi.wait_for_text(TWO_CAREERS, "más de una carrera")
    botapi.user_presses(TWO_CAREERS, choice, "LICENCIATURA EN FISICA (LIFI)")
    botapi.wait_for(TWO_CAREERS, lambda m: m.message_id == choice.message_id and "Listo" in m.text)
    wait_until(lambda: siiau.logins[two.code] == 2, "the first read, of the chosen career")
    physics = known(as_schedule(two.careers[1].courses))
    answer = ask(
        botapi,
        TWO_CAREERS,
        "/siguiente",
        lambda now: everyday_words.everyday_next(next_answer(physics, now)),
    )
    assert "MATERIA DE FISICA" in answer and "COMPUTACION" not in answer

    # The demo student's cycle (2025-B) is over on any day this runs. /horario and /hoy sent
    # while registration's read runs wait for it (no "ya estoy sacando tu horario").
    siiau.hold(
        "sgpregi.horario"
    )  # the schedule page: the read waits there, the verification does not
    at_nip_step(botapi, ENDED, DEMO_CODE)
    nip = botapi.user_says(ENDED, DEMO_NIP)
    botapi.wait_for_text(
        ENDED, register_words.VERIFIED_READING, after=nip
    )  # the pair is saved; the read goes on
    wait_until(lambda: siiau.held() >= 1, "registration's read reaches SIIAU")
    asked = botapi.user_says(ENDED, "/horario")
    botapi.wait_for_text(ENDED, schedule_words.STAGES["login"], after=asked)
    asked_hoy = botapi.user_says(ENDED, "/hoy")
    botapi.wait_for_text(ENDED, everyday_words.EVERYDAY_SLOW, after=asked_hoy)
    siiau.release()
    botapi.wait_for(ENDED, lambda m: m.file_id is not None, after=asked)
    ended = botapi.wait_for_text(ENDED, "Tu ciclo", after=asked_hoy)
    assert "terminó el sábado 13/12" in ended.text and "/horario" in ended.text
    assert common.ALREADY_RUNNING not in [m.text for m in botapi.bot_messages(ENDED)]
