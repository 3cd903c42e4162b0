"""Recognising SIIAU pages by their bodies.

Every known SIIAU failure arrives as HTTP 200 with a tell-tale body. Each
marker lives here, in one place, because SIIAU changes without notice.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from bot.siiau import redact
from bot.siiau.errors import (
    AccountLocked,
    InvalidCredentials,
    LayoutChanged,
    LoginUnconfirmed,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauErrorPage,
    SiiauUnavailable,
    SurveyPending,
)
from bot.siiau.portal import Career

ENCODING = "cp1252"  # SIIAU declares ISO-8859-1; windows-1252 is its superset.

_INVALID_CREDENTIALS = "los datos proporcionados no son validos"
_LOCKED = ("gupuweb.bloqueo", "ha sido bloqueado")
_EXPIRED = "sesion invalida o terminada por inactividad"
_SKIPPED_STEP = "ingreso no valido"
_ALREADY_OPEN = "ya existe una sesion activa"
_MAINTENANCE = "mantenimiento"
# A server's own error page served with 200: Oracle (ORA-06550), the PL/SQL gateway, Apache or a
# proxy in front. Read only from a bare page (no form, no table), like the maintenance notice.
_ERROR_PAGE = re.compile(
    r"\bORA-\d{5}\b|mod_plsql|Internal Server Error|Service (?:Temporarily )?Unavailable"
    r"|Bad Gateway|Gateway Time-?out|Proxy Error|HTTP Status 50\d|\bError 50\d\b",
    re.IGNORECASE,
)
_SURVEY_TITLE = re.compile(r"<title>[^<]*encuesta", re.IGNORECASE)
# An option of the career menu: `INCO`, `INNI-202210` (code and cycle) or `INCO - NAME`.
_CAREER_OPTION = re.compile(r"^([A-Z]{3,4})(?:\s*-\s*\S.*)?$")
_CAREER_LINK = re.compile(r"majrp=([A-Z]{3,4})\b")
FRAGMENT_LENGTH = redact.FRAGMENT_LENGTH


def decode(body: bytes) -> str:
    """SIIAU's pages are ISO-8859-1, but a page served as UTF-8 must read too. Latin-1 text with
    any accent is never valid UTF-8, so a body that decodes strictly as UTF-8 is UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(ENCODING, errors="replace")


def fragment(html: str, secrets: tuple[str, ...] = ()) -> str:
    """A short excerpt for the operator, through the one redactor (`bot.siiau.redact`): the
    page's shape, never form values, names, codes or pidms; `secrets` (the code and NIP a
    login just sent) masked in every form they may take."""
    return redact.fragment(html, secrets)


def raise_for_page(html: str) -> None:
    """Raise the error a known failure page stands for; return on anything else."""
    lowered = html.lower()
    if _INVALID_CREDENTIALS in lowered:
        raise InvalidCredentials("SIIAU rejected the student code or NIP")
    if any(marker in lowered for marker in _LOCKED):
        raise AccountLocked("SIIAU locked the student's account")
    if _EXPIRED in lowered:
        raise SessionExpired("SIIAU session expired")
    if _ALREADY_OPEN in lowered:
        raise SessionAlreadyOpen("the student has another SIIAU session open")
    if _SURVEY_TITLE.search(html):
        raise SurveyPending("SIIAU asks the student to answer a survey first")
    if _MAINTENANCE in lowered and _bare(html):
        # Only a page with no form and no table: "MANTENIMIENTO INDUSTRIAL" is a course name.
        raise SiiauUnavailable("SIIAU shows its maintenance page")
    if _ERROR_PAGE.search(html) and _bare(html):
        raise SiiauErrorPage("SIIAU answered with a server error page", fragment(html))
    if _SKIPPED_STEP in lowered:
        raise LayoutChanged("SIIAU answered INGRESO NO VALIDO", fragment(html))


def _bare(html: str) -> bool:
    """A page with no form and no table: a notice, not one of the pages we read."""
    soup = BeautifulSoup(html, "lxml")
    return soup.find("form") is None and soup.find("table") is None


