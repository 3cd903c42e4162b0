"""The simulator's grade pages (kárdex, promedio, boleta) and the switches tests flip on them.

Built from PROTOCOL.md's "Grades: the kárdex and the boleta", in ISO-8859-1 like every SIIAU
page: the kárdex in `#leyendaPromedio` with `Calendario …` rows, 7-cell subject rows and
extraordinario rows starting `<TD COLSPAN="3"></TD>`; the promedio's labels each followed by a
`<FONT>`; the boleta's 7 columns. `GradesBoard` holds what is posted per student; tests and the
demo post grades while the simulator runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from html import escape

from bot.sim.siiau.students import SimCareer, SimStudent

KARDEX = "/wal/sgphist.kardex"
PROMEDIO = "/wal/sgphist.promedio"
# [inferred] No public source shows the boleta's own URL; clients follow the menu's "Boleta" link.
BOLETA = "/wal/sgphist.boleta_dc"
ACADEMICA = "/wal/sgphist.academica"  # [inferred] a submenu page, for the `academic_submenu` switch
PATHS = {KARDEX, PROMEDIO, BOLETA, ACADEMICA}
_WORDS = {
    0: "CERO",
    40: "CUARENTA",
    60: "SESENTA",
    65: "SESENTA Y CINCO",
    70: "SETENTA",
    75: "SETENTA Y CINCO",
    80: "OCHENTA",
    85: "OCHENTA Y CINCO",
    88: "OCHENTA Y OCHO",
    90: "NOVENTA",
    91: "NOVENTA Y UNO",
    95: "NOVENTA Y CINCO",
    97: "NOVENTA Y SIETE",
    100: "CIEN",
}


@dataclass(frozen=True)
class SimHistoryRow:
    nrc: str
    clave: str
    name: str
    grade: str  # "97", "SD"
    credits: int
    date: str  # "11/DIC/2019"
    extraordinario: str = ""  # its extraordinario grade, when it had one
    extraordinario_date: str = ""


HISTORY = (
    (
        "Calendario 24 A",
        (
            SimHistoryRow("150001", "I5882", "PROGRAMACION", "97", 8, "14/JUN/2024"),
            SimHistoryRow("150002", "I5884", "MATEMATICAS DISCRETAS", "88", 8, "14/JUN/2024"),
        ),
    ),
    (
        "Calendario 24 B",
        (
            SimHistoryRow("160001", "I5886", "ESTRUCTURAS DE DATOS I", "91", 8, "11/DIC/2024"),
            SimHistoryRow(
                "160002", "I5890", "CALCULO DIFERENCIAL E INTEGRAL", "SD", 0, "11/DIC/2024"
            ),
        ),
    ),
)
EXTRA_HISTORY = SimHistoryRow(
    "160003",
    "I5891",
    "ALGEBRA LINEAL",
    "40",
    0,
    "11/DIC/2024",
    extraordinario="75",
    extraordinario_date="20/ENE/2025",
)


@dataclass
class _Posted:
    ordinaria: str = ""
    extraordinaria: str = ""
    in_kardex: bool = False


@dataclass
class GradesBoard:
    """What the simulator shows per student, and its switches."""

    no_boleta: set[str] = field(default_factory=set)  # codes whose menu has no "Boleta" link
    survey: set[str] = field(default_factory=set)  # codes whose grade pages show `Encuestas</b>`
    extraordinario: set[str] = field(
        default_factory=set
    )  # codes with an extraordinario in the kárdex
    changed_layout: bool = False  # the boleta's header in words nobody knows
    academic_submenu: bool = False  # the grade links sit one page down, under "ACADÉMICA"
    _posted: dict[tuple[str, str], _Posted] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(
        self,
        code: str,
        nrc: str,
        grade: str,
        *,
        extraordinaria: bool = False,
        in_kardex: bool = False,
    ) -> None:
        """Post (or correct) a grade in the boleta of the cycle in course."""
        with self._lock:
            posted = self._posted.setdefault((code, nrc), _Posted())
            if extraordinaria:
                posted.extraordinaria = grade
            else:
                posted.ordinaria = grade
            posted.in_kardex = in_kardex

    def posted(self, code: str, nrc: str) -> tuple[str, str]:
        with self._lock:
            entry = self._posted.get((code, nrc), _Posted())
            return entry.ordinaria, entry.extraordinaria

    def _official(self, code: str, nrc: str) -> _Posted | None:
        with self._lock:
            entry = self._posted.get((code, nrc))
            return None if entry is None or not entry.in_kardex else _Posted(**vars(entry))

    # ---- pages -------------------------------------------------------------------
    def menu_links(self, student: SimStudent, *, submenu: bool = False) -> str:
        """The links carry the pidm only: the career is the one chosen (`majrp`, added by the
        client), so that no link but the career's own names a career in a one-career menu."""
        if self.academic_submenu and not submenu:
            return f'<LI><A HREF="sgphist.academica?pidmp={student.pidm}" TARGET="Contenido">ACAD&Eacute;MICA</A></LI>\n'
        links = (
            f'<LI><A HREF="sgphist.kardex?pidmp={student.pidm}" TARGET="Contenido">K&aacute;rdex</A></LI>\n'
            f'<LI><A HREF="sgphist.promedio?pidmp={student.pidm}" TARGET="Contenido">Promedio</A></LI>\n'
        )
        if student.code not in self.no_boleta:
            links += f'<LI><A HREF="sgphist.boleta_dc?pidmp={student.pidm}" TARGET="Contenido">Boleta</A></LI>\n'
        return links

    def page(self, path: str, student: SimStudent, career: SimCareer) -> str:
        if path == ACADEMICA:
            return (
                f"<HTML><BODY><UL>\n{self.menu_links(student, submenu=True)}</UL></BODY></HTML>\n"
            )
        if student.code in self.survey:
            return survey_page()
        if path == KARDEX:
            return self.kardex(student, career)
        if path == PROMEDIO:
            return promedio(student, career)
        return self.boleta(student, career)

    def kardex(self, student: SimStudent, career: SimCareer) -> str:
        rows: list[str] = []
        cycles = [(label, list(history)) for label, history in HISTORY]
        if student.code in self.extraordinario:
            cycles[-1][1].append(EXTRA_HISTORY)
        current = [
            (course, official)
            for course in career.courses
            if (official := self._official(student.code, course.nrc)) is not None
        ]
        for label, history in cycles:
            rows.append(f'<TR><TH COLSPAN="7">{label}</TH></TR>\n{_KARDEX_HEADER}')
            for item in history:
                kind = "ORDINARIO (OE)"
                rows.append(
                    _kardex_row(
                        item.nrc, item.clave, item.name, item.grade, kind, item.credits, item.date
                    )
                )
                if item.extraordinario:
                    rows.append(
                        _extra_row(item.extraordinario, item.credits, item.extraordinario_date)
                    )
        if current:
            rows.append(f'<TR><TH COLSPAN="7">Calendario 25 B</TH></TR>\n{_KARDEX_HEADER}')
            for course, official in current:
                credits = int(course.credits) if course.credits.isdigit() else 0
                if official.ordinaria:
                    rows.append(
                        _kardex_row(
                            course.nrc,
                            course.key,
                            course.name,
                            official.ordinaria,
                            "ORDINARIO (OE)",
                            credits,
                            "13/DIC/2025",
                        )
                    )
                if official.extraordinaria:
                    rows.append(_extra_row(official.extraordinaria, credits, "20/ENE/2026"))
        return (
            "<HTML>\n<HEAD><TITLE>Kardex</TITLE></HEAD>\n<BODY>\n"
            "<CENTER><B>K&Aacute;RDEX DEL ALUMNO</B></CENTER>\n"
            f"<P>Alumno: {escape(student.name, quote=False)}</P>\n<P>Carrera: {career.code}</P>\n"
            '<DIV ID="leyendaPromedio">\n<TABLE BORDER="0" WIDTH="90%">\n'
            + "".join(rows)
            + "</TABLE>\n<BR>\n"
            '<TABLE BORDER="1">\n<TR><TH COLSPAN="2">CR&Eacute;DITOS</TH></TR>\n'
            "<TR><TD>REQUERIDOS</TD><TD>420</TD></TR>\n<TR><TD>ADQUIRIDOS</TD><TD>40</TD></TR>\n</TABLE>\n"
            '<P>Cr&eacute;ditos faltantes: <SPAN ID="creditosFaltantesID">380</SPAN></P>\n</DIV>\n</BODY>\n</HTML>\n'
        )

    def boleta(self, student: SimStudent, career: SimCareer) -> str:
        header = (
            "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>MATERIA</TH><TH>CALIFICACI&Oacute;N ORDINARIA</TH><TH>EN K&Aacute;RDEX</TH>"
            "<TH>CALIFICACI&Oacute;N EXTRAORDINARIA</TH><TH>EN K&Aacute;RDEX</TH></TR>\n"
        )
        if self.changed_layout:
            header = "<TR><TH>FOLIO</TH><TH>ASIGNATURA</TH><TH>NOTA</TH></TR>\n"
        rows = []
        for course in career.courses:
            ordinaria, extraordinaria = self.posted(student.code, course.nrc)
            official = self._official(student.code, course.nrc) is not None
            cells = (
                course.nrc,
                course.key,
                escape(course.name.strip(), quote=False),
                ordinaria,
                "SI" if official and ordinaria else ("NO" if ordinaria else ""),
                extraordinaria,
                "SI" if official and extraordinaria else ("NO" if extraordinaria else ""),
            )
            rows.append(
                '<TR BGCOLOR="#FFFFFF">' + "".join(f"<TD>{c}</TD>" for c in cells) + "</TR>\n"
            )
        return (
            "<HTML>\n<HEAD><TITLE>Boleta</TITLE></HEAD>\n<BODY>\n<DIV>\n"
            "<H3>Boleta de calificaciones</H3>\n"
            f"<P>Alumno: {escape(student.name, quote=False)}</P>\n<P>Carrera: {career.code} - Ciclo 2025-B</P>\n"
            '<TABLE BORDER="1">\n' + header + "".join(rows) + "</TABLE>\n</DIV>\n</BODY>\n</HTML>\n"
        )


