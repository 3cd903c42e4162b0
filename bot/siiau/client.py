"""SIIAU adapter over httpx: one client, and so one cookie jar, per run."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.schedule.grades import Boleta, GradesReport
from bot.schedule.grades import SurveyPending as SurveyPendingState
from bot.siiau import grades_client, pages, portal_pages, registro, trail
from bot.siiau.errors import (
    InvalidCredentials,
    LayoutChanged,
    LoginUnconfirmed,
    PageNotFound,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauError,
    SiiauErrorPage,
    SiiauPage,
    SiiauUnavailable,
)
from bot.siiau.offer import OfferSection, parse_student_offer_form
from bot.siiau.offer_client import DEFAULT_PAGE_SIZE, collect_sections, search_fields
from bot.siiau.portal import Career
from bot.siiau.registro import RegistroSchedulePage
from bot.siiau.schedule_page import SiiauSchedulePage, looks_like_schedule

log = logging.getLogger(__name__)

LOGIN_FORM = "/wus/gupprincipal.forma_inicio"
LOGIN_FORM_POST = "/wus/gupprincipal.forma_inicio_bd"
LOGIN_VALIDATE = "/wus/gupprincipal.valida_inicio"
LOGOUT = "/wus/gupprincipal.salir"
MENU = "/wal/gupmenug.menu"
SCHEDULE_CURRENT = "/wal/sgpregi.horario"
SCHEDULE_OF_CYCLE = "/wal/sfpcoal.horario"
OFFER_FORM = "/wal/sgpofer.secciones"
PIDM_COOKIE_SUFFIX = "SIIAUUDG"
# Failures that happen before a request leaves this machine: SIIAU cannot have seen it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and what SIIAU answered, for a watcher such as `python -m bot diagnose`."""

    method: str
    path: str
    status: int
    html: str
    page: SiiauPage | None = None  # the bytes and declared type, for a redacted capture


Observer = Callable[[Exchange], None]
Accepted = Callable[[], Awaitable[None]]


LOGIN_PATHS = ("portal", "direct")


class LoginPathStore(Protocol):
    """Where the login path that worked is kept: in the database (`bot.store.login_path`),
    so replicas share what one of them learned; `InProcessLoginPaths` otherwise."""

    async def load(self) -> tuple[str, float] | None:
        """The path remembered and since when (epoch seconds), or None."""
        ...

    async def save(self, path: str, since: float) -> None: ...


class InProcessLoginPaths:
    """One process's memory (`python -m bot fetch`, diagnose, tests)."""

    def __init__(self) -> None:
        self._entry: tuple[str, float] | None = None

    async def load(self) -> tuple[str, float] | None:
        return self._entry

    async def save(self, path: str, since: float) -> None:
        self._entry = (path, since)


class LoginPathMemory:
    """Which login path worked, believed for a day: then `auto` tries the Portal first again.

    The day counts from when the path was learned, not from its last success, so the order
    is rechecked daily even while the remembered path keeps working. A store that fails
    (the database is down) costs only the preference, never the login. What the store says
    is kept for `reread_seconds`: a login (it holds a SIIAU session slot meanwhile) does not
    wait for the database each time, and another replica's finding arrives within that time.
    """

    def __init__(
        self,
        store: LoginPathStore | None = None,
        ttl: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
        reread_seconds: float = 60.0,
    ) -> None:
        self._store = store if store is not None else InProcessLoginPaths()
        self._ttl, self._clock, self._reread = ttl, clock, reread_seconds
        self._read: tuple[float, tuple[str, float] | None] | None = (
            None  # (when read, what it said)
        )

    async def preferred(self) -> str | None:
        now = self._clock()
        if self._read is not None and 0 <= now - self._read[0] < self._reread:
            entry = self._read[1]
        else:
            try:
                entry = await self._store.load()
            except Exception as error:  # noqa: BLE001 - the preference is an optimisation, never a failure
                log.warning(
                    "login path memory unreadable (%s); trying the Portal first",
                    type(error).__name__,
                )
                return None
            self._read = (now, entry)
        if entry is None or entry[0] not in LOGIN_PATHS:
            return None
        path, since = entry
        return path if 0 <= now - since < self._ttl else None

    async def remember(self, path: str, believed: str | None) -> None:
        """`path` worked; `believed` is what `preferred()` said before this login."""
        if path == believed:
            return  # still fresh: its day keeps counting from when it was learned
        now = self._clock()
        self._read = (now, (path, now))
        try:
            await self._store.save(path, now)
        except Exception as error:  # noqa: BLE001 - as in preferred()
            log.warning("login path memory not written (%s)", type(error).__name__)


