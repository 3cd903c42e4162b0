"""The grade pages' parsers on every row shape PROTOCOL.md names, and on layouts they must refuse."""

from __future__ import annotations

from datetime import date

import pytest

from bot.schedule import grades as model
from bot.schedule.grades import GradeKind
from bot.siiau.errors import LayoutChanged, SurveyPending
from bot.siiau.grades import parse_boleta, parse_date, parse_kardex, parse_promedio
from bot.siiau.pages import decode


def _latin(html: str) -> str:
    """As the client gets a page: ISO-8859-1 bytes decoded."""
    return decode(html.encode("latin-1"))


def _subject(
    nrc: str, clave: str, name: str, grade: str, kind: str, nc: str, day: str, red: bool = False
) -> str:
    color = ' COLOR="red"' if red else ""
    return (
        '<TR bgcolor="#ffffff">'
        f'<TD><A HREF="sgphist.materia?n={nrc}"><FONT SIZE="1">{nrc}</FONT></A></TD>'
        f'<TD><A HREF="sgphist.clave?c={clave}"><FONT SIZE="1">{clave}</FONT></A></TD>'
        f'<TD><FONT SIZE="1">{name}</FONT></TD><TD><FONT{color} SIZE="1">{grade}</FONT></TD>'
        f'<TD><FONT SIZE="1">{kind}</FONT></TD><TD><FONT SIZE="1">{nc}</FONT></TD>'
        f'<TD><FONT SIZE="1">{day}</FONT></TD></TR>\n'
    )


def _extra(grade: str, kind: str, nc: str, day: str, red: bool = False) -> str:
    color = ' COLOR="red"' if red else ""
    return (
        '<TR bgcolor="#ffffff"><TD COLSPAN="3"></TD>'
        f'<TD><FONT{color} SIZE="1">{grade}</FONT></TD><TD><FONT SIZE="1">{kind}</FONT></TD>'
        f'<TD><FONT SIZE="1">{nc}</FONT></TD><TD><FONT SIZE="1">{day}</FONT></TD></TR>\n'
    )


HEADER = (
    "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>Nombre de la materia</TH><TH>CALIFICACI&Oacute;N</TH>"
    "<TH>TIPO</TH><TH>CR&Eacute;DITOS (NC)</TH><TH>FECHA</TH></TR>\n"
)


def kardex_page(body: str, *, header: str = HEADER) -> str:
    return _latin(
        '<HTML><HEAD><TITLE>Kardex</TITLE></HEAD><BODY>\n<DIV ID="leyendaPromedio">\n<TABLE>\n'
        + body.replace("{header}", header)
        + "</TABLE>\n<TABLE><TR><TH>CR&Eacute;DITOS REQUERIDOS</TH><TD>420</TD></TR>"
        "<TR><TH>CR&Eacute;DITOS ADQUIRIDOS</TH><TD>213</TD></TR></TABLE>\n"
        '<DIV ID="creditosFaltantesID">207</DIV>\n</DIV></BODY></HTML>'
    )


KARDEX_BODY = (
    '<TR><TH COLSPAN="7">Calendario 17 B</TH></TR>\n{header}'
    + _subject(
        "12345",
        "I5886",
        "TEORIA DE LA COMPUTACION",
        "97 (NOVENTA Y SIETE)",
        "ORDINARIO (OE)",
        "8",
        "11/DIC/2019",
    )
    + _subject(
        "12346",
        "I5887",
        "CALCULO DIFERENCIAL",
        "40 (CUARENTA)",
        "ORDINARIO (OE)",
        "0",
        "11/DIC/2019",
        red=True,
    )
    + _extra("75 (SETENTA Y CINCO)", "EXTRAORDINARIO (E)", "8", "18/ENE/2020")
    + '<TR><TH COLSPAN="7">Calendario 18 A</TH></TR>\n{header}'
    + _subject(
        "22345",
        "I5888",
        "VILLASEÑOR: SEMINARIO",
        "SD (SIN DERECHO)",
        "ORDINARIO (OE)",
        "0",
        "03/JUN/2020",
        red=True,
    )
)
KARDEX = kardex_page(KARDEX_BODY)


