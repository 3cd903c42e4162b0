"""The central Portal (JSF, `mw.siiau.udg.mx/Portal`) and its jump into Escolar, as
PROTOCOL.md describes them from public code (CuceiVerse, March 2026). Markup is
invented where no public page shows it; the names the client relies on are not."""

from __future__ import annotations

from html import escape

MESSAGE_WRONG = "Usuario o contrase&ntilde;a incorrectos"


def login(view_state: str, message: str = "") -> str:
    notice = f'<span class="ui-messages-error">{message}</span>\n' if message else ""
    return (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Portal SIIAU</title>'
        '<script src="/Portal/javax.faces.resource/jsf.js.xhtml?ln=javax.faces"></script></head><body>\n'
        f"{notice}"
        '<form id="loginForm" name="loginForm" method="post" action="/Portal/login.xhtml" '
        'enctype="application/x-www-form-urlencoded">\n'
        '<input type="hidden" name="loginForm" value="loginForm" />\n'
        '<input id="loginForm:codigo" name="loginForm:codigo" type="text" />\n'
        '<input id="loginForm:password" name="loginForm:password" type="password" />\n'
        '<button id="loginForm:j_idt40" name="loginForm:j_idt40" type="submit">'
        '<span class="ui-button-text">Aceptar</span></button>\n'
        f'<input type="hidden" name="javax.faces.ViewState" id="j_id1:javax.faces.ViewState:0" value="{view_state}" />\n'
        "</form></body></html>\n"
    )


def dashboard(view_state: str, name: str) -> str:
    onclick = (
        "mojarra.jsfcljs(document.getElementById('sistemasForm'),"
        "{'sistemasForm:j_idt52':'sistemasForm:j_idt52','sistema':'ESCOLAR'},'');return false"
    )
    return (
        "<!DOCTYPE html>\n<html><head><title>Portal SIIAU</title></head><body>\n"
        f"<p>Bienvenido(a) {escape(name, quote=False)}</p>\n"
        '<form id="sistemasForm" name="sistemasForm" method="post" action="/Portal/dashboard.xhtml">\n'
        '<input type="hidden" name="sistemasForm" value="sistemasForm" />\n'
        f'<a href="#" onclick="{onclick}">SIIAU Escolar</a>\n'
        f'<input type="hidden" name="javax.faces.ViewState" value="{view_state}" />\n'
        "</form></body></html>\n"
    )


def escolar_entry(ticket: str) -> str:
    return (
        "<HTML><HEAD><TITLE>SIIAU Escolar</TITLE></HEAD>\n"
        '<FRAMESET ROWS="80,*" BORDER="0">\n'
        '<FRAME NAME="topFrame" SRC="gupprincipal.encabezado">\n'
        f'<FRAME NAME="mainFrame" SRC="gupprincipal.inicio_portal?p_ticket_c={ticket}">\n'
        "</FRAMESET></HTML>\n"
    )


def top_frame() -> str:
    return '<HTML><BODY><IMG SRC="/wus/logo_udg.gif" ALT="UdeG"></BODY></HTML>\n'


def main_frame(ticket: str) -> str:
    return (
        '<HTML><BODY onLoad="document.fInicio.submit();">\n'
        '<FORM NAME="fInicio" ACTION="GUPPRINCIPAL.VALIDA_INICIO" METHOD="POST">\n'
        f'<INPUT TYPE="hidden" NAME="p_ticket_c" VALUE="{ticket}">\n'
        "</FORM></BODY></HTML>\n"
    )


def main_page(pidm: str) -> str:
    """What valida_inicio answers on this path: `mainPage` posts to the systems frameset."""
    return (
        '<HTML>\n<HEAD>\n<TITLE>SIIAU Escolar</TITLE>\n</HEAD>\n<BODY onLoad="document.mainPage.submit();">\n'
        '<FORM NAME="mainPage" ACTION="gupprincipal.sistemas" METHOD="POST">\n'
        f'<INPUT TYPE="hidden" NAME="p_pidm_n" VALUE="{pidm}">\n'
        "</FORM>\n</BODY>\n</HTML>\n"
    )


def systems(pidm: str) -> str:
    return (
        '<HTML><HEAD><TITLE>SIIAU Escolar</TITLE></HEAD>\n<FRAMESET COLS="220,*">\n'
        f'<FRAME NAME="Menu" SRC="/wal/gupmenug.menu_sistema?p_pidm_n={pidm}">\n'
        '<FRAME NAME="Contenido" SRC="about:blank">\n</FRAMESET></HTML>\n'
    )


def menu_systems(pidm: str) -> str:
    link = (
        "gupmenug.menu?p_sistema_c={system}&p_sistemaid_n={id}&p_menupredid_n={id}&p_pidm_n=" + pidm
    )
    return (
        "<HTML><BODY>\n<UL>\n"
        f'<LI><A HREF="{link.format(system="ALUMNOS_SEMS", id=7)}" TARGET="Contenido">ALUMNOS SEMS</A></LI>\n'
        f'<LI><A HREF="{link.format(system="ALUMNOS", id=3)}" TARGET="Contenido">ALUMNOS</A></LI>\n'
        "</UL>\n</BODY></HTML>\n"
    )
