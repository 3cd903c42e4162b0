"""Recognising SIIAU pages by their bodies.

Every known SIIAU failure arrives as HTTP 200 with a tell-tale body. Each
marker lives here, in one place, because SIIAU changes without notice.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from bot.siiau.errors import (
    AccountLocked,
    InvalidCredentials,
    LayoutChanged,
    SessionAlreadyOpen,
    SessionExpired,
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
_SURVEY_TITLE = re.compile(r"<title>[^<]*encuesta", re.IGNORECASE)
_CAREER_CODE = re.compile(r"^[A-Z]{3,4}$")
_CAREER_LINK = re.compile(r"majrp=([A-Z]{3,4})\b")
FRAGMENT_LENGTH = 300


def decode(body: bytes) -> str:
    return body.decode(ENCODING, errors="replace")


def fragment(html: str) -> str:
    """A short excerpt for the operator: the page's shape, never form values."""
    without_values = re.sub(r"(?i)value\s*=\s*(['\"]).*?\1", "VALUE=…", html)
    digits_masked = re.sub(r"\d{4,}", "…", without_values)
    return " ".join(digits_masked.split())[:FRAGMENT_LENGTH]


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
    if _MAINTENANCE in lowered:
        raise SiiauUnavailable("SIIAU shows its maintenance page")
    if _SKIPPED_STEP in lowered:
        raise LayoutChanged("SIIAU answered INGRESO NO VALIDO", fragment(html))


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
    raise LayoutChanged("login form not found", fragment(html))


def pidm_from_main_page(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    form = soup.find("form", attrs={"name": "mainPage"})
    field = form.find("input", attrs={"name": "p_pidm_n"}) if form else None
    value = str(field.get("value", "")).strip() if field else ""
    if not value.isdigit():
        reason = "captcha" if "recaptcha" in html.lower() else "main page"
        raise LayoutChanged(f"login did not reach the {reason} we know", fragment(html))
    return value


def careers_from_menu(html: str) -> list[Career]:
    soup = BeautifulSoup(html, "lxml")
    select = soup.find("select", attrs={"name": "p_carrera"})
    careers: dict[str, Career] = {}
    if select is not None:
        for option in select.find_all("option"):
            code = str(option.get("value", "")).strip().upper()
            if _CAREER_CODE.match(code):
                name = " ".join(option.get_text(" ").split())
                careers[code] = Career(code=code, name=_career_name(name, code))
    else:
        for link in soup.find_all("a", href=True):
            match = _CAREER_LINK.search(str(link["href"]))
            if match and match.group(1) not in careers:
                name = " ".join(link.get_text(" ").split())
                careers[match.group(1)] = Career(match.group(1), _career_name(name, match.group(1)))
    if not careers:
        raise LayoutChanged("no career found in the menu", fragment(html))
    return list(careers.values())


def _career_name(text: str, code: str) -> str:
    cleaned = re.sub(rf"^\s*{code}\s*[-–:]\s*|\s*\({code}\)\s*$", "", text).strip()
    return cleaned or code
