"""SIIAU adapter over httpx: one client, and so one cookie jar, per run."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau import pages
from bot.siiau.errors import LayoutChanged, SiiauError, SiiauUnavailable
from bot.siiau.portal import Career, SchedulePage

log = logging.getLogger(__name__)

LOGIN_FORM = "/wus/gupprincipal.forma_inicio"
LOGIN_FORM_POST = "/wus/gupprincipal.forma_inicio_bd"
LOGIN_VALIDATE = "/wus/gupprincipal.valida_inicio"
LOGOUT = "/wus/gupprincipal.salir"
MENU = "/wal/gupmenug.menu"
SCHEDULE_CURRENT = "/wal/sgpregi.horario"
SCHEDULE_OF_CYCLE = "/wal/sfpcoal.horario"
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


Observer = Callable[[Exchange], None]


class SiiauClient:
    """One student's conversation with SIIAU, from login to logout."""

    def __init__(self, http: httpx.AsyncClient, observer: Observer | None = None) -> None:
        self._http = http
        self._observer = observer
        self._pidm: str | None = None
        self.unanswered_logins = 0

    @property
    def cookie_values(self) -> list[str]:
        """Values of the cookies SIIAU set in this run (so a capture can mask them)."""
        return [cookie.value for cookie in self._http.cookies.jar if cookie.value]

    async def login(self, credentials: Credentials) -> None:
        self._pidm = None
        secrets = (credentials.code, credentials.nip)
        with located("login 1/3", LOGIN_FORM, secrets):
            hidden = pages.login_form_fields(await self._request("GET", LOGIN_FORM))
        fields = {**hidden, "p_codigo_c": credentials.code, "p_clave_c": credentials.nip}
        with located("login 2/3", LOGIN_FORM_POST, secrets):
            pages.check_login_continues(await self._request("POST", LOGIN_FORM_POST, data=fields))
        with located("login 3/3", LOGIN_VALIDATE, secrets):
            main_page = await self._request(
                "POST",
                LOGIN_VALIDATE,
                data={"p_codigo_c": credentials.code, "p_clave_c": credentials.nip},
                opens_session=True,
            )
            pidm = pages.pidm_from_main_page(main_page)
            cookie_pidm = self._cookie_pidm()
            if cookie_pidm is not None and cookie_pidm != pidm:
                raise LayoutChanged("session cookie does not match the main page", marker="cookie *SIIAUUDG = pidm")
        self._pidm = pidm

    async def careers(self) -> list[Career]:
        with located("careers", MENU):
            return pages.careers_from_menu(await self._menu())

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

    async def schedule_page(self, career: str, cycle: str | None = None) -> SchedulePage:
        pidm = self._require_pidm()
        if cycle is None:
            html = await self._request(
                "GET", SCHEDULE_CURRENT, params={"pidmp": pidm, "majrp": career}
            )
        else:
            html = await self._request(
                "POST",
                SCHEDULE_OF_CYCLE,
                data={"pidmP": pidm, "cicloP": cycle, "majrP": career, "encaP": "0"},
            )
        return SchedulePage(html=html, career=career, cycle=cycle)

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
        try:
            response = await self._http.request(method, path, data=data, params=params)
        except (httpx.TransportError, asyncio.CancelledError) as exc:
            # A slow SIIAU may still serve a login we stopped waiting for, and open a
            # session whose cookie never reached us: the caller has to close it later.
            if opens_session and not isinstance(exc, _NOT_SENT):
                self.unanswered_logins += 1
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, httpx.TimeoutException):
                raise SiiauUnavailable(f"SIIAU timed out on {path}") from exc
            raise SiiauUnavailable(f"SIIAU connection failed on {path}: {type(exc).__name__}") from exc
        html = pages.decode(response.content)
        if self._observer is not None:
            self._observer(Exchange(method, path, response.status_code, html))
        if response.status_code >= 500 or response.status_code == 429:
            raise SiiauUnavailable(f"SIIAU answered HTTP {response.status_code} on {path}")
        if response.status_code >= 400:
            raise LayoutChanged(f"SIIAU answered HTTP {response.status_code} on {path}")
        if classify:
            pages.raise_for_page(html)
        return html


@contextmanager
def located(step: str, path: str, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Say where a `LayoutChanged` happened, and keep the code and NIP out of its excerpt."""
    try:
        yield
    except LayoutChanged as error:
        error.step, error.path = error.step or step, error.path or path
        error.fragment = pages.fragment(error.fragment, secrets) if secrets else error.fragment
        raise


class SiiauClientFactory:
    """Makes a fresh client per run; only the TLS context is shared."""

    def __init__(self, settings: SiiauSettings) -> None:
        self._settings = settings
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
            headers={"User-Agent": "horario-bot/0.1 (+student-owned schedule reader)"},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        return SiiauClient(http, observer)