def check_login_continues(html: str) -> None:
    """Step 2 answers a `fInicio` form posting to valida_inicio; without it, SIIAU is
    refusing the login because the student has a session open elsewhere. The login form
    itself, with no alert, says neither: `LoginUnconfirmed`."""
    soup = BeautifulSoup(html, "lxml")
    if is_login_form(soup):
        raise login_form_back(html, marker="form[name=fInicio]")
    for form in soup.find_all("form"):
        name = str(form.get("name", "")).lower()
        action = str(form.get("action", "")).lower()
        if name == "finicio" and action.rsplit("/", 1)[-1] == "gupprincipal.valida_inicio":
            return
    raise SessionAlreadyOpen("step 2 did not continue the login: a session is open elsewhere")


def is_login_form(soup: BeautifulSoup) -> bool:
    """The direct path's login form: a form posting to forma_inicio_bd, or a NIP field."""
    return (
        any(
            str(form.get("action", "")).lower().endswith("gupprincipal.forma_inicio_bd")
            for form in soup.find_all("form")
        )
        or soup.find("input", attrs={"name": re.compile("^p_clave_c$", re.I)}) is not None
    )


def login_form_back(html: str, marker: str = "form[name=mainPage] p_pidm_n") -> LoginUnconfirmed:
    """The credentials answered with the login form and no alert: SIIAU said neither yes nor no
    (an enforced captcha looks like this too)."""
    reason = " (captcha?)" if "recaptcha" in html.lower() else ""
    return LoginUnconfirmed(
        f"SIIAU answered the credentials with the login form again and no alert{reason}",
        fragment(html),
        marker=marker,
    )


def login_form_fields(html: str) -> dict[str, str]:
    """Hidden inputs of the form that posts to gupprincipal.forma_inicio_bd."""
    soup = BeautifulSoup(html, "lxml")
    for form in soup.find_all("form"):
        if str(form.get("action", "")).endswith("gupprincipal.forma_inicio_bd"):
            return {
                str(field["name"]): str(field.get("value", ""))
                for field in form.find_all("input", attrs={"type": re.compile("^hidden$", re.I)})
                if field.get("name")
            }
    raise LayoutChanged(
        "login form not found", fragment(html), marker="form[action=gupprincipal.forma_inicio_bd]"
    )


def pidm_from_main_page(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    form = soup.find("form", attrs={"name": "mainPage"})
    field = form.find("input", attrs={"name": "p_pidm_n"}) if form else None
    value = str(field.get("value", "")).strip() if field else ""
    if not value.isdigit():
        if is_login_form(soup):
            raise login_form_back(html)
        reason = "captcha" if "recaptcha" in html.lower() else "main page"
        raise LayoutChanged(
            f"login did not reach the {reason} we know",
            fragment(html),
            marker="form[name=mainPage] p_pidm_n",
        )
    return value


def careers_from_menu(html: str) -> list[Career]:
    soup = BeautifulSoup(html, "lxml")
    select = soup.find("select", attrs={"name": "p_carrera"})
    careers: dict[str, Career] = {}
    if select is not None:
        for option in select.find_all("option"):
            # One odd option (a placeholder, a new shape) never costs the student the others.
            match = _CAREER_OPTION.match(str(option.get("value", "")).strip().upper())
            if match and match.group(1) not in careers:
                code = match.group(1)
                name = " ".join(option.get_text(" ").split())
                careers[code] = Career(code=code, name=_career_name(name, code))
    else:
        # One career: its code is in the links' `majrp=`; their text is what the link does
        # ("Oferta", "Horario"), never the career's name. The name comes from the schedule
        # page's student block (CARRERA) once read; until then, the code alone.
        for link in soup.find_all("a", href=True):
            match = _CAREER_LINK.search(str(link["href"]))
            if match and match.group(1) not in careers:
                careers[match.group(1)] = Career(match.group(1), match.group(1))
    if not careers:
        raise LayoutChanged(
            "no career found in the menu",
            fragment(html),
            marker="select[name=p_carrera] or a=majrp",
        )
    return list(careers.values())


def _career_name(text: str, code: str) -> str:
    """The option's words once the code, a cycle (`INNI-202210`) and separators are gone; an
    option that shows nothing else names no career: the code alone, never its cycle."""
    cleaned = re.sub(rf"^\s*{code}\b|\(\s*{code}\s*\)|\b\d{{6}}\b", " ", text)
    cleaned = " ".join(cleaned.strip(" \t-–:").split())
    return cleaned if re.search(r"[^\W\d_]", cleaned) else code
