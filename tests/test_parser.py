from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.schedule.model import Day, Schedule
from bot.siiau.errors import LayoutChanged, SurveyPending
from bot.siiau.pages import decode
from bot.siiau.schedule_page import parse_schedule
from bot.sim.siiau import pages as sim_pages
from bot.sim.siiau.students import demo_students

FIXTURES = Path(__file__).parent / "fixtures" / "siiau"
SAMPLE = FIXTURES / "horario_reconstruido__sgpregi.horario.html"


def sample_schedule() -> Schedule:
    return parse_schedule(decode(SAMPLE.read_bytes()))


def test_sample_header_fields() -> None:
    schedule = sample_schedule()
    assert schedule.term == "202520" and schedule.term_label == "2025-B"
    assert schedule.student_name == "MARTINEZ VIRGEN, KEVIN ALAN"
    assert (schedule.career, schedule.career_name) == ("INCO", "INGENIERIA EN COMPUTACION")
    assert [c.nrc for c in schedule.courses] == ["179961", "180245", "181002", "182310"]


def test_multi_session_course_and_accents() -> None:
    so = sample_schedule().courses[2]
    assert so.name == "SISTEMAS OPERATIVOS" and so.credits == 8
    assert [(s.days, s.start, s.end, s.place) for s in so.sessions] == [
        ((Day.MONDAY, Day.WEDNESDAY), time(9), time(10, 55), "DEDT A013"),
        ((Day.FRIDAY,), time(13), time(14, 55), "DUCT2 LC11"),
    ]
    assert so.professor == "PEÑA GARCIA, JOSE"
    assert so.sessions[0].first_day == date(2025, 8, 18)
    assert sample_schedule().courses[1].sessions[0].professor == "VILLASEÑOR MUÑOZ, ANA"


def test_course_without_professor_room_or_time() -> None:
    student = demo_students()[3]
    career = student.careers[0]
    html = sim_pages.schedule(student, career, "202520", career.courses)
    schedule = parse_schedule(decode(html.encode("latin-1")))
    names = [c.name for c in schedule.courses]
    assert names == ["ECOLOGÍA Y SOCIEDAD", "PRÁCTICAS DE CAMPO", "TALLER DE REDACCIÓN"]
    field_work = schedule.courses[1].sessions[0]
    assert not field_work.scheduled and field_work.days == () and field_work.place == ""
    assert schedule.courses[2].sessions[0].professor == "VARGAS PEÑA, ELENA"
    assert schedule.courses[2].sessions[0].room == ""
    assert schedule.student_name == "IBAÑEZ MUÑOZ, JOSE ÁNGEL"


def test_content_hash_is_stable_and_sensitive() -> None:
    first, second = sample_schedule(), sample_schedule()
    assert first.content_hash == second.content_hash
    changed = SAMPLE.read_bytes().replace(b"1300-1455", b"1500-1655")
    assert parse_schedule(decode(changed)).content_hash != first.content_hash


def test_changed_header_fails_loudly() -> None:
    html = decode(SAMPLE.read_bytes()).replace("<TH>AULA</TH>", "<TH>SALON</TH>")
    with pytest.raises(LayoutChanged, match="header"):
        parse_schedule(html)


def test_row_of_unknown_shape_fails_loudly() -> None:
    html = decode(SAMPLE.read_bytes()).replace('<TD COLSPAN="5">&nbsp;</TD>', "<TD>&nbsp;</TD>")
    with pytest.raises(LayoutChanged):
        parse_schedule(html)


@pytest.mark.parametrize(
    "name",
    [
        "consulta_oferta_resultado__sspseca.consulta_oferta__202510_CUCEI_V0731__lordfriky.html",
        "consulta_oferta_formulario__sspseca.forma_consulta__lordfriky.html",
    ],
)
def test_real_pages_of_other_layouts_are_refused_not_guessed(name: str) -> None:
    with pytest.raises(LayoutChanged):
        parse_schedule((FIXTURES / name).read_text(encoding="utf-8"))


def test_simulator_serves_the_sample_byte_for_byte() -> None:
    student = demo_students()[0]
    html = sim_pages.schedule(student, student.careers[0], "202520", student.careers[0].courses)
    assert html.encode("latin-1") == SAMPLE.read_bytes()


def test_a_survey_in_place_of_the_schedule_is_a_survey_not_a_layout_change() -> None:
    """PROTOCOL (grades, 2019 code): the schedule page comes back with `Encuestas</b>` instead
    of its content, with no tell-tale title; the student must be told to answer it."""
    page = (
        "<HTML><HEAD><TITLE>SIIAU</TITLE></HEAD><BODY><CENTER><FONT SIZE=3><B>Encuestas</B></FONT>"
        "<P>Debes contestar la evaluaci&oacute;n docente antes de continuar.</P></CENTER></BODY></HTML>"
    )
    with pytest.raises(SurveyPending):
        parse_schedule(page, career="INCO")