_KARDEX_HEADER = (
    "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>Nombre de la materia</TH><TH>CALIFICACI&Oacute;N</TH><TH>TIPO</TH>"
    "<TH>CR&Eacute;DITOS (NC)</TH><TH>FECHA</TH></TR>\n"
)


def _grade_text(grade: str) -> tuple[str, bool]:
    """`97 (NOVENTA Y SIETE)` and whether SIIAU paints it red."""
    if grade == "SD":
        return "SD (SIN DERECHO)", True
    number = int(grade)
    words = _WORDS.get(number, "")
    return (f"{grade} ({words})" if words else grade), number < 60


def _font(value: str, red: bool = False) -> str:
    color = ' COLOR="red"' if red else ""
    return f'<FONT{color} FACE="Arial" SIZE="1">{value}</FONT>'


def _kardex_row(
    nrc: str, clave: str, name: str, grade: str, kind: str, credits: int, day: str
) -> str:
    text, red = _grade_text(grade)
    return (
        '<TR bgcolor="#ffffff">'
        f'<TD><A HREF="sgphist.detalle?nrc={nrc}">{_font(nrc)}</A></TD>'
        f'<TD><A HREF="sgphist.materia?clave={clave}">{_font(clave)}</A></TD>'
        f"<TD>{_font(escape(name, quote=False))}</TD><TD>{_font(text, red)}</TD><TD>{_font(kind)}</TD>"
        f"<TD>{_font(str(credits if not red else 0))}</TD><TD>{_font(day)}</TD></TR>\n"
    )


