"""The public course offer's pages as the simulator serves them.

The markup follows the two real pages in shared/siiau/ (consulta_oferta_*):
upper-case tags, `td.tddatos` cells, a nested `table.td1` of sessions with days
as `. M . J . .`, a nested table of `td.tdprofesor`, and the closing
"Total de registros: N" and "FIN DEL REPORTE".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

NBSP = "&nbsp;"
DAY_LETTERS = "LMIJVS"
PAGE_SIZES = (100, 200, 500)
TEXT_FIELDS = (
    ("majrp", 4),
    ("majrdescp", 40),
    ("crsep", 5),
    ("materiap", 60),
    ("horaip", 4),
    ("horafp", 4),
    ("edifp", 5),
    ("aulap", 5),
)
DAY_BOXES = (("lup", "M"), ("map", "T"), ("mip", "W"), ("jup", "R"), ("vip", "F"), ("sap", "S"))


@dataclass(frozen=True)
class SimOfferSession:
    number: str  # "01"
    hours: str  # "0700-0855" or ""
    days: str  # letters among "LMIJVS", e.g. "MJ"
    building: str
    room: str
    period: str = "18/08/25 - 13/12/25"


@dataclass(frozen=True)
class SimOfferSection:
    nrc: str
    key: str
    name: str
    section: str
    credits: int
    seats: int
    free: int
    sessions: tuple[SimOfferSession, ...]
    professors: tuple[tuple[str, str], ...]  # (session number, name)


def _e(value: str) -> str:
    return escape(value, quote=False) if value.strip() else NBSP


def offer_form(cycles: list[tuple[str, str]], centres: list[tuple[str, str]]) -> str:
    cycle_options = "".join(f"<OPTION value='{c}'>{c} - {_e(n)}\n" for c, n in cycles)
    centre_options = "".join(f'<OPTION VALUE="{c}">{c} - {_e(n)}\n' for c, n in centres)
    texts = "".join(
        f'<TD><INPUT TYPE="text" NAME="{name}" SIZE="{size}" MAXLENGTH="{size}"></TD>\n'
        for name, size in TEXT_FIELDS
    )
    days = "".join(
        f'<TD><INPUT TYPE="checkbox" NAME="{n}" VALUE="{v}"></TD>\n' for n, v in DAY_BOXES
    )
    sizes = "".join(
        f'<TD class=tdradio><INPUT TYPE="radio" NAME="mostrarp" VALUE="{size}"'
        f"{' CHECKED' if size == PAGE_SIZES[0] else ''}>{size} en {size}</TD>\n"
        for size in PAGE_SIZES
    )
    return (
        "<HEAD>\n</HEAD>\n<HTML>\n<TITLE>Consulta de Oferta Academica</TITLE>\n"
        '<FORM ACTION="sspseca.consulta_oferta" METHOD="POST" name="frm_consulta_oferta">\n'
        '<TABLE  BORDER=0 bgcolor="c0c0c0" cellspacing="0" cellpadding="5">\n'
        '<TR>\n<TH ALIGN="RIGHT" class=encabezado>Ciclo:</TH>\n<TD COLSPAN="3">\n'
        f'<SELECT NAME="ciclop" SIZE="1" id=cicloID>\n{cycle_options}</SELECT>\n</TD></TR>\n'
        '<TR>\n<TH ALIGN="RIGHT" class=encabezado>Centro:</TH>\n<TD COLSPAN="3">\n'
        f'<SELECT NAME="cup" SIZE="1">\n{centre_options}</SELECT>\n</TD></TR>\n'
        f"<TR>\n{texts}{days}</TR>\n"
        '<TR>\n<TD class=tdradio><INPUT TYPE="checkbox" NAME="dispp" VALUE="D">'
        "Incluir s&oacute;lo las secciones con lugares disponibles</TD>\n</TR>\n"
        '<TR>\n<TD class=tdradio><INPUT TYPE="radio" NAME="ordenp" VALUE="0" CHECKED>Materia</TD>\n'
        '<TD class=tdradio><INPUT TYPE="radio" NAME="ordenp" VALUE="1">Clave del curso</TD>\n'
        '<TD class=tdradio><INPUT TYPE="radio" NAME="ordenp" VALUE="2">NRC</TD>\n</TR>\n'
        f"<TR>\n{sizes}</TR>\n</TABLE>\n"
        '<INPUT TYPE="reset" VALUE="Restablecer Valores">\n</FORM>\n</BODY>\n</HTML>\n'
    )


def offer_results(
    cycle: str,
    heading: str,
    sections: list[SimOfferSection],
    *,
    total: int,
    end_of_report: bool,
    next_start: int | None = None,
) -> str:
    rows = "".join(_section_row(s, i) for i, s in enumerate(sections))
    next_page = (
        '<FORM ACTION="sspseca.consulta_oferta" METHOD="POST" name="frm_siguiente">\n'
        f'<INPUT TYPE="hidden" NAME="p_start" VALUE="{next_start}">\n'
        '<INPUT TYPE="submit" VALUE="Siguientes">\n</FORM>\n'
        if next_start is not None
        else ""
    )
    return (
        "<HEAD>\n</HEAD>\n<HTML>\n<TITLE>Consulta de Oferta Acad&eacute;mica</TITLE>\n<BR>\n"
        f'<H1><FONT COLOR="000066" FACE="arial" SIZE="4">{_e(heading)}</FONT></H1>\n'
        '<TABLE  BORDER=1 cellspacing=0 cellpadding="0">\n<TR bgcolor=navy>\n'
        f'<TH COLSPAN="11">Consulta de Oferta Acad&eacute;mica del ciclo {cycle}</TH>\n</TR>\n'
        "<TR bgcolor=A9C0DB>\n<TH>NRC</TH>\n<TH>Clave</TH>\n<TH>Materia</TH>\n<TH>Sec</TH>\n"
        "<TH>CR</TH>\n<TH>CUP</TH>\n<TH>DIS</TH>\n<TH>Ses/Hora/D&iacute;as/Edif/Aula/Periodo</TH>\n"
        f"<TH>Ses/Profesor</TH>\n</TR>\n{rows}</TABLE>\n<BR>\n<BR>\n"
        f"Total de registros: {total}<BR>{'FIN DEL REPORTE' if end_of_report else ''}\n<BR>\n"
        f"{next_page}"
        '<FORM ACTION="sspseca.forma_consulta" METHOD="POST" name="frm_consulta2">\n'
        '<INPUT TYPE="submit" VALUE="Otra b&uacute;squeda">\n</FORM>\n</BODY>\n</HTML>\n'
    )


def _section_row(s: SimOfferSection, index: int) -> str:
    colour = "#e5e5e5" if index % 2 == 0 else "#FFFFFF"
    link = f"sspseca.consulta_oferta?crsep={s.key}"
    sessions = "".join(
        f"<TR><TD>{x.number}</TD><TD nowrap>{_e(x.hours)}</TD><TD nowrap>{_days(x.days)}</TD>"
        f"<TD>{_e(x.building)}</TD><TD>{_e(x.room)}</TD><TD nowrap>{_e(x.period)}</TD></TR>\n"
        for x in s.sessions
    )
    professors = "".join(
        f'<TR>\n<TD width="1%" class="tdprofesor">{n}</TD>\n<TD class="tdprofesor">{_e(name)}</TD>\n</TR>'
        for n, name in s.professors
    )
    return (
        f'<TR style="background-color:{colour};">\n'
        f"<TD class=tddatos>{s.nrc}</TD>\n"
        f'<TD class=tddatos><A HREF="scpcata.detmate?subclavep={s.key}">{s.key}</A></TD>\n'
        f'<TD class=tddatos><A HREF="{link}">{_e(s.name)}</A></TD>\n'
        f"<TD class=tddatos>{s.section}</TD>\n<TD class=tddatos>{s.credits}</TD>\n"
        f"<TD class=tddatos>{s.seats}</TD>\n<TD class=tddatos>{s.free}</TD>\n"
        '<TD align="center">\n<TABLE BORDER cellspacing=0 cellpadding="2" width=100% class="td1">\n'
        f"{sessions}</TABLE>\n</td>\n"
        f'<TD class=tddatos><TABLE BORDER cellspacing=0 cellpadding="2" width=100%>{professors}'
        "</TABLE></TD>\n</TR>\n"
    )


def _days(letters: str) -> str:
    return " ".join(letter if letter in letters else "." for letter in DAY_LETTERS)


def maintenance() -> str:
    return (
        "<HTML><HEAD><TITLE>SIIAU</TITLE></HEAD><BODY>\n"
        "<H2>El sistema se encuentra en mantenimiento. Intente m&aacute;s tarde.</H2>\n"
        "</BODY></HTML>\n"
    )


def current_period(today: date) -> str:
    """A class period around `today`, so a simulated cycle is open whenever it runs."""
    first, last = today - timedelta(days=30), today + timedelta(days=60)
    return f"{first:%d/%m/%y} - {last:%d/%m/%y}"


def demo_offer(today: date) -> list[SimOfferSection]:
    """I5890 at CUCEI as the demo shows it: D11 full (its seat opens on cue), D12 with room."""
    when = current_period(today)
    professor = (("01", "VILLASEÑOR MUÑOZ, ANA"),)
    name = "SEMINARIO DE SOLUCION DE PROBLEMAS DE REDES"
    return [
        SimOfferSection(
            "180245",
            "I5890",
            name,
            "D11",
            5,
            40,
            0,
            (SimOfferSession("01", "0700-0855", "MJ", "DUCT1", "LC05", when),),
            professor,
        ),
        SimOfferSection(
            "180246",
            "I5890",
            name,
            "D12",
            5,
            40,
            3,
            (SimOfferSession("01", "1100-1255", "MJ", "DUCT1", "LC06", when),),
            professor,
        ),
    ]


def _planner_section(
    nrc: str,
    key: str,
    name: str,
    sec: str,
    free: int,
    when: str,
    sessions: tuple[tuple[str, str, str], ...],
    professor: str,
) -> SimOfferSection:
    return SimOfferSection(
        nrc,
        key,
        name,
        sec,
        8,
        40,
        free,
        tuple(
            SimOfferSession(f"{n + 1:02d}", hours, days, "DEDX", f"A{int(nrc) % 100:03d}", when)
            for n, (hours, days, _) in enumerate(sessions)
        ),
        tuple((f"{n + 1:02d}", professor) for n in range(len(sessions))),
    )


def planner_offer(today: date) -> list[SimOfferSection]:
    """Four subjects at CUCEI for /armar: 2-hour classes on two days, clashes between some
    sections, full sections, and two subjects (I7412 and LE201's D02 only) on one slot.
    I5886 × I7412 × LE201 has options on three and four days; I9999 always clashes with I7412."""
    when = current_period(today)
    s = _planner_section
    return [
        s(
            "200101",
            "I5886",
            "ESTRUCTURAS DE DATOS",
            "D01",
            0,
            when,
            (("0700-0855", "LI", ""),),
            "RAMOS TORRES, LUIS",
        ),
        s(
            "200102",
            "I5886",
            "ESTRUCTURAS DE DATOS",
            "D02",
            5,
            when,
            (("0900-1055", "LI", ""),),
            "RAMOS TORRES, LUIS",
        ),
        s(
            "200103",
            "I5886",
            "ESTRUCTURAS DE DATOS",
            "D03",
            2,
            when,
            (("1100-1255", "MJ", ""),),
            "GARCIA PEÑA, ROSA",
        ),
        s(
            "200104",
            "I5886",
            "ESTRUCTURAS DE DATOS",
            "D04",
            0,
            when,
            (("1500-1655", "MJ", ""),),
            "GARCIA PEÑA, ROSA",
        ),
        s(
            "200201",
            "I7412",
            "BASES DE DATOS",
            "D01",
            3,
            when,
            (("0900-1055", "LI", ""),),
            "NUÑEZ DIAZ, MARTA",
        ),
        s(
            "200202",
            "I7412",
            "BASES DE DATOS",
            "D02",
            0,
            when,
            (("1100-1255", "LI", ""),),
            "NUÑEZ DIAZ, MARTA",
        ),
        s(
            "200203",
            "I7412",
            "BASES DE DATOS",
            "D03",
            7,
            when,
            (("0700-0855", "MJ", ""),),
            "SOTO LARA, JUAN",
        ),
        s(
            "200204",
            "I7412",
            "BASES DE DATOS",
            "D04",
            1,
            when,
            (("1700-1855", "V", ""),),
            "SOTO LARA, JUAN",
        ),
        s(
            "200301",
            "LE201",
            "INGLES II",
            "D01",
            4,
            when,
            (("0700-0855", "LI", ""),),
            "SMITH, JOHN",
        ),
        s(
            "200302",
            "LE201",
            "INGLES II",
            "D02",
            0,
            when,
            (("0900-1055", "MJ", ""),),
            "SMITH, JOHN",
        ),
        s("200303", "LE201", "INGLES II", "D03", 6, when, (("1300-1455", "V", ""),), "BROWN, ANNE"),
        s(
            "200401",
            "I9999",
            "TALLER DE CHOQUES",
            "D01",
            3,
            when,
            (
                ("0900-1055", "LI", ""),
                ("0700-0855", "MJ", ""),
                ("1100-1255", "LI", ""),
                ("1700-1855", "V", ""),
            ),
            "CHOQUE, ANA",
        ),
    ]
