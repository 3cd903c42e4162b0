"""The public course offer: the two real SIIAU pages pinned exactly, bad pages, and the client.

The two real pages (tests/fixtures/siiau/consulta_oferta_*, see SOURCES.md there)
were saved by their publisher as UTF-8, not as the ISO-8859-1 bytes SIIAU sends:
the result page has a correct "MUÑOZ", while the form's "DISEÑO" was decoded
with the wrong charset before it was saved and holds U+FFFD. Tests that go over
HTTP re-encode them to ISO-8859-1 (restoring that Ñ), as SIIAU would serve them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest

from bot.schedule.model import Day
from bot.siiau import pages
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.siiau.offer import (
    Centre,
    Cycle,
    OfferProfessor,
    OfferSection,
    OfferSession,
    parse_offer_form,
    parse_offer_results,
)
from bot.siiau.offer_client import OfferClient, search_fields
from bot.sim.siiau.offer_pages import SimOfferSection, SimOfferSession
from bot.sim.siiau.offer_server import FORM_PATH, RESULTS_PATH, OfferSimulator

FIXTURES = Path(__file__).parent / "fixtures" / "siiau"
FORM_FILE = FIXTURES / "consulta_oferta_formulario__sspseca.forma_consulta__lordfriky.html"
RESULT_FILE = (
    FIXTURES
    / "consulta_oferta_resultado__sspseca.consulta_oferta__202510_CUCEI_V0731__lordfriky.html"
)
FORM_HTML = FORM_FILE.read_text("utf-8")
RESULT_HTML = RESULT_FILE.read_text("utf-8")
# What SIIAU would send: ISO-8859-1, with the Ñ of "DISEÑO" the saved copy lost.
FORM_BYTES = FORM_HTML.replace("\ufffd", "Ñ").encode("latin-1")
RESULT_BYTES = RESULT_HTML.encode("latin-1")

# ---- the real result page, written out by hand from its HTML ----------------
# Every section is V0731 "ESTRUCTURAS DE DATOS", 10 credits; every session row is
# session "01" over "16/01/25 - 01/06/25"; each section has one professor.
# (NRC, section, CUP, DIS, [(hours, days, building, room)], professor)
REAL_ROWS = [
    (
        "210900",
        "D01",
        24,
        0,
        [("1100-1455", ". . . . . S", "DUCT2", "LC04"), ("1500-1655", ". . . . . S", "DESV2", "")],
        "DAVALOS BOITES, MICHEL",
    ),
    (
        "210901",
        "D02",
        39,
        0,
        [("0900-1055", ". M . J . .", "DUCT2", "LC02"), ("1100-1255", ". . . . V .", "DESV2", "")],
        "GUTIERREZ HERNANDEZ, ALFREDO",
    ),
    (
        "210902",
        "D03",
        26,
        3,
        [("0700-0855", ". . . . . S", "DESV2", ""), ("1500-1655", ". M . J . .", "DUCT1", "LC02")],
        "HERRERA LUJAN, ZOILA LILIANA",
    ),
    (
        "210903",
        "D04",
        28,
        0,
        [("0900-1055", ". . . . . S", "DESV2", ""), ("1300-1455", ". M . J . .", "DUCT1", "LC10")],
        "GUEVARA GALINDO, GILBERTO SIMON",
    ),
    (
        "210904",
        "D05",
        24,
        3,
        [
            ("1100-1255", "L . . . . .", "DEDX", "A019"),
            ("1100-1255", ". . I . . .", "DUCT2", "LC08"),
            ("1500-1655", ". . . . V .", "DESV2", ""),
        ],
        "MUÑOZ GOMEZ, LUIS ALBERTO",
    ),
    (
        "210905",
        "D06",
        26,
        4,
        [("1700-2055", "L . . . . .", "DUCT1", "LC08"), ("1700-1855", ". . I . . .", "DESV2", "")],
        "CEDANO RODRIGUEZ, ALFREDO",
    ),
    (
        "210907",
        "D08",
        25,
        3,
        [("1500-1655", "L . I . . .", "DUCT2", "LC10"), ("1500-1655", ". . . . V .", "DESV2", "")],
        "ZAMORA RAMOS, VICTOR MANUEL",
    ),
    (
        "210908",
        "D09",
        24,
        16,
        [("1700-1855", "L . I . . .", "DUCT1", "LC02"), ("1700-1855", ". . . . V .", "DESV2", "")],
        "ZAMORA RAMOS, VICTOR MANUEL",
    ),
    (
        "210909",
        "D10",
        24,
        0,
        [
            ("0900-1055", ". . . . . S", "DESV2", ""),
            ("1100-1255", ". M . . . .", "DUCT2", "LC08"),
            ("1100-1255", ". . . J . .", "DUCT2", "LC08"),
        ],
        "HERRERA LUJAN, ZOILA LILIANA",
    ),
    (
        "210910",
        "D11",
        25,
        0,
        [("1100-1455", ". . . . V .", "DUCT2", "LC05"), ("1100-1255", ". . . . . S", "DESV2", "")],
        "HERRERA LUJAN, ZOILA LILIANA",
    ),
    (
        "213727",
        "D12",
        24,
        1,
        [("1700-1855", "L . I . . .", "DUCT2", "LC07"), ("1700-1855", ". . . . V .", "DESV2", "")],
        "ORTEGA SANCHEZ, NOE",
    ),
]


def _hhmm(value: str) -> time:
    return time(int(value[:2]), int(value[2:]))


def _expected(row: tuple[str, str, int, int, list[tuple[str, str, str, str]], str]) -> OfferSection:
    nrc, section, seats, free, sessions, professor = row
    return OfferSection(
        nrc=nrc,
        key="V0731",
        name="ESTRUCTURAS DE DATOS",
        section=section,
        credits=10,
        seats=seats,
        free=free,
        sessions=tuple(
            OfferSession(
                number="01",
                days=tuple(Day(i) for i, mark in enumerate(days.split()) if mark != "."),
                start=_hhmm(hours[:4]),
                end=_hhmm(hours[5:]),
                building=building,
                room=room,
                first_day=date(2025, 1, 16),
                last_day=date(2025, 6, 1),
            )
            for hours, days, building, room in sessions
        ),
        professors=(OfferProfessor("01", professor),),
    )


EXPECTED_SECTIONS = tuple(_expected(row) for row in REAL_ROWS)


def test_real_result_page_parses_exactly() -> None:
    page = parse_offer_results(RESULT_HTML)
    assert [s.nrc for s in page.sections] == [
        "210900",
        "210901",
        "210902",
        "210903",
        "210904",
        "210905",
        "210907",
        "210908",
        "210909",
        "210910",
        "213727",
    ]
    for got, expected in zip(page.sections, EXPECTED_SECTIONS, strict=True):
        assert got == expected, got.nrc
    assert sum(len(s.sessions) for s in page.sections) == 24
    assert page.cycle == "202510"
    assert page.centre_name == "CENTRO UNIVERSITARIO DE CIENCIAS EXACTAS E INGENIERIAS"
    assert page.total == 11
    assert page.end_of_report is True
    assert page.next_start is None
    assert page.has_more is False


def test_real_result_page_rows_checked_by_hand() -> None:
    by_section = {s.section: s for s in parse_offer_results(RESULT_HTML).sections}
    d02 = by_section["D02"]
    assert d02.sessions[0].days == (Day.TUESDAY, Day.THURSDAY)
    assert (d02.sessions[0].start, d02.sessions[0].end) == (time(9, 0), time(10, 55))
    assert (d02.seats, d02.free) == (39, 0)
    d05 = by_section["D05"]
    assert [s.days for s in d05.sessions] == [(Day.MONDAY,), (Day.WEDNESDAY,), (Day.FRIDAY,)]
    assert [(s.building, s.room) for s in d05.sessions] == [
        ("DEDX", "A019"),
        ("DUCT2", "LC08"),
        ("DESV2", ""),
    ]
    d06 = by_section["D06"]
    assert (d06.sessions[0].start, d06.sessions[0].end) == (time(17, 0), time(20, 55))
    d09 = by_section["D09"]
    assert (d09.nrc, d09.seats, d09.free) == ("210908", 24, 16)
    assert d09.sessions[0].days == (Day.MONDAY, Day.WEDNESDAY)
    assert "D07" not in by_section  # the real page skips D07 (NRC 210906)


def test_real_result_page_n_with_tilde() -> None:
    assert "MUÑOZ".encode() in RESULT_FILE.read_bytes()  # the saved copy is UTF-8
    professors = [p.name for s in parse_offer_results(RESULT_HTML).sections for p in s.professors]
    assert "MUÑOZ GOMEZ, LUIS ALBERTO" in professors
    # The same page as SIIAU sends it: one byte 0xD1 for Ñ.
    assert b"MU\xd1OZ" in RESULT_BYTES
    from_wire = parse_offer_results(pages.decode(RESULT_BYTES))
    assert from_wire.sections == EXPECTED_SECTIONS


def test_real_section_as_schedule_course() -> None:
    section = parse_offer_results(RESULT_HTML).sections[4]
    course = section.to_course()
    assert (course.nrc, course.key, course.name, course.section, course.credits) == (
        "210904",
        "V0731",
        "ESTRUCTURAS DE DATOS",
        "D05",
        10,
    )
    assert [s.professor for s in course.sessions] == ["MUÑOZ GOMEZ, LUIS ALBERTO"] * 3
    assert course.sessions[0].place == "DEDX A019"
    assert course.sessions[0].hours == "11:00–12:55"


# ---- the real form ---------------------------------------------------------


def test_real_form_cycles() -> None:
    form = parse_offer_form(FORM_HTML)
    assert len(form.cycles) == 184
    assert form.cycles[0] == Cycle("2025D", "Promocion 2025D")
    assert form.cycles[2] == Cycle("202580", "Ciclo de Verano 2025")
    assert form.cycles[3] == Cycle("202520", "Calendario 25 B")
    assert form.cycles[4] == Cycle("202510", "Calendario 25 A")
    assert form.cycles[-1] == Cycle("198010", "Calendario 80 A")
    assert Cycle("200130", 'Calendario 01"C" cuatrimestres') in form.cycles
    assert Cycle("199921", "Calendario 99 'B'") in form.cycles
    assert Cycle("2024Z", "Calendario 24Z Cuatrimestre") in form.cycles
    assert len({c.code for c in form.cycles}) == 184
    regular = [c.code for c in form.cycles if c.regular]
    assert regular[:3] == ["202520", "202510", "202420"]


def test_real_form_centres() -> None:
    form = parse_offer_form(FORM_HTML)
    assert [c.code for c in form.centres] == [
        "3",
        "4",
        "5",
        "6",
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
        "H",
        "I",
        "J",
        "K",
        "M",
        "N",
        "O",
        "P",
        "Q",
        "R",
        "S",
        "T",
        "U",
        "V",
        "W",
        "X",
        "Y",
        "Z",
    ]
    centres = {c.code: c.name for c in form.centres}
    assert centres["D"] == "C.U. DE CS. EXACTAS E ING."
    assert centres["3"] == "C. U. DE TLAJOMULCO"
    assert centres["C"] == "C.U. DE CS. ECONOMICO-ADMVAS."
    assert centres["Z"] == "C. U. DE TONALA"
    # The saved copy lost this Ñ before it was committed (see SOURCES.md)...
    assert centres["A"] == "C.U. DE ARTE, ARQ. Y DISE\ufffdO"
    # ...the bytes SIIAU sends keep it.
    wire = {c.code: c.name for c in parse_offer_form(pages.decode(FORM_BYTES)).centres}
    assert wire["A"] == "C.U. DE ARTE, ARQ. Y DISEÑO"


def test_real_form_fields() -> None:
    form = parse_offer_form(FORM_HTML)
    assert form.action == "sspseca.consulta_oferta"
    assert form.fields == (
        "ciclop",
        "cup",
        "majrp",
        "majrdescp",
        "crsep",
        "materiap",
        "horaip",
        "horafp",
        "lup",
        "map",
        "mip",
        "jup",
        "vip",
        "sap",
        "edifp",
        "aulap",
        "dispp",
        "ordenp",
        "mostrarp",
    )
    assert form.page_sizes == (100, 200, 500)
    assert form.default_page_size == 100


def test_search_posts_the_real_forms_fields_in_its_order() -> None:
    posted = [name for name, _ in search_fields("202510", "D", "V0731", only_available=True)]
    day_boxes = {"lup", "map", "mip", "jup", "vip", "sap"}  # sent only when ticked; we never tick
    assert posted == [f for f in parse_offer_form(FORM_HTML).fields if f not in day_boxes]
    unticked = [name for name, _ in search_fields("202510", "D")]
    assert "dispp" not in unticked


# ---- pages the parser must not accept or must not misread -------------------


def test_unknown_day_letter_is_layout_changed() -> None:
    html = RESULT_HTML.replace("nowrap>. . . . . S<", "nowrap>. . . . . D<", 1)
    with pytest.raises(LayoutChanged, match="day letter 'D'"):
        parse_offer_results(html)


def test_a_seventh_day_position_is_layout_changed() -> None:
    html = RESULT_HTML.replace("nowrap>. M . J . .<", "nowrap>. M . J . . D<", 1)
    with pytest.raises(LayoutChanged, match="six positions"):
        parse_offer_results(html)


def test_a_letter_in_the_wrong_position_is_layout_changed() -> None:
    html = RESULT_HTML.replace("nowrap>L . . . . .<", "nowrap>. L . . . .<", 1)
    with pytest.raises(LayoutChanged):
        parse_offer_results(html)


@pytest.mark.parametrize(
    "html",
    [
        "<HTML><BODY><H1>Bienvenido</H1><TABLE><TR><TD>Hola</TD></TR></TABLE></BODY></HTML>",
        FORM_HTML,
        (FIXTURES / "horario_reconstruido__sgpregi.horario.html").read_bytes().decode("latin-1"),
        "",
    ],
    ids=["unrelated", "the-form", "schedule-page", "empty"],
)
def test_unrelated_page_is_layout_changed(html: str) -> None:
    with pytest.raises(LayoutChanged):
        parse_offer_results(html)


def test_result_page_is_not_a_form() -> None:
    with pytest.raises(LayoutChanged):
        parse_offer_form(RESULT_HTML)


def _without_rows(html: str) -> str:
    head, _, rest = html.partition('<TR style="background-color:#e5e5e5;">')
    _, _, tail = rest.rpartition("</TR>\n</TABLE>\n<BR>")
    return head + "</TABLE>\n<BR>" + tail


def test_zero_rows_is_an_empty_offer() -> None:
    html = _without_rows(RESULT_HTML).replace("Total de registros: 11", "Total de registros: 0")
    page = parse_offer_results(html)
    assert page.sections == ()
    assert (page.total, page.end_of_report, page.has_more, page.cycle) == (0, True, False, "202510")


def test_a_count_of_zero_without_a_table_is_an_empty_offer() -> None:
    page = parse_offer_results(
        "<HTML><BODY><BR>Total de registros: 0<BR>FIN DEL REPORTE</BODY></HTML>"
    )
    assert page.sections == () and page.total == 0


def test_a_course_named_mantenimiento_parses() -> None:
    html = RESULT_HTML.replace(">ESTRUCTURAS DE DATOS</A>", ">MANTENIMIENTO INDUSTRIAL</A>")
    page = parse_offer_results(html)
    assert {s.name for s in page.sections} == {"MANTENIMIENTO INDUSTRIAL"}
    assert len(page.sections) == 11


def test_a_maintenance_page_without_table_is_unavailable() -> None:
    html = "<HTML><BODY><H2>El sistema se encuentra en mantenimiento.</H2></BODY></HTML>"
    with pytest.raises(SiiauUnavailable):
        parse_offer_results(html)


def test_columns_are_read_by_header_not_position() -> None:
    html = RESULT_HTML.replace("<TH>CUP</TH>\n<TH>DIS</TH>", "<TH>DIS</TH>\n<TH>CUP</TH>")
    first = parse_offer_results(html).sections[2]  # D03: 26 seats, 3 free on the real page
    assert (first.seats, first.free) == (3, 26)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("<TH>CR</TH>", "<TH>CR</TH>\n<TH>MODALIDAD</TH>", "unknown"),
        ("<TH>DIS</TH>\n", "", "missing"),
        ("<TD class=tddatos>D01</TD>", "<TD class=tddatos>D01</TD><TD>X</TD>", "cells"),
        ("nowrap>1100-1455<", "nowrap>11:00-14:55<", "hours"),
        ("nowrap>1100-1455<", "nowrap>2500-2655<", "hours"),
        ("nowrap>16/01/25 - 01/06/25<", "nowrap>enero<", "period"),
        ('<TD width="40%">LC04</TD>', '<TD width="40%">LC04</TD><TD>extra</TD>', "nested row"),
        ("<TD class=tddatos>24</TD>", "<TD class=tddatos>veinte</TD>", "number"),
        ("Total de registros: 11", "Total de registros: 3", "records"),
        (
            '<TD class="tdprofesor">DAVALOS BOITES, MICHEL</TD>\n                     </TR></TABLE></TD>',
            '<TD class="tdprofesor">DAVALOS BOITES, MICHEL</TD>\n                     </TR></TABLE>X</TD>',
            "beside",
        ),
    ],
    ids=[
        "extra-column",
        "missing-column",
        "extra-cell",
        "odd-hours",
        "impossible-hours",
        "odd-period",
        "extra-nested-cell",
        "odd-seats",
        "short-count",
        "text-beside-table",
    ],
)
def test_cells_that_cannot_be_placed_are_layout_changed(old: str, new: str, message: str) -> None:
    assert old in RESULT_HTML
    with pytest.raises(LayoutChanged, match=message):
        parse_offer_results(RESULT_HTML.replace(old, new, 1))


def test_sessions_cell_with_text_but_no_table_is_layout_changed() -> None:
    start = RESULT_HTML.index('<TD align="center">')
    end = RESULT_HTML.index("</td>", start) + len("</td>")
    html = RESULT_HTML[:start] + "<TD>SABADO 11 A 15</TD>" + RESULT_HTML[end:]
    with pytest.raises(LayoutChanged, match="no table"):
        parse_offer_results(html)


def test_a_next_page_control_is_exposed() -> None:
    html = RESULT_HTML.replace(
        "FIN DEL REPORTE",
        '<FORM ACTION="sspseca.consulta_oferta"><INPUT TYPE="hidden" NAME="p_start" VALUE="11"></FORM>',
    )
    page = parse_offer_results(html)
    assert (page.next_start, page.end_of_report, page.has_more) == (11, False, True)


def test_more_results_than_shown() -> None:
    page = parse_offer_results(
        RESULT_HTML.replace("Total de registros: 11", "Total de registros: 40")
    )
    assert page.has_more is True
    assert page.more_after(40) is False  # the client's count, once every page is in
    no_marker = parse_offer_results(RESULT_HTML.replace("FIN DEL REPORTE", ""))
    assert no_marker.more_after(11, page_size=100) is False  # a short page is the last
    assert no_marker.more_after(11, page_size=11) is True  # a full page may not be


# ---- the client, against loopback servers ----------------------------------


@pytest.fixture
def offer_sim() -> Iterator[OfferSimulator]:
    with OfferSimulator() as simulator:
        yield simulator


def _sim_sections(count: int) -> list[SimOfferSection]:
    return [
        SimOfferSection(
            nrc=str(180240 + i),
            key="I5890",
            name="BASES DE DATOS",
            section=f"D{i + 1:02}",
            credits=8,
            seats=40,
            free=i % 3,
            sessions=(SimOfferSession("01", "0700-0855", "MJ", "DUCT1", "A00" + str(i % 10)),),
            professors=(("01", "VILLASEÑOR MUÑOZ, ANA"),),
        )
        for i in range(count)
    ]


async def test_client_reads_the_real_form_over_http(offer_sim: OfferSimulator) -> None:
    offer_sim.serve_raw(FORM_PATH, FORM_BYTES)
    async with OfferClient(offer_sim.url) as client:
        form = await client.form()
    assert len(form.cycles) == 184 and len(form.centres) == 29
    assert Centre("A", "C.U. DE ARTE, ARQ. Y DISEÑO") in form.centres
    assert form.cycles[4] == Cycle("202510", "Calendario 25 A")


async def test_client_searches_the_real_result_page_over_http(offer_sim: OfferSimulator) -> None:
    offer_sim.serve_raw(RESULTS_PATH, RESULT_BYTES)
    async with OfferClient(offer_sim.url) as client:
        result = await client.search("202510", "D", " v0731 ")
    assert result.sections == EXPECTED_SECTIONS
    assert (result.cycle, result.centre, result.pages) == ("202510", "D", 1)
    [search] = offer_sim.searches
    assert search.method == "POST"
    assert search.fields == [
        ("ciclop", "202510"),
        ("cup", "D"),
        ("majrp", ""),
        ("majrdescp", ""),
        ("crsep", "V0731"),
        ("materiap", ""),
        ("horaip", ""),
        ("horafp", ""),
        ("edifp", ""),
        ("aulap", ""),
        ("ordenp", "0"),
        ("mostrarp", "500"),
    ]


async def test_client_pages_through(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(7))
    async with OfferClient(offer_sim.url) as client:
        result = await client.search("202620", "D", "I5890", page_size=3)
    assert [s.nrc for s in result.sections] == [str(180240 + i) for i in range(7)]
    assert result.pages == 3
    starts = [dict(s.fields).get("p_start") for s in offer_sim.searches]
    assert starts == [None, "3", "6"]
    assert {dict(s.fields)["mostrarp"] for s in offer_sim.searches} == {"3"}
    assert result.sections[0].professors == (OfferProfessor("01", "VILLASEÑOR MUÑOZ, ANA"),)
    assert result.sections[0].sessions[0].days == (Day.TUESDAY, Day.THURSDAY)


async def test_client_follows_a_next_page_control(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(5))
    offer_sim.paging.next_page_control = True
    async with OfferClient(offer_sim.url) as client:
        result = await client.search("202620", "D", "I5890", page_size=2)
    assert len(result.sections) == 5 and result.pages == 3


async def test_client_stops_when_paging_is_not_honoured(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(5))
    offer_sim.paging.ignore_start = True
    async with OfferClient(offer_sim.url) as client:
        with pytest.raises(LayoutChanged, match="repeats"):
            await client.search("202620", "D", "I5890", page_size=2)
    assert len(offer_sim.searches) == 2


async def test_client_exact_page_size_needs_no_extra_request(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(4))
    async with OfferClient(offer_sim.url) as client:
        result = await client.search("202620", "D", "I5890", page_size=4)
    assert len(result.sections) == 4 and len(offer_sim.searches) == 1


async def test_client_unknown_clave_is_an_empty_result(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(3))
    async with OfferClient(offer_sim.url) as client:
        result = await client.search("202620", "D", "ZZ999")
    assert result.sections == () and result.pages == 1


async def test_client_sends_latin1_form_data(offer_sim: OfferSimulator) -> None:
    async with OfferClient(offer_sim.url) as client:
        await client.search("202620", "A", title="diseño", only_available=True)
    fields = dict(offer_sim.searches[0].fields)  # the simulator decodes the body as latin-1
    assert fields["materiap"] == "DISEÑO"
    assert fields["dispp"] == "D"


@pytest.mark.parametrize("fault", ["500", "reset", "maintenance"])
async def test_client_outages_are_unavailable(offer_sim: OfferSimulator, fault: str) -> None:
    offer_sim.inject(fault)
    async with OfferClient(offer_sim.url) as client:
        with pytest.raises(SiiauUnavailable):
            await client.search("202620", "D", "I5890")


async def test_client_timeout_is_unavailable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts into its backlog, never answers
    try:
        port = listener.getsockname()[1]
        async with OfferClient(f"http://127.0.0.1:{port}/wco", timeout=0.3) as client:
            with pytest.raises(SiiauUnavailable, match="timed out"):
                await client.form()
    finally:
        listener.close()


async def test_client_refused_connection_is_unavailable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    async with OfferClient(f"http://127.0.0.1:{port}/wco") as client:
        with pytest.raises(SiiauUnavailable):
            await client.search("202620", "D")


async def test_client_unrecognised_pages_are_layout_changed(offer_sim: OfferSimulator) -> None:
    async with OfferClient(offer_sim.url + "/elsewhere") as client:
        with pytest.raises(LayoutChanged, match="404"):
            await client.form()
    offer_sim.serve_raw(RESULTS_PATH, b"<HTML><BODY>Hola</BODY></HTML>")
    async with OfferClient(offer_sim.url) as client:
        with pytest.raises(LayoutChanged):
            await client.search("202620", "D")


async def test_client_searches_concurrently(offer_sim: OfferSimulator) -> None:
    offer_sim.set_offer("202620", "D", _sim_sections(3))
    async with OfferClient(offer_sim.url) as client:
        results = await asyncio.gather(*(client.search("202620", "D", "I5890") for _ in range(4)))
    assert all(len(r.sections) == 3 for r in results)
