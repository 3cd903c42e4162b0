"""SIIAU's pages as the simulator serves them, in SIIAU's shape (see shared/siiau/).

The schedule page for the demo student reproduces the reconstructed sample
byte for byte once encoded as ISO-8859-1; a test holds it to that.
"""

from __future__ import annotations

from html import escape

from bot.sim.siiau.students import SimCareer, SimCourse, SimSession, SimStudent

CYCLE_LABELS = {"202520": "2025 B", "202510": "2025 A", "202480": "2024 VERANO"}
CURRENT_CYCLE = "202520"
DAY_LETTERS = "LMIJVS"
NBSP = "&nbsp;"
# [inferred] No public source names the pages behind REGISTRO and "Lista": clients follow
# the links by their text, so these names are the simulator's own.
REGISTRO = "sgpreg.registro"
REGISTRATION_LIST = "sgpreg.lista"


def _cell(value: str) -> str:
    return f"<TD>{escape(value, quote=False) if value.strip() else NBSP}</TD>"


def _alert_page(script: str) -> str:
    return (
        '<HTML>\n<HEAD>\n<SCRIPT LANGUAGE="JavaScript">\n'
        f"{script}\n</SCRIPT>\n</HEAD>\n<BODY></BODY>\n</HTML>\n"
    )


def login_form(token: str) -> str:
    return (
        "<HTML>\n<HEAD>\n<TITLE>SIIAU Escolar</TITLE>\n"
        '<script src="https://www.google.com/recaptcha/api.js" async defer></script>\n'
        "</HEAD>\n<BODY>\n"
        '<FORM NAME="loginForm" ACTION="gupprincipal.forma_inicio_bd" METHOD="POST">\n'
        f'<INPUT TYPE="hidden" NAME="p_token_c" VALUE="{token}">\n'
        '<INPUT TYPE="hidden" NAME="p_origen_c" VALUE="WUS">\n'
        'C&Oacute;DIGO: <INPUT TYPE="text" NAME="p_codigo_c" SIZE="10">\n'
        'NIP: <INPUT TYPE="password" NAME="p_clave_c" SIZE="10">\n'
        '<div class="g-recaptcha" data-sitekey="6LdSIIAU-simulated"></div>\n'
        '<INPUT TYPE="submit" VALUE="Ingresar">\n</FORM>\n</BODY>\n</HTML>\n'
    )


def login_continue() -> str:
    return (
        '<HTML>\n<BODY onLoad="document.fInicio.submit();">\n'
        '<FORM NAME="fInicio" ACTION="GUPPRINCIPAL.VALIDA_INICIO" METHOD="POST">\n'
        "</FORM>\n</BODY>\n</HTML>\n"
    )


def main_page(pidm: str) -> str:
    return (
        "<HTML>\n<HEAD>\n<TITLE>SIIAU Escolar</TITLE>\n</HEAD>\n<BODY>\n"
        '<FORM NAME="mainPage" ACTION="/wal/gupmenug.menu" METHOD="POST" TARGET="Menu">\n'
        '<INPUT TYPE="hidden" NAME="p_sistema_c" VALUE="ALUMNOS">\n'
        '<INPUT TYPE="hidden" NAME="p_sistemaid_n" VALUE="3">\n'
        '<INPUT TYPE="hidden" NAME="p_menupredid_n" VALUE="3">\n'
        f'<INPUT TYPE="hidden" NAME="p_pidm_n" VALUE="{pidm}">\n'
        "</FORM>\n"
        '<FRAMESET COLS="200,*">\n<FRAME NAME="Menu" SRC="about:blank">\n'
        '<FRAME NAME="Contenido" SRC="about:blank">\n</FRAMESET>\n</BODY>\n</HTML>\n'
    )


def captcha_required(token: str) -> str:
    return login_form(token).replace(
        '<INPUT TYPE="submit"', '<P>Verifica que no eres un robot.</P>\n<INPUT TYPE="submit"'
    )


def invalid_credentials() -> str:
    return _alert_page("alert('Los datos proporcionados no son validos');\nhistory.back();")


