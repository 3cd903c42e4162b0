"""Grade pages written afresh from PROTOCOL.md's words (not from our simulator's markup): each is
read, or refused loudly with `LayoutChanged`; a subject is never dropped in silence."""

from __future__ import annotations

import pytest

from bot.schedule.grades import Boleta, GradeKind, Kardex, KardexCycle, SurveyPending
from bot.siiau import grades_client
from bot.siiau.errors import LayoutChanged
from bot.siiau.errors import SurveyPending as SurveyPendingError
from bot.siiau.grades import parse_boleta, parse_kardex, parse_promedio
from bot.siiau.pages import decode

HEADER = (
    "<tr><td>NRC</td><td>CLAVE</td><td>MATERIA</td><td>CALIFICACIÓN ORDINARIA</td>"
    "<td>EN KÁRDEX</td><td>CALIFICACIÓN EXTRAORDINARIA</td><td>EN KÁRDEX</td></tr>"
)


def _boleta(*rows: str, header: str = HEADER) -> str:
    return (
        "<html><body><h3>Boleta de calificaciones</h3><table border='1'>"
        + header
        + "".join(rows)
        + "</table></body></html>"
    )


def _row(nrc: str, clave: str, name: str, ordi: str, ok: str, ext: str, ek: str) -> str:
    return (
        "<tr>" + "".join(f"<td>{v}</td>" for v in (nrc, clave, name, ordi, ok, ext, ek)) + "</tr>"
    )


TEORIA = _row("61234", "I5886", "TEORÍA DE LA COMPUTACIÓN", "95 (NOVENTA Y CINCO)", "SÍ", "", "")

PROMEDIO = (
    "<html><body><table>"
    "<tr><td><b>Nombre:</b></td><td><font>PÉREZ JUAN</font></td></tr>"
    "<tr><td><b>Situación:</b></td><td><font>ACTIVO</font></td></tr>"
    "<tr><td><b>Carrera:</b></td><td><font>INGENIERÍA EN COMPUTACIÓN (INCO)</font></td></tr>"
    "<tr><td><b>PROMEDIO</b></td><td><font>87.53</font></td></tr>"
    "</table></body></html>"
)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_a_page_in_either_encoding_reads_the_same(encoding: str) -> None:
    boleta = parse_boleta(decode(_boleta(TEORIA).encode(encoding)))
    (row,) = boleta.rows
    assert row.name == "TEORÍA DE LA COMPUTACIÓN"
    assert row.ordinaria_in_kardex is True
    promedio = parse_promedio(decode(PROMEDIO.encode(encoding)))
    assert promedio.situacion == "ACTIVO"
    assert promedio.carrera == "INGENIERÍA EN COMPUTACIÓN (INCO)"


def test_a_boleta_subject_without_its_nrc_is_refused_not_dropped() -> None:
    redes = _row("", "I5888", "REDES", "", "", "", "")
    with pytest.raises(LayoutChanged):
        parse_boleta(_boleta(TEORIA, redes))


def test_a_boleta_extraordinaria_under_a_short_header_is_read() -> None:
    header = (
        "<tr><th>NRC</th><th>CLAVE</th><th>MATERIA</th><th>CALIFICACIÓN</th>"
        "<th>EN KÁRDEX</th><th>EXTRAORDINARIO</th><th>EN KÁRDEX</th></tr>"
    )
    calculo = _row("61235", "I5887", "CALCULO", "<font color=red>40</font>", "NO", "80", "NO")
    (row,) = parse_boleta(_boleta(calculo, header=header)).rows
    assert row.ordinaria is not None and row.ordinaria.failing
    assert row.extraordinaria is not None and row.extraordinaria.value == "80"


def test_a_boleta_header_naming_only_ordinaria_and_extraordinaria_is_read() -> None:
    header = HEADER.replace("CALIFICACIÓN ORDINARIA", "ORDINARIA").replace(
        "CALIFICACIÓN EXTRAORDINARIA", "EXTRAORDINARIA"
    )
    calculo = _row("61235", "I5887", "CALCULO", "40", "NO", "80", "NO")
    (row,) = parse_boleta(_boleta(calculo, header=header)).rows
    assert row.ordinaria is not None and row.ordinaria.value == "40"
    assert row.extraordinaria is not None and row.extraordinaria.value == "80"