def test_kardex_reads_cycles_subjects_extraordinarios_and_totals() -> None:
    kardex = parse_kardex(KARDEX)
    assert [c.label for c in kardex.cycles] == ["Calendario 17 B", "Calendario 18 A"]
    first, failed, extra = kardex.cycles[0].rows
    assert (first.nrc, first.clave, first.name) == ("12345", "I5886", "TEORIA DE LA COMPUTACION")
    assert first.grade == model.Grade("97", "NOVENTA Y SIETE", False)
    assert (first.kind, first.kind_label, first.credits, first.date) == (
        GradeKind.ORDINARIO,
        "ORDINARIO (OE)",
        8,
        date(2019, 12, 11),
    )
    assert failed.grade.failing and failed.grade.value == "40"
    assert (extra.nrc, extra.name, extra.kind, extra.grade.value, extra.grade.failing) == (
        "12346",
        "CALCULO DIFERENCIAL",
        GradeKind.EXTRAORDINARIO,
        "75",
        False,
    )
    assert extra.date == date(2020, 1, 18)
    sd = kardex.cycles[1].rows[0]
    assert (sd.grade.value, sd.grade.words, sd.grade.failing, sd.name) == (
        "SD",
        "SIN DERECHO",
        True,
        "VILLASEÑOR: SEMINARIO",
    )
    assert kardex.credit_lines == ("CRÉDITOS REQUERIDOS 420", "CRÉDITOS ADQUIRIDOS 213")
    assert kardex.missing_credits == "207"


def test_kardex_without_header_row_uses_the_documented_order() -> None:
    page = kardex_page(KARDEX_BODY, header="")
    assert "Nombre de la materia" not in page
    kardex = parse_kardex(page.replace("</BODY>", "<P>Nombre de la materia</P></BODY>"))
    assert [len(c.rows) for c in kardex.cycles] == [3, 1]


def test_kardex_columns_found_by_header_text_in_another_order() -> None:
    header = "<TR><TD>CLAVE</TD><TD>NRC</TD><TD>MATERIA</TD><TD>CALIFICACION</TD><TD>TIPO</TD><TD>NC</TD><TD>FECHA</TD></TR>"
    row = _subject(
        "I5886", "12345", "TEORIA", "95 (NOVENTA Y CINCO)", "ORDINARIO (OE)", "8", "1/ENE/2021"
    )
    kardex = parse_kardex(
        kardex_page("<TR><TH>Calendario 20 B</TH></TR>{header}" + row, header=header)
    )
    only = kardex.cycles[0].rows[0]
    assert (only.nrc, only.clave, only.grade.value) == ("12345", "I5886", "95")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/DIC/2019", date(2019, 12, 11)),
        ("3/ago/2021", date(2021, 8, 3)),
        ("05-SEP-22", date(2022, 9, 5)),
        ("11/12/2019", date(2019, 12, 11)),
        ("", None),
        ("31/FEB/2020", None),
        ("mañana", None),
    ],
)
def test_spanish_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "body",
    [
        # a subject row with 5 cells
        "<TR><TH>Calendario 17 B</TH></TR>{header}<TR><TD>12345</TD><TD>I1</TD><TD>X</TD><TD>90</TD><TD>ORD</TD></TR>",
        # a grade in an unknown shape
        "<TR><TH>Calendario 17 B</TH></TR>{header}"
        + _subject("12345", "I1", "X", "noventa y tantos", "ORDINARIO (OE)", "8", "11/DIC/2019"),
        # an extraordinario with no ordinario before it
        "<TR><TH>Calendario 17 B</TH></TR>{header}"
        + _extra("75 (SETENTA Y CINCO)", "EXTRAORDINARIO (E)", "8", "x"),
    ],
)
def test_kardex_rows_it_cannot_read_are_layout_changes(body: str) -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_kardex(kardex_page(body))
    assert caught.value.step == "kardex page" and caught.value.fragment


def test_an_unknown_page_is_a_layout_change_and_the_survey_is_not() -> None:
    with pytest.raises(LayoutChanged):
        parse_kardex(_latin("<HTML><BODY><TABLE><TR><TD>Hola</TD></TR></TABLE></BODY></HTML>"))
    survey = _latin(
        "<HTML><BODY><CENTER><B>Encuestas</B></CENTER><A HREF='x'>Contestar</A></BODY></HTML>"
    )
    for parse in (parse_kardex, parse_boleta, parse_promedio):
        with pytest.raises(SurveyPending):
            parse(survey)


def test_a_kardex_with_no_cycle_yet_is_empty() -> None:
    kardex = parse_kardex(kardex_page("{header}"))
    assert kardex.cycles == ()


PROMEDIO = _latin(
    "<HTML><BODY><TABLE>"
    '<TR><TD><B>Nombre:</B></TD><TD><FONT SIZE="2">MUÑOZ PEREZ, ANA</FONT></TD></TR>'
    "<TR><TD><B>Situación:</B></TD><TD><FONT>ACTIVO</FONT></TD></TR>"
    "<TR><TD><B>Carrera:</B></TD><TD><FONT>INGENIERIA EN COMPUTACION (INCO)</FONT></TD></TR>"
    "<TR><TD><B>Centro:</B></TD><TD><FONT>CUCEI</FONT></TD></TR>"
    "<TR><TD><B>Sede:</B></TD><TD><FONT>GUADALAJARA</FONT></TD></TR>"
    "<TR><TD><B>PROMEDIO</B></TD><TD><FONT>87.53</FONT></TD></TR>"
    "</TABLE></BODY></HTML>"
)