class ShortcutStore(Protocol):
    """Where each login path's finding about the schedule shortcut is kept: in the database
    (`bot.store.login_path.DatabaseShortcuts`), so replicas share it; `InProcessShortcuts` otherwise."""

    async def load(self, path: str) -> tuple[bool, float] | None:
        """Whether the schedule URL answered without the menu walk on `path`, and since when."""
        ...

    async def save(self, path: str, works: bool, since: float) -> None: ...


class InProcessShortcuts:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[bool, float]] = {}

    async def load(self, path: str) -> tuple[bool, float] | None:
        return self._entries.get(path)

    async def save(self, path: str, works: bool, since: float) -> None:
        self._entries[path] = (works, since)


class ShortcutMemory:
    """Whether SIIAU answers the schedule URL right after the login, without walking the
    menu frames first (the schedule URL needs only the pidm and the career). Learned, never
    assumed: a finding is believed for a day from when it was made, then tried again. A
    store that fails costs only the shortcut, never the schedule."""

    def __init__(
        self,
        store: ShortcutStore | None = None,
        ttl: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store if store is not None else InProcessShortcuts()
        self._ttl, self._clock = ttl, clock

    async def believed(self, path: str) -> bool | None:
        """True: go straight to the schedule; False: walk the menu; None: try it and learn."""
        try:
            entry = await self._store.load(path)
        except Exception as error:  # noqa: BLE001 - an optimisation, never a failure
            log.warning("shortcut memory unreadable (%s); walking the menu", type(error).__name__)
            return False
        if entry is None or not 0 <= self._clock() - entry[1] < self._ttl:
            return None
        return entry[0]

    async def learned(self, path: str, works: bool, believed: bool | None) -> None:
        if works == believed:
            return  # still fresh: its day counts from when it was learned
        try:
            await self._store.save(path, works, self._clock())
        except Exception as error:  # noqa: BLE001 - as in believed()
            log.warning("shortcut memory not written (%s)", type(error).__name__)


class _OtherPathMayWork(Exception):
    """This path failed where trying the other one cannot cost a wrong NIP: before the
    credentials went out, or after SIIAU accepted them."""

    def __init__(self, cause: SiiauError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class SiiauClient:
    """One student's conversation with SIIAU, from login to logout.

    Two login paths lead to the same Escolar session: the central Portal (JSF, what
    students use today) and the older direct three-step form. With `login="auto"`
    the client tries the one that worked last (else the Portal) and moves to the
    other only when this one failed before the credentials were sent, or after
    they were accepted. A rejected NIP, or an answer to the credentials we cannot
    read, ends the login: sending the NIP down the other path could be a second
    rejection towards SIIAU's lock.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        observer: Observer | None = None,
        *,
        portal_url: str = "",
        login: str = "direct",
        memory: LoginPathMemory | None = None,
        schedule_source: str = "auto",
        shortcut: ShortcutMemory | None = None,
    ) -> None:
        self._http = http
        self._shortcut = shortcut or ShortcutMemory()
        self._schedule_source = schedule_source
        self._observer = observer
        self._portal_url = portal_url.rstrip("/")
        self._login_mode = login
        self._memory = memory or LoginPathMemory()
        self._pidm: str | None = None
        self._students_menu: str | None = None  # the ALUMNOS page, once read
        self._main_page: tuple[str, str] | None = (
            None  # the Portal's valida_inicio answer and its URL
        )
        self._accepted: Accepted | None = None
        self.login_path: str | None = None
        self.unanswered_logins = 0

    @property
    def cookie_values(self) -> list[str]:
        """Values of the cookies SIIAU set in this run (so a capture can mask them)."""
        return [cookie.value for cookie in self._http.cookies.jar if cookie.value]

    async def login(self, credentials: Credentials, on_accepted: Accepted | None = None) -> None:
        """Log in. `on_accepted` is awaited once, the moment SIIAU accepts the NIP (the Portal's
        answer to the login POST, the direct path's to valida_inicio), while the login goes on."""
        self._pidm, self._students_menu, self._main_page, self.login_path = None, None, None, None
        self._accepted = on_accepted
        believed = await self._memory.preferred() if self._login_mode == "auto" else None
        paths = self._paths(believed)
        for path in paths:
            try:
                if path == "portal":
                    await self._login_portal(credentials)
                else:
                    await self._login_direct(credentials, fallback_allowed=len(paths) > 1)
            except _OtherPathMayWork as failed:
                if path == paths[-1]:
                    raise failed.cause from None
                log.info(
                    "siiau %s login unavailable (%s); trying the other path",
                    path,
                    type(failed.cause).__name__,
                )
                continue
            self.login_path = path
            if self._login_mode == "auto":
                await self._memory.remember(path, believed)
            return

    def _paths(self, believed: str | None) -> list[str]:
        if self._login_mode in LOGIN_PATHS:
            return [self._login_mode]
        first = believed or "portal"
        return [first, "direct" if first == "portal" else "portal"]

    async def _login_portal(self, credentials: Credentials) -> None:
        """Portal login → dashboard → Escolar's frameset → fInicio → mainPage → ALUMNOS."""
        secrets = (credentials.code, credentials.nip)
        login_url = f"{self._portal_url}/Portal/login.xhtml"
        try:
            with located("portal 1/6", "/Portal/login.xhtml", secrets):
                fields = portal_pages.login_form(await self._request("GET", login_url))
        except SiiauError as error:
            raise _OtherPathMayWork(error) from error  # nothing of the student's was sent
        fields |= {"loginForm:codigo": credentials.code, "loginForm:password": credentials.nip}
        with located("portal 2/6", "/Portal/login.xhtml", secrets), self._answer_to_credentials():
            answer = await self._send(
                "POST", login_url, data=fields, follow_redirects=False, opens_session=True
            )
            location = answer.headers.get("location", "")
            if answer.status_code in (301, 302, 303) and "login.xhtml" not in location:
                dashboard_url = urljoin(login_url, location)
            elif answer.status_code in (301, 302, 303) or portal_pages.still_login_form(
                self._decode(answer)
            ):
                raise InvalidCredentials("the Portal rejected the student code or NIP")
            else:
                pages.raise_for_page(
                    self._decode(answer)
                )  # a known page first (locked, error page)
                raise LoginUnconfirmed(
                    "the Portal's answer to the login is not one we know",
                    pages.fragment(self._decode(answer)),
                    marker="302 to the dashboard",
                )
        await self._tell_accepted()
        try:  # accepted: from here on, the direct path would be safe to try
            await self._portal_into_escolar(dashboard_url, secrets)
        except (LayoutChanged, SessionAlreadyOpen) as error:
            raise _OtherPathMayWork(error) from error

    async def _portal_into_escolar(self, dashboard_url: str, secrets: tuple[str, ...]) -> None:
        """Dashboard → Escolar's frameset → fInicio → valida_inicio (the pidm). The frameset's
        `topFrame` is never fetched: nothing the client reads is in it. The menu frames are
        walked later, only when needed (`_alumnos_menu`)."""
        with located("portal 3/6", "/Portal/dashboard.xhtml", secrets):
            action, jump = portal_pages.escolar_jump(await self._request("GET", dashboard_url))
            jumped = await self._send(
                "POST", urljoin(dashboard_url, action), data=jump, follow_redirects=False
            )
            location = jumped.headers.get("location", "")
            entry_url = (
                urljoin(dashboard_url, location)
                if location
                else f"{self._base()}/wus/gupprincipal.emicore"
            )
        with located("portal 4/6", "/wus/gupprincipal.emicore", secrets):
            entry = await self._request("GET", urljoin(self._base(), entry_url))
            main_url = urljoin(entry_url, portal_pages.frame(entry, "mainFrame"))
            start = portal_pages.form_named(await self._request("GET", main_url), "fInicio")
        with located("portal 5/6", "/wus/gupprincipal.valida_inicio", secrets):
            validate_url = urljoin(main_url, start.action)
            main_page = await self._request(
                "POST", validate_url, data=start.fields, opens_session=True
            )
            self._pidm = pages.pidm_from_main_page(main_page)
            portal_pages.form_named(main_page, "mainPage")  # the walk's next step is there
        self._main_page = (main_page, validate_url)

    async def _walk_portal_menu(self) -> str:
        """mainPage → the systems frameset → its Menu frame → ALUMNOS."""
        assert self._main_page is not None
        main_page, validate_url = self._main_page
        with located("portal 6/6", "/wal/gupmenug.menu_sistema"):
            systems = portal_pages.form_named(main_page, "mainPage")
            systems_url = urljoin(validate_url, systems.action)
            frameset = await self._request("POST", systems_url, data=systems.fields)
            menu_url = urljoin(
                systems_url, portal_pages.frame(frameset, "Menu", contains="menu_sistema")
            )
            students = portal_pages.students_link(await self._request("GET", menu_url))
            return await self._request("GET", urljoin(menu_url, students))

    async def _alumnos_menu(self) -> str:
        """The ALUMNOS menu (careers, REGISTRO), read once per session: on the Portal path by
        walking its frames, on the direct path by posting the menu form."""
        if self._students_menu is None:
            self._students_menu = await (
                self._walk_portal_menu() if self._main_page is not None else self._menu()
            )
        return self._students_menu

    async def _tell_accepted(self) -> None:
        """SIIAU accepted the NIP: say so once, at once. What the listener does is not the login's."""
        listener, self._accepted = self._accepted, None
        if listener is None:
            return
        try:
            await listener()
        except Exception as error:  # noqa: BLE001 - a listener's failure must not cost the session
            log.warning("login acceptance listener failed (%s)", type(error).__name__)

    async def _login_direct(
        self, credentials: Credentials, *, fallback_allowed: bool = False
    ) -> None:
        secrets = (credentials.code, credentials.nip)
        try:
            with located("login 1/3", LOGIN_FORM, secrets):
                hidden = pages.login_form_fields(await self._request("GET", LOGIN_FORM))
        except SiiauError as error:
            if fallback_allowed:
                raise _OtherPathMayWork(error) from error  # nothing of the student's was sent
            raise
        fields = {**hidden, "p_codigo_c": credentials.code, "p_clave_c": credentials.nip}
        with located("login 2/3", LOGIN_FORM_POST, secrets), self._answer_to_credentials():
            pages.check_login_continues(await self._request("POST", LOGIN_FORM_POST, data=fields))
        with located("login 3/3", LOGIN_VALIDATE, secrets), self._answer_to_credentials():
            main_page = await self._request(
                "POST",
                LOGIN_VALIDATE,
                data={"p_codigo_c": credentials.code, "p_clave_c": credentials.nip},
                opens_session=True,
            )
            pidm = pages.pidm_from_main_page(main_page)
            cookie_pidm = self._cookie_pidm()
            if cookie_pidm is not None and cookie_pidm != pidm:
                raise LayoutChanged(
                    "session cookie does not match the main page", marker="cookie *SIIAUUDG = pidm"
                )
        self._pidm = pidm
        await self._tell_accepted()

    @contextmanager
    def _answer_to_credentials(self) -> Iterator[None]:
        """Around a request that carried the NIP. An answer that is neither an acceptance nor
        a known failure (the login form again with no alert, an error page, a page we don't
        know) may hide a rejection: it counts as an unanswered login, a possible rejection for
        the login guard, and ends the login as `LoginUnconfirmed`, which is never retried."""
        try:
            yield
        except LoginUnconfirmed:
            self.unanswered_logins += 1
            raise
        except SiiauErrorPage as error:
            self.unanswered_logins += 1
            raise LoginUnconfirmed(
                f"{error} in answer to the credentials", error.fragment
            ) from error
        except PageNotFound:
            raise  # SIIAU did not take the request at all
        except LayoutChanged as error:
            self.unanswered_logins += 1
            unconfirmed = LoginUnconfirmed(str(error), error.fragment, marker=error.marker)
            unconfirmed.step, unconfirmed.path = error.step, error.path
            raise unconfirmed from error

    async def careers(self) -> list[Career]:
        with located("careers", MENU):
            return pages.careers_from_menu(await self._alumnos_menu())

    async def _menu(self) -> str:
        return await self._request(
            "POST",
            MENU,
            data={
                "p_sistema_c": "ALUMNOS",
                "p_sistemaid_n": "3",
                "p_menupredid_n": "3",
                "p_pidm_n": self._require_pidm(),
            },
        )

    async def schedule_page(
        self, career: str, cycle: str | None = None
    ) -> SiiauSchedulePage | RegistroSchedulePage:
        """The schedule page; with `schedule_source="auto"`, when it is missing (404) or
        not one we know, the registration list joined with the offer instead."""
        if self._schedule_source == "registro":
            return await self._registro_page(career, cycle)
        try:
            page = await self._horario_page(career, cycle)
            if self._schedule_source == "auto":
                page.schedule()  # recognised here, in the session, while the other source is reachable
            return page
        except LayoutChanged as error:
            if self._schedule_source == "horario":
                raise
            log.info(
                "siiau schedule page unusable (%s); reading REGISTRO → Lista and the offer",
                error.where,
            )
            try:
                return await self._registro_page(career, cycle)
            except LayoutChanged as fallback:
                if isinstance(error, PageNotFound):
                    raise  # no schedule page at all: what the second source lacked is the news
                log.info("siiau second schedule source failed too (%s)", fallback.where)
                raise error from fallback  # the page we got and could not read says more

    async def _horario_page(self, career: str, cycle: str | None) -> SiiauSchedulePage:
        """Straight to the schedule URL when the menu walk is believed skippable (or not known
        yet: then tried and learned); when SIIAU refuses it, the menu first, as a browser does."""
        if self._students_menu is None and self.login_path is not None:
            path = self.login_path
            believed = await self._shortcut.believed(path)
            if believed is not False:
                try:
                    page = await self._schedule_request(career, cycle)
                    if not looks_like_schedule(page.html):
                        # A login form, a frameset, a redirect's target: SIIAU's refusal, not a schedule.
                        raise LayoutChanged(
                            "the schedule URL answered another page", marker="a schedule page"
                        )
                except PageNotFound as missing:
                    if missing.status == 404 and not missing.redirected:
                        raise  # no such page at all, walk or not (the other source may have it)
                    log.info(
                        "siiau schedule URL answered HTTP %s without the menu walk; walking it",
                        missing.status,
                    )
                    await self._alumnos_menu()  # 401/403: maybe only without the walk
                    page = await self._schedule_request(career, cycle)
                    await self._shortcut.learned(path, False, believed)  # the walk made it answer
                    return page
                except (LayoutChanged, SessionExpired, SiiauErrorPage) as refused:
                    # Any refusal (INGRESO NO VALIDO, SESION INVALIDA, an error page, another page)
                    # is answered by walking the menu as a browser does, in this same session.
                    log.info(
                        "siiau schedule URL refused without the menu walk (%s); walking it",
                        type(refused).__name__,
                    )
                    # Learned before the walk: a refusal that ended the session (SESION
                    # INVALIDA, then salir) must not end the next login's too.
                    await self._shortcut.learned(path, False, believed)
                    await self._alumnos_menu()
                    return await self._schedule_request(career, cycle)
                await self._shortcut.learned(path, True, believed)
                return page
            await self._alumnos_menu()
        return await self._schedule_request(career, cycle)

    async def _schedule_request(self, career: str, cycle: str | None) -> SiiauSchedulePage:
        pidm = self._require_pidm()
        if cycle is None:
            with located("horario", SCHEDULE_CURRENT):
                html = await self._request(
                    "GET", SCHEDULE_CURRENT, params={"pidmp": pidm, "majrp": career}
                )
                source = trail.last()
        else:
            with located("horario", SCHEDULE_OF_CYCLE):
                html = await self._request(
                    "POST",
                    SCHEDULE_OF_CYCLE,
                    data={"pidmP": pidm, "cicloP": cycle, "majrP": career, "encaP": "0"},
                )
                source = trail.last()
        return SiiauSchedulePage(html=html, career=career, cycle=cycle, source=source)

    async def _registro_page(self, career: str, cycle: str | None) -> RegistroSchedulePage:
        """ALUMNOS menu → REGISTRO → Lista; then the student's offer, one query per clave."""
        pidm = self._require_pidm()
        menu_url = f"{self._base()}{MENU}"
        with located("registro 1/4", MENU):
            registro_url = urljoin(menu_url, registro.link(await self._alumnos_menu(), "REGISTRO"))
        with located("registro 2/4", urlsplit(registro_url).path):
            list_url = urljoin(
                registro_url,
                registro.link(await self._request("GET", registro_url), "Lista", career),
            )
        with located("registro 3/4", urlsplit(list_url).path):
            listed = registro.parse_registration_list(await self._request("GET", list_url))
        if not listed.courses:  # nothing registered: no offer to ask
            return RegistroSchedulePage(listed, (), career, cycle or listed.cycle or "")
        form_url = urljoin(self._base(), OFFER_FORM)
        with located("registro 4/4", OFFER_FORM):
            form = parse_student_offer_form(
                await self._request("GET", form_url, params={"pidmp": pidm, "majrp": career})
            )
            chosen = registro.choose_cycle(form, cycle, listed.cycle)
        results_url = urljoin(form_url, form.action)
        wanted = {course.nrc for course in listed.courses}
        sections: dict[str, OfferSection] = {}
        for majr in (career, ""):  # the career's offer; then, for what it lacks, every career's
            for key in dict.fromkeys(c.key for c in listed.courses if c.nrc not in sections):
                fields = search_fields(chosen, form.centre, key, career=majr)
                with located("registro 4/4", urlsplit(results_url).path):
                    found, _ = await collect_sections(
                        lambda data: self._request("POST", results_url, data=dict(data)),
                        fields,
                        DEFAULT_PAGE_SIZE,
                    )
                sections.update((s.nrc, s) for s in found if s.nrc in wanted)
            if wanted <= sections.keys():
                break
        return RegistroSchedulePage(listed, tuple(sections.values()), career, chosen)

    async def grades(self, career: str) -> GradesReport | SurveyPendingState:
        """The kárdex, the promedio and the boleta of the cycle in course (`bot.siiau.grades_client`)."""
        return await grades_client.read_grades(self, career)

    async def boleta(self, career: str) -> Boleta | None | SurveyPendingState:
        """Only the boleta of the cycle in course (what an alert check needs): fewer requests."""
        return await grades_client.read_boleta(self, career)

    async def students_menu(self) -> str:
        """The ALUMNOS menu: the one the Portal path walked to, else asked for."""
        return self._students_menu or await self._menu()

    async def get_page(self, url: str, params: Mapping[str, str] | None = None) -> str:
        """A student page by path or URL (relative to the menu), classified like every page."""
        return await self._request("GET", urljoin(f"{self._base()}{MENU}", url), params=params)

    @property
    def pidm(self) -> str:
        return self._require_pidm()

    @property
    def survey_link(self) -> str:
        """Where a student answers SIIAU's survey: the login page they use (a session URL would be ours)."""
        return (
            f"{self._portal_url}/Portal/login.xhtml"
            if self._portal_url
            else f"{self._base()}{LOGIN_FORM}"
        )

    async def logout(self) -> None:
        """End the SIIAU session (one per student is allowed). Raises if SIIAU did not answer."""
        await self._request("GET", LOGOUT, classify=False)
        self._pidm = None
        self._http.cookies.clear()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _require_pidm(self) -> str:
        if self._pidm is None:
            raise SiiauError("not logged in")
        return self._pidm

    def _cookie_pidm(self) -> str | None:
        for cookie in self._http.cookies.jar:
            if cookie.name.endswith(PIDM_COOKIE_SUFFIX):
                return cookie.value
        return None

    def _base(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def _decode(self, response: httpx.Response) -> str:
        return pages.decode(response.content)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        classify: bool = True,
        opens_session: bool = False,
    ) -> str:
        response = await self._send(
            method, path, data=data, params=params, opens_session=opens_session
        )
        html = self._decode(response)
        if response.status_code >= 400:
            missing = PageNotFound(
                f"SIIAU answered HTTP {response.status_code} on {urlsplit(path).path}"
            )
            missing.status, missing.redirected = response.status_code, bool(response.history)
            raise missing
        if classify:
            pages.raise_for_page(html)
        return html

    async def _send(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        opens_session: bool = False,
        follow_redirects: bool = True,
    ) -> httpx.Response:
        """One request; transport failures and 5xx become `SiiauUnavailable`."""
        try:
            response = await self._http.request(
                method, path, data=data, params=params, follow_redirects=follow_redirects
            )
        except (httpx.TransportError, asyncio.CancelledError) as exc:
            # A slow SIIAU may still serve a login we stopped waiting for, and open a
            # session whose cookie never reached us: the caller has to close it later.
            if opens_session and not isinstance(exc, _NOT_SENT):
                self.unanswered_logins += 1
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, httpx.TimeoutException):
                raise SiiauUnavailable(f"SIIAU timed out on {path}") from exc
            raise SiiauUnavailable(
                f"SIIAU connection failed on {path}: {type(exc).__name__}"
            ) from exc
        page = SiiauPage(
            method,
            urlsplit(path).path,
            response.status_code,
            response.content,
            response.headers.get("content-type", ""),
        )
        trail.saw(page)
        if self._observer is not None:
            self._observer(
                Exchange(method, page.path, response.status_code, self._decode(response), page)
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise SiiauUnavailable(
                f"SIIAU answered HTTP {response.status_code} on {urlsplit(path).path}"
            )
        return response


@contextmanager
def located(step: str, path: str, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Say where a `LayoutChanged` happened, give it the page (redacted), and keep the code and
    NIP out of its excerpt."""
    try:
        with trail.attaching(secrets):
            yield
    except LayoutChanged as error:
        error.step, error.path = error.step or step, error.path or path
        error.fragment = pages.fragment(error.fragment, secrets) if secrets else error.fragment
        raise


class SiiauClientFactory:
    """Makes a fresh client per run; only the TLS context and the login-path memory are shared."""

    def __init__(
        self,
        settings: SiiauSettings,
        memory: LoginPathMemory | None = None,
        shortcut: ShortcutMemory | None = None,
    ) -> None:
        self._settings = settings
        self._memory = memory or LoginPathMemory()
        self._shortcut = shortcut or ShortcutMemory()
        verify = settings.tls_verify
        if verify is False:
            self._verify: ssl.SSLContext | bool = False
        elif isinstance(verify, str):
            self._verify = ssl.create_default_context(cafile=verify)
        else:
            self._verify = ssl.create_default_context()

    def __call__(self, observer: Observer | None = None) -> SiiauClient:
        s = self._settings
        http = httpx.AsyncClient(
            base_url=s.base_url.rstrip("/"),
            verify=self._verify,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=True,
            headers={"User-Agent": s.user_agent},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        return SiiauClient(
            http,
            observer,
            portal_url=s.portal_url,
            login=s.login,
            memory=self._memory,
            schedule_source=s.schedule_source,
            shortcut=self._shortcut,
        )