KARDEX_HEAD = (
    "<tr><th>NRC</th><th>CLAVE</th><th>Nombre de la materia</th><th>CALIFICACIÓN</th>"
    "<th>TIPO</th><th>CRÉDITOS (NC)</th><th>FECHA</th></tr>"
)


def _kardex(*rows: str, head: str = KARDEX_HEAD) -> str:
    return (
        "<HTML><BODY><DIV ID='leyendaPromedio'><TABLE>"
        + head
        + "<TR><TH COLSPAN='7'>Calendario 17 B</TH></TR>"
        + "".join(rows)
        + "</TABLE></DIV></BODY></HTML>"
    )


def _krow(*cells: str) -> str:
    return "<TR bgcolor='#ffffff'>" + "".join(f"<TD><FONT>{c}</FONT></TD>" for c in cells) + "</TR>"


CALCULO = _krow(
    "61235", "I5887", "CALCULO", "SD (SIN DERECHO)", "ORDINARIO (OE)", "8", "11/DIC/2019"
)


def test_a_kardex_extraordinario_with_three_empty_cells_is_read() -> None:
    extra = _krow("", "", "", "70 (SETENTA)", "EXTRAORDINARIO (E)", "8", "15/ENE/2020")
    (cycle,) = parse_kardex(_kardex(CALCULO, extra)).cycles
    assert [(r.nrc, r.grade.value, r.kind) for r in cycle.rows] == [
        ("61235", "SD", GradeKind.ORDINARIO),
        ("61235", "70", GradeKind.EXTRAORDINARIO),
    ]


def test_a_kardex_subject_without_its_nrc_is_refused_whatever_the_column_order() -> None:
    head = (
        "<tr><th>CLAVE</th><th>Nombre de la materia</th><th>NRC</th><th>TIPO</th>"
        "<th>CALIFICACIÓN</th><th>CRÉDITOS</th><th>FECHA</th></tr>"
    )
    row = _krow("I5887", "CALCULO", "", "ORDINARIO (OE)", "80 (OCHENTA)", "8", "11/DIC/2019")
    with pytest.raises(LayoutChanged):
        parse_kardex(_kardex(row, head=head))


@pytest.mark.parametrize(
    ("written", "value", "failing"),
    [("ACREDITADO", "ACREDITADO", False), ("NO ACREDITADO", "NO ACREDITADO", True)],
)
def test_a_grade_written_as_a_word_is_read(written: str, value: str, failing: bool) -> None:
    row = _krow("61236", "I7000", "SERVICIO", written, "ORDINARIO (OE)", "0", "20/MAY/2018")
    (cycle,) = parse_kardex(_kardex(row)).cycles
    assert (cycle.rows[0].grade.value, cycle.rows[0].grade.failing) == (value, failing)


def test_a_promedio_labelled_promedio_general_is_read() -> None:
    page = PROMEDIO.replace("<b>PROMEDIO</b>", "<b>PROMEDIO GENERAL:</b>")
    assert parse_promedio(page).promedio == "87.53"


class _FakeSession:
    """A logged-in session whose ALUMNOS menu names the boleta only as "Calificaciones"."""

    pidm = "1"
    survey_link = "https://siiau.example/login"

    def __init__(self, menu: str, pages: dict[str, str]) -> None:
        self.menu, self.pages = menu, pages
        self.asked: list[str] = []

    async def students_menu(self) -> str:
        return self.menu

    async def get_page(self, url: str, params: dict[str, str] | None = None) -> str:
        self.asked.append(url)
        return self.pages[url.split("?")[0]]


async def test_the_boleta_is_found_by_a_calificaciones_link_too() -> None:
    menu = (
        "<html><body><a href='sgphist.kardex?pidmp=1'>K&aacute;rdex</a>"
        "<a href='sgphist.boleta_cal?pidmp=1'>Consulta de Calificaciones</a></body></html>"
    )
    session = _FakeSession(menu, {"sgphist.boleta_cal": _boleta(TEORIA)})
    boleta = await grades_client.read_boleta(session, "INCO")  # type: ignore[arg-type]
    assert isinstance(boleta, Boleta) and [r.nrc for r in boleta.rows] == ["61234"]