def locked() -> str:
    return _alert_page(
        "alert('Tu acceso al sistema ha sido bloqueado por haber realizado mas de 5 intentos fallidos.');\n"
        'document.location.replace("gupuweb.bloqueo");'
    )


def skipped_step() -> str:
    return _alert_page('alert("INGRESO NO VALIDO");')


def session_expired() -> str:
    return _alert_page(
        'alert("SESION INVALIDA O TERMINADA POR INACTIVIDAD");\n'
        'top.location.replace("/wus/gupprincipal.salir");'
    )


def session_already_open() -> str:
    """No public source gives this page's text; what is known is that step 2 then lacks
    the `fInicio` form, so the simulator answers with a page that has none."""
    return _alert_page(
        'alert("ACCESO NO PERMITIDO: SESION VIGENTE");\ntop.location.replace("gupprincipal.salir");'
    )


def maintenance() -> str:
    return (
        "<HTML>\n<HEAD><TITLE>SIIAU</TITLE></HEAD>\n<BODY>\n<CENTER>\n"
        "<H2>El sistema se encuentra en mantenimiento.</H2>\n"
        "<P>Intenta m&aacute;s tarde.</P>\n</CENTER>\n</BODY>\n</HTML>\n"
    )


def oracle_error() -> str:
    """The PL/SQL gateway's error page, served with HTTP 200 (as mod_plsql does)."""
    return (
        "<HTML>\n<HEAD><TITLE>Error</TITLE></HEAD>\n<BODY>\n<H2>Internal Server Error</H2>\n"
        "<PRE>ORA-06550: line 7, column 2:\nPLS-00306: wrong number or types of arguments in call\n"
        "ORA-06550: line 7, column 2:\nPL/SQL: Statement ignored</PRE>\n</BODY>\n</HTML>\n"
    )


def foreign_page() -> str:
    """A page of neither login path: what a captive portal or a moved host answers."""
    return (
        "<html><head><title>Red Universitaria</title></head><body>\n"
        "<h1>Bienvenido a la red inal&aacute;mbrica</h1>\n"
        '<p><a href="/continuar">Continuar</a></p>\n</body></html>\n'
    )


def survey() -> str:
    return (
        "<HTML>\n<HEAD><TITLE>Encuestas</TITLE></HEAD>\n<BODY>\n"
        "<H3>Tienes encuestas pendientes de contestar.</H3>\n"
        '<A HREF="gupencuesta.lista">Contestar encuestas</A>\n</BODY>\n</HTML>\n'
    )


def logged_out() -> str:
    return (
        '<HTML>\n<HEAD>\n<SCRIPT>top.location.replace("gupprincipal.forma_inicio");</SCRIPT>\n'
        "</HEAD>\n<BODY></BODY>\n</HTML>\n"
    )


def menu(
    student: SimStudent, options: str = "code", *, registro: bool = False, links: str = "name"
) -> str:
    """Several careers are a select; `options` picks the shape of its values. With
    `registro`, the menu also links REGISTRO (the way to the registration list). One career
    is a link carrying `majrp=`; with `links="actions"`, two links that read "Oferta" and
    "Horario" (the name of the career nowhere on the page)."""
    if len(student.careers) > 1:
        choices = "\n".join(
            f'<OPTION VALUE="{escape(_career_value(c, options))}">{c.code} - {escape(c.name, quote=False)}</OPTION>'
            for c in student.careers
        )
        careers = f'<SELECT NAME="p_carrera">\n<OPTION VALUE="">Selecciona</OPTION>\n{choices}\n</SELECT>\n'
    elif links == "actions":
        c = student.careers[0]
        careers = (
            f'<A HREF="sgpofer.secciones?pidmp={student.pidm}&majrp={c.code}" TARGET="Contenido">Oferta</A>\n'
            f'<A HREF="sgpregi.horario?pidmp={student.pidm}&majrp={c.code}" TARGET="Contenido">Horario</A>\n'
        )
    else:
        c = student.careers[0]
        careers = (
            f'<A HREF="sgpofer.secciones?pidmp={student.pidm}&majrp={c.code}" '
            f'TARGET="Contenido">{escape(c.name, quote=False)}</A>\n'
        )
    return (
        "<HTML>\n<HEAD><TITLE>Menu</TITLE></HEAD>\n<BODY>\n"
        '<UL>\n<LI><A HREF="sgphist.kardex" TARGET="Contenido">Kardex</A></LI>\n'
        f'<LI><A HREF="sgpregi.horario?pidmp={student.pidm}" TARGET="Contenido">Horario</A></LI>\n'
        + (
            f'<LI><A HREF="{REGISTRO}?pidmp={student.pidm}" TARGET="Contenido">REGISTRO</A></LI>\n'
            if registro
            else ""
        )
        + f"</UL>\n{careers}</BODY>\n</HTML>\n"
    )


