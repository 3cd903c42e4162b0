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