def test_a_kardex_cycle_row_with_more_cells_still_opens_its_cycle() -> None:
    teoria = _krow(
        "61234", "I5886", "TEORIA", "95 (NOVENTA Y CINCO)", "ORDINARIO (OE)", "8", "11/JUN/2020"
    )
    cycle_row = "<TR><TH COLSPAN='4'>Calendario 18 A</TH><TH COLSPAN='3'>Promedio: 95</TH></TR>"
    page = _kardex(CALCULO).replace("</TABLE>", cycle_row + teoria + "</TABLE>")
    cycles = parse_kardex(page).cycles
    assert [(c.label, [r.nrc for r in c.rows]) for c in cycles] == [
        ("Calendario 17 B", ["61235"]),
        ("Calendario 18 A", ["61234"]),
    ]


SURVEY_PAGE = (
    "<HTML><BODY><TABLE><TR><TD><B>Encuestas</B></TD></TR>"
    "<TR><TD>Contesta la encuesta de evaluaci&oacute;n docente.</TD></TR></TABLE></BODY></HTML>"
)


async def test_a_survey_in_place_of_the_menu_is_the_survey_not_no_boleta() -> None:
    session = _FakeSession(SURVEY_PAGE, {})
    assert isinstance(await grades_client.read_boleta(session, "INCO"), SurveyPending)  # type: ignore[arg-type]
    assert isinstance(await grades_client.read_grades(session, "INCO"), SurveyPending)  # type: ignore[arg-type]


def test_kardex_cycles_come_in_calendar_order_whatever_order_siiau_lists_them() -> None:
    cycles = tuple(
        KardexCycle(label, ())
        for label in (
            "Calendario 2020 A",
            "Calendario 19 B",
            "Calendario 19 A",
        )
    )
    assert [c.label for c in Kardex(cycles).in_order] == [
        "Calendario 19 A",
        "Calendario 19 B",
        "Calendario 2020 A",
    ]
    odd = (KardexCycle("Calendario 19 B", ()), KardexCycle("Equivalencias", ()))
    assert Kardex(odd).in_order == odd  # a label we can't date: SIIAU's order stands


def test_a_kardex_cycle_row_of_plain_cells_opens_its_cycle() -> None:
    cycle_row = "<tr><td colspan=4><b>Calendario 17 B</b></td><td colspan=3>&nbsp;</td></tr>"
    page = _kardex(CALCULO).replace("<TR><TH COLSPAN='7'>Calendario 17 B</TH></TR>", cycle_row)
    (cycle,) = parse_kardex(page).cycles
    assert (cycle.label, [r.nrc for r in cycle.rows]) == ("Calendario 17 B", ["61235"])


def test_kardex_subjects_under_no_calendario_row_are_refused_not_an_empty_kardex() -> None:
    page = _kardex(CALCULO).replace("Calendario 17 B", "Ciclo escolar 17 B")
    with pytest.raises(LayoutChanged):
        parse_kardex(page)


def test_a_promedio_value_without_its_font_is_not_taken_from_the_next_label() -> None:
    page = PROMEDIO.replace("<td><font>ACTIVO</font></td>", "<td>ACTIVO</td>")
    promedio = parse_promedio(page)
    assert (promedio.situacion, promedio.carrera) == ("ACTIVO", "INGENIERÍA EN COMPUTACIÓN (INCO)")
    page = PROMEDIO.replace("<td><font>ACTIVO</font></td>", "<td></td>")
    assert parse_promedio(page).situacion == ""


def test_a_layout_table_around_the_kardex_is_not_read_as_credit_totals() -> None:
    page = (
        _kardex(CALCULO)
        .replace("<TABLE>", "<TABLE WIDTH='100%'><TR><TD><TABLE>", 1)
        .replace(
            "</TABLE></DIV>",
            "</TABLE></TD></TR></TABLE><TABLE><TR><TD>Créditos adquiridos</TD><TD>8</TD></TR>"
            "</TABLE></DIV>",
        )
    )
    kardex = parse_kardex(page)
    assert [r.nrc for c in kardex.cycles for r in c.rows] == ["61235"]
    assert kardex.credit_lines == ("Créditos adquiridos 8",)


