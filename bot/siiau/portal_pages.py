"""Recognising the central Portal's pages (JSF) and the frames of its jump into Escolar.

Every name here comes from public code (PROTOCOL.md, "A second login path"); the
button's name is read from the page, never hard-coded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from bot.siiau.errors import LayoutChanged
from bot.siiau.pages import fragment

VIEW_STATE = "javax.faces.ViewState"
_MOJARRA_PAIR = re.compile(r"""['"]([^'"]+)['"]\s*:\s*['"]([^'"]*)['"]""")


@dataclass(frozen=True, slots=True)
class Form:
    action: str
    method: str
    fields: dict[str, str]


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def _fields(form: Tag) -> dict[str, str]:
    return {
        str(i["name"]): str(i.get("value", "")) for i in form.find_all("input") if i.get("name")
    }


def login_form(html: str) -> dict[str, str]:
    """The fields of the Portal's login form, without the code and NIP."""
    soup = _soup(html)
    form = soup.find("form", attrs={"id": "loginForm"}) or soup.find(
        "form", attrs={"name": "loginForm"}
    )
    view = soup.find("input", attrs={"name": VIEW_STATE})
    if (
        not isinstance(form, Tag)
        or not isinstance(view, Tag)
        or form.find("input", attrs={"name": "loginForm:password"}) is None
    ):
        raise LayoutChanged(
            "portal login form not found",
            fragment(html),
            marker=f"form#loginForm with {VIEW_STATE}",
        )
    fields = {VIEW_STATE: str(view.get("value", "")), "loginForm": "loginForm"}
    for button in soup.find_all("button"):
        if "aceptar" in button.get_text(" ").lower() and button.get("name"):
            fields[str(button["name"])] = "Aceptar"
    return fields


def still_login_form(html: str) -> bool:
    """A wrong pair answers the login form again."""
    return 'name="loginform:password"' in html.lower().replace("'", '"')


def escolar_jump(html: str) -> tuple[str, dict[str, str]]:
    """The dashboard's `sistemasForm` action and what posting its Escolar link sends."""
    soup = _soup(html)
    form = soup.find("form", attrs={"id": "sistemasForm"})
    view = soup.find("input", attrs={"name": VIEW_STATE})
    link = next(
        (
            a
            for a in soup.find_all("a")
            if "mojarra.jsfcljs" in str(a.get("onclick", ""))
            and "sistemasForm" in str(a.get("onclick", ""))
        ),
        None,
    )
    if (
        not isinstance(form, Tag)
        or not isinstance(view, Tag)
        or link is None
        or not form.get("action")
    ):
        raise LayoutChanged(
            "portal dashboard not recognised",
            fragment(html),
            marker="form#sistemasForm + mojarra.jsfcljs link",
        )
    pairs = dict(
        _MOJARRA_PAIR.findall(str(link.get("onclick", "")).split("{", 1)[-1].split("}", 1)[0])
    )
    return str(form["action"]), {
        VIEW_STATE: str(view.get("value", "")),
        "sistemasForm": "sistemasForm",
        **pairs,
    }


def frames(html: str) -> dict[str, str]:
    """Frame name → src of a frameset page."""
    return {
        str(f.get("name", "")): str(f["src"]) for f in _soup(html).find_all("frame") if f.get("src")
    }


def form_named(html: str, name: str) -> Form:
    soup = _soup(html)
    form = next(
        (f for f in soup.find_all("form") if str(f.get("name", "")).lower() == name.lower()), None
    )
    if form is None:
        raise LayoutChanged(f"form {name} not found", fragment(html), marker=f"form[name={name}]")
    return Form(str(form.get("action", "")), str(form.get("method", "GET")).upper(), _fields(form))


def frame(html: str, name: str, contains: str = "") -> str:
    found = frames(html)
    src = found.get(name) or next(
        (s for s in found.values() if contains and contains in s.lower()), ""
    )
    if not src:
        raise LayoutChanged(f"frame {name} not found", fragment(html), marker=f"frame[name={name}]")
    return src


def students_link(html: str) -> str:
    """The menu link into ALUMNOS (university), not the high-school (SEMS) one."""
    for link in _soup(html).find_all("a", href=True):
        href = str(link["href"])
        if re.search(r"[?&]p_sistema_c=ALUMNOS(?:&|$)", href) and "SEMS" not in href.upper():
            return href
    raise LayoutChanged(
        "ALUMNOS not in the systems menu", fragment(html), marker="a[href*=p_sistema_c=ALUMNOS]"
    )
