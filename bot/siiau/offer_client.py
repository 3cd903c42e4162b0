"""The public course offer over HTTP: no login, no session, no credentials.

`OfferClient` asks what a browser on the real form would ask, field for field,
and pages through when a query has more sections than one page shows.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode

import httpx

from bot.siiau import pages, trail
from bot.siiau.errors import LayoutChanged, SiiauPage, SiiauUnavailable
from bot.siiau.offer import OfferForm, OfferSection, parse_offer_form, parse_offer_results

FORM_PATH = "sspseca.forma_consulta"
RESULTS_PATH = "sspseca.consulta_oferta"
DEFAULT_PAGE_SIZE = 500  # the largest `mostrarp` the form offers: fewest requests
DEFAULT_MAX_PAGES = 20
DEFAULT_USER_AGENT = "horario-bot/0.1 (+public course offer reader)"
# [inferred] The offset field of a next page: a 2025 public client of this form
# posts it. No real page with more results than `mostrarp` is public.
START_FIELD = "p_start"


@dataclass(frozen=True, slots=True)
class OfferResult:
    cycle: str
    centre: str
    sections: tuple[OfferSection, ...]  # empty when nothing matched: a valid answer
    pages: int  # result pages fetched


class OfferClient:
    """One client per process is fine: the offer keeps no state between requests."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
        verify: ssl.SSLContext | bool = True,
        user_agent: str = DEFAULT_USER_AGENT,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            verify=verify,
            headers={"User-Agent": user_agent},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        self._max_pages = max_pages

    async def form(self) -> OfferForm:
        with trail.attaching():  # a page it cannot read travels on the error, redacted
            return parse_offer_form(await self._request("GET", FORM_PATH))

    async def search(
        self,
        cycle: str,
        centre: str,
        clave: str | None = None,
        *,
        career: str | None = None,
        title: str | None = None,
        only_available: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> OfferResult:
        """Every section matching the query, across as many pages as it takes."""
        if not cycle or not centre or page_size < 1:
            raise ValueError("a search needs a cycle, a centre and a positive page size")
        fields = search_fields(
            cycle,
            centre,
            clave,
            career=career,
            title=title,
            only_available=only_available,
            page_size=page_size,
        )
        with trail.attaching():
            sections, pages_read = await collect_sections(
                lambda data: self._request("POST", RESULTS_PATH, data),
                fields,
                page_size,
                self._max_pages,
            )
        return OfferResult(cycle, centre, sections, pages_read)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> OfferClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _request(
        self, method: str, path: str, data: list[tuple[str, str]] | None = None
    ) -> str:
        url = f"{self._base}/{path}"
        content, headers = None, {}
        if data is not None:
            # Encoded as a browser on this ISO-8859-1 page would: a "Ñ" is %D1, not UTF-8.
            content = urlencode(data, encoding=pages.ENCODING, errors="xmlcharrefreplace")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            # A redirected POST would come back as a GET without the query, so only
            # the form page may follow redirects.
            response = await self._http.request(
                method, url, content=content, headers=headers, follow_redirects=method == "GET"
            )
        except httpx.TimeoutException as exc:
            raise SiiauUnavailable(f"the course offer timed out on {path}") from exc
        except httpx.TransportError as exc:
            raise SiiauUnavailable(
                f"the course offer failed on {path}: {type(exc).__name__}"
            ) from exc
        status = response.status_code
        trail.saw(
            SiiauPage(
                method,
                f"/{path}",
                status,
                response.content,
                response.headers.get("content-type", ""),
            )
        )
        if status >= 500 or status == 429:
            raise SiiauUnavailable(f"the course offer answered HTTP {status} on {path}")
        if status >= 300:
            raise LayoutChanged(f"the course offer answered HTTP {status} on {path}")
        return pages.decode(response.content)


PageFetch = Callable[[list[tuple[str, str]]], Awaitable[str]]


async def collect_sections(
    fetch: PageFetch,
    fields: list[tuple[str, str]],
    page_size: int,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> tuple[tuple[OfferSection, ...], int]:
    """Every section a query matches, across pages: `fetch` posts the fields (plus the
    offset of a next page) and returns the results page. Also used by the logged-in
    client (`bot.siiau.registro`), which asks the same query inside a student's session."""
    sections: dict[str, OfferSection] = {}
    start = 0
    for page_number in range(1, max_pages + 1):
        data = fields + [(START_FIELD, str(start))] if start else fields
        page = parse_offer_results(await fetch(data))
        if page.sections and all(s.nrc in sections for s in page.sections):
            # SIIAU ignored the offset: going on would loop, stopping would lose data.
            raise LayoutChanged(f"offer page {page_number} repeats the previous sections")
        for section in page.sections:
            sections[section.nrc] = section  # a repeated NRC: the later copy is fresher
        if not page.more_after(len(sections), page_size):
            return tuple(sections.values()), page_number
        next_start = page.next_start if page.next_start is not None else start + len(page.sections)
        if next_start <= start:
            raise LayoutChanged(f"offer page {page_number} points back to offset {next_start}")
        start = next_start
    raise LayoutChanged(f"offer still had more sections after {max_pages} pages")


def search_fields(
    cycle: str,
    centre: str,
    clave: str | None = None,
    *,
    career: str | None = None,
    title: str | None = None,
    only_available: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[tuple[str, str]]:
    """The pairs a browser posts from the real form, in its order: text fields
    always (upper-cased, as the form's onBlur does), checkboxes only when ticked.
    The day checkboxes (lup … sap) stay unticked: we filter by course, not day."""

    def typed(value: str | None) -> str:
        return (value or "").strip().upper()

    return [
        ("ciclop", cycle),
        ("cup", centre),
        ("majrp", typed(career)),
        ("majrdescp", ""),
        ("crsep", typed(clave)),
        ("materiap", typed(title)),
        ("horaip", ""),
        ("horafp", ""),
        ("edifp", ""),
        ("aulap", ""),
        *([("dispp", "D")] if only_available else []),
        ("ordenp", "0"),  # by course name, the form's default
        ("mostrarp", str(page_size)),
    ]