def test_an_nrc_header_written_with_dots_is_read() -> None:
    head = KARDEX_HEAD.replace("<th>NRC</th>", "<th>N.R.C.</th>")
    (cycle,) = parse_kardex(_kardex(CALCULO, head=head)).cycles
    assert [r.nrc for r in cycle.rows] == ["61235"]
    header = HEADER.replace("<td>NRC</td>", "<td>N.R.C.</td>")
    assert [r.nrc for r in parse_boleta(_boleta(TEORIA, header=header)).rows] == ["61234"]


async def test_a_boleta_de_pago_link_is_not_the_boleta_de_calificaciones() -> None:
    menu = (
        "<html><body><a href='pago.boleta?x=1'>Boleta de pago</a>"
        "<a href='sgphist.boleta_cal?pidmp=1'>Boleta de calificaciones</a></body></html>"
    )
    session = _FakeSession(menu, {"sgphist.boleta_cal": _boleta(TEORIA)})
    boleta = await grades_client.read_boleta(session, "INCO")  # type: ignore[arg-type]
    assert isinstance(boleta, Boleta) and [r.nrc for r in boleta.rows] == ["61234"]


def test_a_boleta_row_with_its_empty_trailing_cells_left_out_is_read() -> None:
    redes = "<tr><td>61236</td><td>I5888</td><td>REDES</td><td></td></tr>"
    rows = parse_boleta(_boleta(TEORIA, redes)).rows
    assert [(r.nrc, r.ordinaria, r.extraordinaria) for r in rows[1:]] == [("61236", None, None)]
    short = "<tr><td>61236</td><td>I5888</td><td>REDES</td></tr>"  # no ordinaria cell at all
    with pytest.raises(LayoutChanged):
        parse_boleta(_boleta(TEORIA, short))


async def test_a_menu_with_an_encuestas_heading_and_its_links_is_not_the_survey() -> None:
    menu = (
        "<html><body><b>Encuestas</b><a href='encuesta.x'>Evaluaci&oacute;n docente</a>"
        "<a href='sgphist.boleta_cal?pidmp=1'>Boleta</a></body></html>"
    )
    session = _FakeSession(menu, {"sgphist.boleta_cal": _boleta(TEORIA)})
    boleta = await grades_client.read_boleta(session, "INCO")  # type: ignore[arg-type]
    assert isinstance(boleta, Boleta) and [r.nrc for r in boleta.rows] == ["61234"]


def test_a_grade_page_with_an_encuestas_link_in_its_side_menu_is_read() -> None:
    aside = "<b>Encuestas</b> <a href='encuesta.x'>Evaluación docente</a>"
    boleta = parse_boleta(_boleta(TEORIA).replace("<body>", "<body>" + aside))
    assert [r.nrc for r in boleta.rows] == ["61234"]
    kardex = parse_kardex(_kardex(CALCULO).replace("<BODY>", "<BODY>" + aside))
    assert [r.nrc for c in kardex.cycles for r in c.rows] == ["61235"]
    assert parse_promedio(PROMEDIO.replace("<body>", "<body>" + aside)).promedio == "87.53"
    with pytest.raises(SurveyPendingError):
        parse_boleta("<html><body>" + aside + "</body></html>")


def test_a_first_cycle_kardex_with_big_credit_totals_is_an_empty_kardex() -> None:
    page = (
        "<HTML><BODY><DIV ID='leyendaPromedio'><TABLE>" + KARDEX_HEAD + "</TABLE>"
        "<TABLE><TR><TD>Créditos requeridos</TD><TD>4040</TD><TD>Adquiridos</TD><TD>0</TD></TR>"
        "</TABLE></DIV></BODY></HTML>"
    )
    kardex = parse_kardex(page)
    assert kardex.cycles == () and kardex.credit_lines == ("Créditos requeridos 4040 Adquiridos 0",)
