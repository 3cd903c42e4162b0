"""Grade pages written afresh from PROTOCOL.md's words (not from our simulator's markup): each is
read, or refused loudly with `LayoutChanged`; a subject is never dropped in silence."""

from __future__ import annotations

import pytest

from bot.siiau.errors import LayoutChanged
from bot.siiau.grades import parse_boleta, parse_promedio
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