def _career_value(career: SimCareer, shape: str) -> str:
    if shape == "code-cycle":
        return f"{career.code}-{CURRENT_CYCLE[:4]}10"
    if shape == "code-name":
        return f"{career.code} - {career.name}"
    return career.code


def schedule(
    student: SimStudent,
    career: SimCareer,
    cycle: str,
    courses: list[SimCourse],
    *,
    changed_layout: bool = False,
    student_block: str = "td",
) -> str:
    label = CYCLE_LABELS.get(cycle, cycle).replace(" ", "-", 1)
    options = "\n".join(
        f"<OPTION VALUE='{value}'{' SELECTED' if value == cycle else ''}>{text}</OPTION>"
        for value, text in CYCLE_LABELS.items()
    )
    columns = [
        "NRC",
        "CVE",
        "MATERIA",
        "SEC",
        "CR",
        "HORARIO",
        "L",
        "M",
        "I",
        "J",
        "V",
        "S",
        "EDIF",
        "AULA",
        "PROFESOR",
        "FECHA INCIO",
        "FECHA FIN",
    ]
    if changed_layout:
        columns.insert(5, "MODALIDAD")
    header = "".join(f"<TH>{c}</TH>" for c in columns)
    rows = []
    for index, course in enumerate(courses):
        colour = "#FFFFFF" if index % 2 == 0 else "#e5e5e5"
        first, *extra = course.sessions
        lead = [course.nrc, course.key, course.name, course.section, course.credits]
        if changed_layout:
            lead.append("PRESENCIAL")
        rows.append(
            f'<TR BGCOLOR="{colour}">{"".join(map(_cell, lead))}{_session_cells(first)}</TR>'
        )
        rows.extend(
            f'<TR BGCOLOR="{colour}"><TD COLSPAN="5">{NBSP}</TD>{_session_cells(s)}</TR>'
            for s in extra
        )
    body = "\n".join(rows)
    return (
        "<HTML>\n<HEAD>\n<TITLE>Horario</TITLE>\n"
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">\n'
        '<LINK REL="stylesheet" HREF="/wal/estilos.css">\n</HEAD>\n<BODY>\n<CENTER>\n'
        f"{_student_block(student, career, student_block)}</CENTER>\n<CENTER>\n"
        '<DIV><FORM NAME="forma" ACTION="sfpcoal.horario" METHOD="POST">\n'
        f'<INPUT TYPE="hidden" NAME="pidmP" VALUE="{student.pidm}">\n'
        f'<INPUT TYPE="hidden" NAME="majrP" VALUE="{career.code}">\n'
        '<INPUT TYPE="hidden" NAME="encaP" VALUE="0">\n'
        '<SELECT NAME="pCiclo" ID="cicloID" onChange="document.forma.submit();">\n'
        '<OPTION VALUE="">Selecciona un ciclo</OPTION>\n'
        f"{options}\n</SELECT>\n</FORM></DIV>\n<DIV>\n"
        '<TABLE ALIGN="CENTER" BORDER="1" CELLSPACING="0">\n'
        f'<TR><TH COLSPAN="{len(columns)}">Horario de cursos del ciclo {label}</TH></TR>\n'
        f"<TR>{header}</TR>\n"
        f"{body}{chr(10) if body else ''}"
        "</TABLE>\n</DIV>\n</CENTER>\n</BODY>\n</HTML>\n"
    )


