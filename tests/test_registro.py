"""The second schedule source: REGISTRO → "Lista" joined by NRC with the student's offer.

Used when the schedule page is missing (404) or not one we know. A listed course the
offer lacks is `CourseNotInOffer`: the schedule is refused, never delivered without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.schedule.model import Schedule
from bot.siiau import registro
from bot.siiau.client import SiiauClient, SiiauClientFactory
from bot.siiau.errors import CourseNotInOffer, LayoutChanged, PageNotFound
from bot.siiau.offer import OfferSection, parse_student_offer_form
from bot.siiau.registro import (
    ListedCourse,
    RegistrationList,
    RegistroSchedulePage,
    parse_registration_list,
)
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau import offer_pages as sim_offer

DEMO = Credentials(DEMO_CODE, DEMO_NIP)
Login = Literal["auto", "portal", "direct"]  # SiiauSettings.login
Source = Literal["auto", "horario", "registro"]  # SiiauSettings.schedule_source
LIST = """<html><body><table>
<tr><th>NRC</th><th>CLAVE</th><th>MATERIA</th><th>CRÉDITOS</th></tr>
<tr><td>124873</td><td>I5914</td><td>IA</td><td>8</td></tr>
<tr><td>218581</td><td>I6001</td><td>Redes</td><td></td></tr>
<tr><td colspan="3">TOTAL</td><td>8</td></tr>
</table></body></html>"""


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=9) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a run left a SIIAU session open"


def test_the_list_is_read_by_its_header_and_a_total_row_is_not_a_course() -> None:
    listed = parse_registration_list(LIST)
    assert listed.courses == (
        ListedCourse("124873", "I5914", "IA", 8),
        ListedCourse("218581", "I6001", "Redes", None),
    )


def test_columns_are_found_by_name_wherever_they_stand() -> None:
    html = (
        LIST.replace("<th>NRC</th><th>CLAVE</th>", "<th>CLAVE</th><th>NRC</th>")
        .replace("<td>124873</td><td>I5914</td>", "<td>I5914</td><td>124873</td>")
        .replace("<td>218581</td><td>I6001</td>", "<td>I6001</td><td>218581</td>")
    )
    assert [c.nrc for c in parse_registration_list(html).courses] == ["124873", "218581"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<td>124873</td>", "<td>NRC?</td>"),
        ("<td>I5914</td>", "<td></td>"),
        ("<td>8</td></tr>\n<tr><td>2", "<td>ocho</td></tr>\n<tr><td>2"),
    ],
)
def test_a_row_the_parser_cannot_place_is_layout_changed_never_skipped(old: str, new: str) -> None:
    assert old in LIST
    with pytest.raises(LayoutChanged):
        parse_registration_list(LIST.replace(old, new, 1))


def test_a_page_without_the_list_is_layout_changed() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_registration_list("<html><body><table><tr><td>Aviso</td></tr></table></body></html>")
    assert "CREDITOS" in caught.value.marker


def test_links_are_followed_by_their_text_and_take_the_chosen_career() -> None:
    menu = '<a href="x.kardex">Kardex</a> <a href="javascript:openWin(\'sgpreg.lista?pidmp=1&majrp=INCO\')">Lista</a>'
    assert registro.link(menu, "lista", "LIFI") == "sgpreg.lista?pidmp=1&majrp=LIFI"
    with pytest.raises(LayoutChanged):
        registro.link(menu, "REGISTRO")


def section(nrc: str, key: str) -> OfferSection:
    return OfferSection(nrc, key, "OFFER NAME", "D01", 8, 40, 1, (), ())


def test_a_listed_course_missing_from_the_offer_is_a_typed_error_not_a_dropped_course() -> None:
    listed = parse_registration_list(LIST)
    page = RegistroSchedulePage(listed, (section("124873", "I5914"),), "INCO", "202520")
    with pytest.raises(CourseNotInOffer) as caught:
        page.schedule()
    assert "218581" in str(caught.value) and caught.value.step == "registro · join"
    assert isinstance(
        caught.value, LayoutChanged
    )  # the operator is told, the student gets a clear text


def test_the_join_keeps_the_lists_names_and_the_offers_sections() -> None:
    listed = parse_registration_list(LIST)
    page = RegistroSchedulePage(
        listed, (section("218581", "I6001"), section("124873", "I5914")), "INCO", "202520"
    )
    schedule = page.schedule()
    assert [(c.nrc, c.name, c.credits) for c in schedule.courses] == [
        ("124873", "IA", 8),
        ("218581", "Redes", 8),
    ]
    assert schedule.term_label == "2025-B" and all(len(c.sessions) == 1 for c in schedule.courses)
    with pytest.raises(LayoutChanged, match="I5914 in the list but I6001"):
        RegistroSchedulePage(
            listed, (section("124873", "I6001"), section("218581", "I6001")), "INCO", "202520"
        ).schedule()


def test_an_empty_list_is_an_empty_schedule() -> None:
    page = RegistroSchedulePage(RegistrationList((), "202520"), (), "INCO", "202520")
    assert page.schedule().courses == ()


def test_the_student_offer_form_and_the_cycle_it_is_asked_for() -> None:
    form = parse_student_offer_form(
        sim_offer.offer_form(
            [("2025D", "Promocion"), ("202520", "B"), ("202510", "A")], [("D", "CUCEI")]
        )
    )
    assert (form.action, form.centre) == ("sspseca.consulta_oferta", "D")
    assert registro.choose_cycle(form, None, None) == "202520"  # the newest regular cycle
    assert registro.choose_cycle(form, None, "202510") == "202510"  # the one the list names
    assert registro.choose_cycle(form, "2025D", "202510") == "2025D"  # the one asked for
    with pytest.raises(LayoutChanged):
        registro.choose_cycle(form, "199910", None)


async def fetch(
    siiau: SiiauSimulator, source: Source = "auto", login: Login = "direct"
) -> tuple[SiiauClient, Schedule]:
    settings = SiiauSettings(
        base_url=siiau.url, portal_url=siiau.url, login=login, schedule_source=source
    )
    client = SiiauClientFactory(settings)()
    try:
        await client.login(DEMO)
        page = await client.schedule_page("INCO")
    finally:
        await client.logout()
        await client.aclose()
    return client, page.schedule()


@pytest.mark.parametrize("login", ["direct", "portal"])
async def test_without_a_schedule_page_the_list_and_offer_give_the_same_schedule(
    siiau: SiiauSimulator, login: Login
) -> None:
    siiau.faults.login_paths = {login}
    _, from_horario = await fetch(siiau, login=login)
    siiau.faults.no_schedule_page = True
    _, from_registro = await fetch(siiau, login=login)
    assert from_registro == from_horario
    assert "VILLASEÑOR MUÑOZ, ANA" in {c.professor for c in from_registro.courses}


async def test_the_configured_source_is_used_alone(siiau: SiiauSimulator) -> None:
    siiau.faults.no_schedule_page = True
    with pytest.raises(PageNotFound):
        await fetch(siiau, source="horario")
    siiau.faults.no_schedule_page = False  # the menu has no REGISTRO: the second source alone fails
    with pytest.raises(LayoutChanged) as caught:
        await fetch(siiau, source="registro")
    assert caught.value.step == "registro 1/4"


async def test_a_course_the_careers_offer_lacks_is_asked_of_every_career_then_refused(
    siiau: SiiauSimulator,
) -> None:
    siiau.faults.no_schedule_page = True
    siiau.faults.offer_missing = {"181002"}
    siiau.reset_stats()
    with pytest.raises(CourseNotInOffer, match="I7038 NRC 181002"):
        await fetch(siiau)
    login, horario_404, menu, registro_and_list, offer_form, logout = 3, 1, 1, 2, 1, 1
    offer_queries = 4 + 1  # each clave within the career; then the one it lacked, of every career
    assert (
        siiau.requests
        == login + horario_404 + menu + registro_and_list + offer_form + offer_queries + logout
    )