def test_promedio_labels() -> None:
    promedio = parse_promedio(PROMEDIO)
    assert promedio == model.Promedio(
        "87.53", "ACTIVO", "INGENIERIA EN COMPUTACION (INCO)", "CUCEI", "GUADALAJARA"
    )


def test_promedio_with_its_words() -> None:
    page = PROMEDIO.replace(
        "<FONT>87.53</FONT>", "<FONT>87.53 (OCHENTA Y SIETE PUNTO CINCUENTA Y TRES)</FONT>"
    )
    assert parse_promedio(page).promedio.startswith("87.53")


def test_promedio_missing_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged):
        parse_promedio(PROMEDIO.replace("PROMEDIO", "MEDIA"))


def boleta_page(rows: str, header: str | None = None) -> str:
    header = header or (
        "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>MATERIA</TH><TH>CALIFICACI&Oacute;N ORDINARIA</TH><TH>EN K&Aacute;RDEX</TH>"
        "<TH>CALIFICACI&Oacute;N EXTRAORDINARIA</TH><TH>EN K&Aacute;RDEX</TH></TR>"
    )
    return _latin(
        f"<HTML><BODY><H3>Boleta de calificaciones</H3><TABLE>{header}{rows}</TABLE></BODY></HTML>"
    )


def _boleta_row(nrc: str, name: str, ordinaria: str, ord_k: str, extra: str, ext_k: str) -> str:
    cells = [nrc, "I5886", name, ordinaria, ord_k, extra, ext_k]
    return "<TR>" + "".join(f"<TD>{c}</TD>" for c in cells) + "</TR>"


def test_boleta_seven_columns() -> None:
    boleta = parse_boleta(
        boleta_page(
            _boleta_row("12345", "TEORIA DE LA COMPUTACION", "95", "SI", "", "")
            + _boleta_row("12346", "CALCULO", "40", "NO", "70", "NO")
            + _boleta_row("12347", "REDES", "", "", "", "")
            + _boleta_row("12348", "FISICA", "SD", "NO", "", "")
            + _boleta_row("12349", "QUIMICA", "N/A", "", "-", "")
        )
    )
    first, second, third, fourth, fifth = boleta.rows
    assert fifth.latest is None
    assert (first.nrc, first.name, first.ordinaria, first.ordinaria_in_kardex) == (
        "12345",
        "TEORIA DE LA COMPUTACION",
        model.Grade("95"),
        True,
    )
    assert second.ordinaria == model.Grade(
        "40", failing=True
    ) and second.extraordinaria == model.Grade("70")
    assert second.latest == (model.Grade("70"), GradeKind.EXTRAORDINARIO)
    assert third.latest is None and not boleta.complete
    assert fourth.ordinaria is not None and fourth.ordinaria.failing
    keys = {p.key for p in model.postings(model.GradesReport(model.Kardex(()), None, boleta))}
    assert len(keys) == 4  # 95, 40, 70 and SD


def test_boleta_with_a_two_row_header() -> None:
    header = (
        '<TR><TH ROWSPAN="2">NRC</TH><TH>CLAVE</TH><TH>MATERIA</TH><TH COLSPAN="2">ORDINARIO</TH>'
        '<TH COLSPAN="2">EXTRAORDINARIO</TH></TR>'
        "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>MATERIA</TH><TH>CALIFICACION</TH><TH>EN KARDEX</TH>"
        "<TH>CALIFICACION</TH><TH>EN KARDEX</TH></TR>"
    )
    boleta = parse_boleta(
        boleta_page(_boleta_row("12346", "CALCULO", "40", "SI", "70", "SI"), header)
    )
    row = boleta.rows[0]
    assert row.ordinaria == model.Grade("40", failing=True) and row.extraordinaria == model.Grade(
        "70"
    )
    assert row.ordinaria_in_kardex and row.extraordinaria_in_kardex


def test_boleta_unknown_layouts() -> None:
    with pytest.raises(LayoutChanged):
        parse_boleta(_latin("<HTML><BODY><TABLE><TR><TD>NRC</TD></TR></TABLE></BODY></HTML>"))
    with pytest.raises(LayoutChanged):
        parse_boleta(boleta_page("", "<TR><TH>NRC</TH><TH>PROFESOR</TH></TR>"))
    with pytest.raises(LayoutChanged):
        parse_boleta(boleta_page(_boleta_row("12345", "X", "muy bien", "SI", "", "")))


def test_report_round_trips_through_json() -> None:
    report = model.GradesReport(parse_kardex(KARDEX), parse_promedio(PROMEDIO), None, "INCO")
    assert model.loads(model.dumps(report)) == report
