"""Reading the grade pages inside a logged-in SIIAU session.

Each page is found through the ALUMNOS menu's link text first ("Kárdex", "Boleta"), then, for
the kárdex and the promedio, their direct URLs (PROTOCOL.md). A menu with no "Boleta" link means
no boleta (between cycles). SIIAU's survey, wherever it shows, is a state: `SurveyPending`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from bot.schedule.grades import Boleta, GradesReport, Kardex, Promedio, SurveyPending
from bot.siiau import errors, grades, registro
from bot.siiau.errors import LayoutChanged, PageNotFound
from bot.siiau.schedule_page import text

if TYPE_CHECKING:
    from bot.siiau.client import SiiauClient

log = logging.getLogger(__name__)

KARDEX = "/wal/sgphist.kardex"
PROMEDIO = "/wal/sgphist.promedio"


async def read_grades(client: SiiauClient, career: str) -> GradesReport | SurveyPending:
    from bot.siiau.client import located  # the client module imports this one

    try:
        with located("grades menu", "/wal/gupmenug.menu"):
            menu = _Menus(client, await client.students_menu())
        kardex = await _kardex(client, menu, career)
        with located("promedio", PROMEDIO):
            promedio = await _promedio(client, career)
        boleta = await _boleta(client, menu, career)
    except errors.SurveyPending:
        return SurveyPending(client.survey_link)
    return GradesReport(kardex, promedio, boleta, career)


async def read_boleta(client: SiiauClient, career: str) -> Boleta | None | SurveyPending:
    """Only the boleta (an alert check): the menu, then its "Boleta" link; None without one."""
    from bot.siiau.client import located

    try:
        with located("grades menu", "/wal/gupmenug.menu"):
            menu = _Menus(client, await client.students_menu())
        return await _boleta(client, menu, career)
    except errors.SurveyPending:
        return SurveyPending(client.survey_link)


class _Menus:
    """The ALUMNOS menu and, asked for only when a link is not in it, its ACADÉMICA submenu
    (Seergs/siiau-api walks ALUMNOS → ACADÉMICA → "Kárdex"/"Boleta")."""

    def __init__(self, client: SiiauClient, menu: str) -> None:
        self._client, self._pages = client, [menu]
        self._opened = False

    async def link(self, label: str, career: str) -> str | None:
        while True:
            for page in self._pages:
                try:
                    return registro.link(page, label, career)
                except LayoutChanged:
                    continue
            if not await self._more(career):
                self._check_survey()
                return None

    async def find(self, rules: tuple[_Rule, ...], career: str) -> str | None:
        """The link the first rule matches (every rule on the menu, then on the ACADÉMICA
        submenu, opened once); a rule is (words the link text holds, words it must not)."""
        while True:
            for page in self._pages:
                for rule in rules:
                    label = _anchor_text(page, rule)
                    if label:
                        try:
                            return registro.link(page, label, career)
                        except LayoutChanged:
                            continue
            if not await self._more(career):
                self._check_survey()
                return None

    async def _more(self, career: str) -> bool:
        """Open the ACADÉMICA submenu, once; False when there is none (or it is open already)."""
        if self._opened:
            return False
        self._opened = True
        try:
            academic = registro.link(self._pages[0], "Academica", career)
        except LayoutChanged:
            return False
        self._pages.append(await self._client.get_page(academic))
        return True

    def _check_survey(self) -> None:
        """No such link. SIIAU's survey shown in place of the menu (`Encuestas</b>` and no
        kárdex link) is the survey, not "no boleta"; a real menu may name an Encuestas section."""
        for page in self._pages:
            if grades.survey_shown(page) and _anchor_text(page, (("KARD",), ())) is None:
                raise errors.SurveyPending("SIIAU shows its survey in place of the menu")


_Rule = tuple[tuple[str, ...], tuple[str, ...]]
# "Boleta de calificaciones" first, then any "Boleta" but a payment slip's, then a link named
# like "Calificaciones" that is not the kárdex (CuceiVerse looks for `bolet` and `calif`).
BOLETA_LINKS: tuple[_Rule, ...] = (
    (("BOLET", "CALIF"), ()),
    (("BOLET",), ("PAGO",)),
    (("CALIF",), ("KARD",)),
)


def _anchor_text(page: str, rule: _Rule) -> str | None:
    """The text of the first link whose text (accents and case folded) holds every word of
    `rule[0]` and none of `rule[1]`."""
    wanted, unwanted = rule
    for anchor in BeautifulSoup(page, "lxml").find_all("a"):
        label = grades.plain(text(anchor))
        if all(w in label for w in wanted) and not any(u in label for u in unwanted):
            return text(anchor).strip()
    return None


def _with_student(url: str, pidm: str, career: str) -> str:
    """The student's parameters (`pidmp`, `majrp`) on a grade page link that lacks them."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {name.lower() for name, _ in query}
    query += [(n, v) for n, v in (("pidmp", pidm), ("majrp", career)) if n not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _kardex(client: SiiauClient, menu: _Menus, career: str) -> Kardex:
    from bot.siiau.client import located

    try:
        with located("kardex link", KARDEX):
            link = await menu.link("Kardex", career)
            if link is not None:
                if urlsplit(link).path.lower().endswith("sgphist.kardex"):
                    link = _with_student(link, client.pidm, career)
                return grades.parse_kardex(await client.get_page(link))
    except LayoutChanged as error:
        log.info("siiau kardex through the menu failed (%s); trying its URL", error.where)
    with located("kardex", KARDEX):
        return grades.parse_kardex(
            await client.get_page(KARDEX, {"pidmp": client.pidm, "majrp": career})
        )


async def _promedio(client: SiiauClient, career: str) -> Promedio | None:
    try:
        return grades.parse_promedio(
            await client.get_page(PROMEDIO, {"pidmp": client.pidm, "majrp": career})
        )
    except PageNotFound:
        return None  # the kárdex and boleta still stand; the promedio line is left out


async def _boleta(client: SiiauClient, menu: _Menus, career: str) -> Boleta | None:
    from bot.siiau.client import located

    with located("boleta link", "/wal/gupmenug.menu"):
        link = await menu.find(BOLETA_LINKS, career)
    if link is None:
        return None  # no "Boleta" in the menu: no cycle in course to show
    link = _with_student(link, client.pidm, career)  # the career chosen, as a browser would send it
    with located("boleta", urlsplit(link).path or "boleta"):
        return grades.parse_boleta(await client.get_page(link))
