"""SIIAU pages read by meaning: labels in th or td, career options of every shape,
a login that stops at step 2, outages told from course names, masked fragments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau import pages
from bot.siiau.client import SiiauClientFactory
from bot.siiau.errors import LayoutChanged, LoginUnconfirmed, SessionAlreadyOpen, SiiauErrorPage
from bot.siiau.schedule_page import parse_schedule
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau import pages as sim_pages
from bot.sim.siiau.students import SimCourse, SimSession, demo_students


def page_of(style: str = "td", courses: list[SimCourse] | None = None) -> str:
    student = demo_students()[0]
    career = student.careers[0]
    return sim_pages.schedule(
        student,
        career,
        sim_pages.CURRENT_CYCLE,
        career.courses if courses is None else courses,
        student_block=style,
    )


@pytest.mark.parametrize("style", ["td", "th"])
def test_student_block_in_td_pairs_or_th_rows(style: str) -> None:
    schedule = parse_schedule(page_of(style))
    assert (
        schedule.student_name == "MARTINEZ VIRGEN, KEVIN ALAN"
        and schedule.student_code == "219294382"
    )
    assert (schedule.career, schedule.career_name) == ("INCO", "INGENIERIA EN COMPUTACION")


def test_labels_without_colons_and_with_accents() -> None:
    html = page_of().replace("CODIGO:", "Código").replace("NOMBRE:", "NOMBRE")
    schedule = parse_schedule(html)
    assert (
        schedule.student_code == "219294382"
        and schedule.student_name == "MARTINEZ VIRGEN, KEVIN ALAN"
    )


def course(name: str, days: str = "LI", hours: str = "0700-0855") -> SimCourse:
    return SimCourse(
        "190001",
        "I7040",
        name,
        "D01",
        "8",
        (
            SimSession(
                hours, days, "DEDX", "A105", "NUÑEZ OCHOA, PEDRO", "18-08-2025", "13-12-2025"
            ),
        ),
    )


def test_a_course_named_maintenance_is_no_outage() -> None:
    html = page_of(courses=[course("MANTENIMIENTO INDUSTRIAL")])
    pages.raise_for_page(html)  # a page with its tables is read, whatever words it holds
    assert [c.name for c in parse_schedule(html).courses] == ["MANTENIMIENTO INDUSTRIAL"]
    with pytest.raises(Exception, match="maintenance"):
        pages.raise_for_page(sim_pages.maintenance())


@pytest.mark.parametrize(
    ("days", "hours", "what"),
    [
        ("LD", "0700-0855", "day cell 'D'"),
        ("LI", "7 a 9", "hours cell"),
        ("LI", "2500-2600", "hours cell"),
    ],
)
def test_a_cell_the_parser_cannot_place_is_a_layout_change(
    days: str, hours: str, what: str
) -> None:
    html = page_of(courses=[course("REDES", days=days, hours=hours)])
    if "D" in days:  # the simulator writes only known letters: put a Sunday where Wednesday was
        html = page_of(courses=[course("REDES", days="LI")]).replace("<TD>I</TD>", "<TD>D</TD>")
    with pytest.raises(LayoutChanged, match=what) as caught:
        parse_schedule(html)
    assert caught.value.step == "schedule page" and caught.value.marker


@pytest.mark.parametrize("shape", ["code", "code-cycle", "code-name"])
def test_career_options_of_every_shape(shape: str) -> None:
    student = next(s for s in demo_students() if len(s.careers) > 1)
    careers = pages.careers_from_menu(sim_pages.menu(student, options=shape))
    assert [(c.code, c.name) for c in careers] == [
        ("INCO", "INGENIERIA EN COMPUTACION"),
        ("LIFI", "LICENCIATURA EN FISICA"),
    ]


def test_one_odd_option_never_rejects_the_menu() -> None:
    html = (
        '<SELECT NAME="p_carrera"><OPTION VALUE="">Selecciona</OPTION><OPTION VALUE="??">?</OPTION>'
        '<OPTION VALUE="INNI-202210">INNI - INGENIERIA INFORMATICA</OPTION></SELECT>'
    )
    assert [(c.code, c.name) for c in pages.careers_from_menu(html)] == [
        ("INNI", "INGENIERIA INFORMATICA")
    ]
    with pytest.raises(LayoutChanged):
        pages.careers_from_menu(
            '<SELECT NAME="p_carrera"><OPTION VALUE="">Selecciona</OPTION></SELECT>'
        )


def test_step_two_without_finicio_means_a_session_open_elsewhere() -> None:
    pages.check_login_continues(sim_pages.login_continue())
    pages.check_login_continues(
        '<form name="FINICIO" action="/wus/gupprincipal.valida_inicio"></form>'
    )
    with pytest.raises(SessionAlreadyOpen):
        pages.check_login_continues(sim_pages.session_already_open())
    with pytest.raises(SessionAlreadyOpen):
        pages.check_login_continues('<form name="fInicio" action="gupprincipal.otra_cosa"></form>')


def test_fragments_mask_quoted_and_unquoted_values_and_the_credentials() -> None:
    html = (
        '<FORM NAME=x ACTION="gupprincipal.valida_inicio"><INPUT TYPE=hidden NAME=p_clave_c VALUE=nip123>'
        "<INPUT NAME='p_codigo_c' VALUE='219294382'><A HREF=\"x?pidm=1234567\" onclick=go(nip123)>"
        "Hola nip123 / NIP123</A></FORM>"
    )
    excerpt = pages.fragment(html, ("219294382", "nip123"))
    for secret in ("nip123", "NIP123", "219294382", "1234567", "go("):
        assert secret not in excerpt
    assert "NAME=p_clave_c" in excerpt and 'ACTION="gupprincipal.valida_inicio"' in excerpt


async def test_a_layout_change_at_login_says_where_and_hides_the_credentials() -> None:
    with SiiauSimulator(seed=1) as siiau:
        siiau.faults.captcha_enforced = True
        client = SiiauClientFactory(SiiauSettings(base_url=siiau.url))()
        try:
            with pytest.raises(LayoutChanged) as caught:
                await client.login(Credentials("219294382", "nip123"))
            await client.logout()
        finally:
            await client.aclose()
    error = caught.value
    assert (
        error.where
        == "login 3/3 · /wus/gupprincipal.valida_inicio · falta form[name=mainPage] p_pidm_n"
    )
    assert "captcha" in str(error) and error.fragment
    assert "219294382" not in error.fragment and "nip123" not in error.fragment


def test_an_error_page_served_with_200_is_told_from_a_course_named_like_one() -> None:
    with pytest.raises(SiiauErrorPage) as caught:
        pages.raise_for_page(sim_pages.oracle_error())
    assert caught.value.transient and "Internal Server Error" in caught.value.fragment
    student = demo_students()[0]
    odd = [
        SimCourse(
            "170002",
            "I0500",
            "INTERNAL SERVER ERROR 500 Y PROXY ERROR",
            "D01",
            "8",
            (SimSession("0700-0855", "L", "DEDX", "A1", "ORA-06550, ANA"),),
        )
    ]
    html = sim_pages.schedule(student, student.careers[0], sim_pages.CURRENT_CYCLE, odd)
    pages.raise_for_page(html)  # a page with its table is never an error page
    assert parse_schedule(html).courses[0].name == "INTERNAL SERVER ERROR 500 Y PROXY ERROR"


@pytest.mark.parametrize("step", [pages.check_login_continues, pages.pidm_from_main_page])
def test_the_login_form_back_with_no_alert_is_unconfirmed_not_a_session_open_elsewhere(
    step: Callable[[str], object],
) -> None:
    with pytest.raises(LoginUnconfirmed):
        step(sim_pages.login_form("tok123"))
    with pytest.raises(SessionAlreadyOpen):
        pages.check_login_continues(sim_pages.session_already_open())