def _student_block(student: SimStudent, career: SimCareer, style: str) -> str:
    """ "td": label: value pairs, as reconstructed; "th": a row of labels over a row of values."""
    last_cycle = CYCLE_LABELS[CURRENT_CYCLE].replace(" ", "-")
    if style == "th":
        fields = [
            ("CODIGO", student.code),
            ("NOMBRE", escape(student.name, quote=False)),
            ("CARRERA", f"{escape(career.name, quote=False)} ({career.code})"),
            ("CENTRO", escape(career.center, quote=False)),
            ("SITUACION", "ACTIVO"),
        ]
        return (
            '<TABLE WIDTH="80%" BORDER="0">\n'
            f'<TR><TH COLSPAN="{len(fields)}">DATOS DEL ESTUDIANTE</TH></TR>\n'
            f"<TR>{''.join(f'<TH>{label}</TH>' for label, _ in fields)}</TR>\n"
            f"<TR>{''.join(f'<TD>{value}</TD>' for _, value in fields)}</TR>\n"
            "</TABLE>\n"
        )
    return (
        '<TABLE WIDTH="80%" BORDER="0">\n'
        '<TR><TH COLSPAN="4">DATOS DEL ESTUDIANTE</TH></TR>\n'
        f"<TR><TD>CODIGO:</TD><TD>{student.code}</TD><TD>NOMBRE:</TD><TD>{escape(student.name, quote=False)}</TD></TR>\n"
        f"<TR><TD>CARRERA:</TD><TD>{escape(career.name, quote=False)} ({career.code})</TD>"
        f"<TD>CENTRO:</TD><TD>{escape(career.center, quote=False)}</TD></TR>\n"
        f"<TR><TD>SITUACION:</TD><TD>ACTIVO</TD><TD>ULTIMO CICLO:</TD><TD>{last_cycle}</TD></TR>\n"
        "</TABLE>\n"
    )


def _session_cells(session: SimSession) -> str:
    days = "".join(_cell(letter if letter in session.days else "") for letter in DAY_LETTERS)
    return (
        _cell(session.hours)
        + days
        + _cell(session.building)
        + _cell(session.room)
        + _cell(session.professor)
        + _cell(session.first_day)
        + _cell(session.last_day)
    )


def registro_menu(student: SimStudent) -> str:
    """REGISTRO's own menu; its "Lista" link carries the first career (the client sets its own)."""
    return (
        "<HTML>\n<HEAD><TITLE>Registro</TITLE></HEAD>\n<BODY>\n<UL>\n"
        f'<LI><A HREF="sgpreg.altas?pidmp={student.pidm}">Altas y bajas</A></LI>\n'
        f'<LI><A HREF="{REGISTRATION_LIST}?pidmp={student.pidm}&majrp={student.careers[0].code}">Lista</A></LI>\n'
        "</UL>\n</BODY>\n</HTML>\n"
    )


def registration_list(
    student: SimStudent, career: SimCareer, cycle: str, courses: list[SimCourse]
) -> str:
    """The "Lista": NRC, CLAVE, MATERIA, CREDITOS, under the student block."""
    rows = "".join(
        f"<TR>{_cell(c.nrc)}{_cell(c.key)}{_cell(c.name)}{_cell(c.credits)}</TR>\n" for c in courses
    )
    total = sum(int(c.credits) for c in courses if c.credits.isdigit())
    return (
        "<HTML>\n<HEAD>\n<TITLE>Lista</TITLE>\n"
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">\n</HEAD>\n<BODY>\n'
        f"<CENTER>\n{_student_block(student, career, 'td')}</CENTER>\n"
        f"<H3>Materias registradas en el ciclo {cycle}</H3>\n"
        '<TABLE ALIGN="CENTER" BORDER="1" CELLSPACING="0">\n'
        "<TR><TH>NRC</TH><TH>CLAVE</TH><TH>MATERIA</TH><TH>CREDITOS</TH></TR>\n"
        f'{rows}<TR><TD COLSPAN="3">TOTAL DE CREDITOS</TD><TD>{total}</TD></TR>\n'
        "</TABLE>\n</BODY>\n</HTML>\n"
    )