def _extra_row(grade: str, credits: int, day: str) -> str:
    text, red = _grade_text(grade)
    return (
        '<TR bgcolor="#ffffff"><TD COLSPAN="3"></TD>'
        f"<TD>{_font(text, red)}</TD><TD>{_font('EXTRAORDINARIO (E)')}</TD>"
        f"<TD>{_font(str(credits if not red else 0))}</TD><TD>{_font(day)}</TD></TR>\n"
    )


def promedio(student: SimStudent, career: SimCareer) -> str:
    def line(label: str, value: str) -> str:
        return f"<TR><TD><B>{label}</B></TD><TD>{_font(escape(value, quote=False))}</TD></TR>\n"

    return (
        "<HTML>\n<HEAD><TITLE>Promedio</TITLE></HEAD>\n<BODY>\n<TABLE>\n"
        + line("Nombre:", student.name)
        + line("Situaci&oacute;n:", "ACTIVO")
        + line("Carrera:", f"{career.name} ({career.code})")
        + line("Centro:", career.center)
        + line("Sede:", "GUADALAJARA")
        + line("PROMEDIO", "88.40")
        + "</TABLE>\n</BODY>\n</HTML>\n"
    )


def survey_page() -> str:
    return (
        "<HTML>\n<HEAD><TITLE>SIIAU</TITLE></HEAD>\n<BODY>\n<CENTER><B>Encuestas</B></CENTER>\n"
        "<P>Antes de continuar contesta la evaluaci&oacute;n docente.</P>\n"
        '<A HREF="gupencuesta.lista">Contestar encuestas</A>\n</BODY>\n</HTML>\n'
    )
