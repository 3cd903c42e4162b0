"""The public course offer (consulta.siiau.udg.mx/wco) on loopback.

A separate server from `SiiauSimulator`, as the real offer is a separate host.
It serves ISO-8859-1 pages in the real layout, records the fields each search
posted, pages by `mostrarp`/`p_start`, and can serve fixed bytes for a path
(the real captured pages) or inject faults.
"""

from __future__ import annotations

import dataclasses
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from bot.sim.loopback import address, loopback_server
from bot.sim.siiau import offer_pages
from bot.sim.siiau.offer_pages import SimOfferSection

PREFIX = "/wco"
FORM_PATH = f"{PREFIX}/sspseca.forma_consulta"
RESULTS_PATH = f"{PREFIX}/sspseca.consulta_oferta"
FAULT_KINDS = {"500", "reset", "maintenance"}
DEFAULT_CYCLES = [
    ("202620", "Calendario 26 B"),
    ("202610", "Calendario 26 A"),
    ("202580", "Ciclo de Verano 2025"),
]
DEFAULT_CENTRES = [
    ("A", "C.U. DE ARTE, ARQ. Y DISEÑO"),
    ("C", "C.U. DE CS. ECONOMICO-ADMVAS."),
    ("D", "C.U. DE CS. EXACTAS E ING."),
]
HEADINGS = {"D": "CENTRO UNIVERSITARIO DE CIENCIAS EXACTAS E INGENIERIAS"}


@dataclass
class OfferPaging:
    """How the simulated server pages; real behaviour above `mostrarp` is unknown."""

    next_page_control: bool = False  # a form with the next `p_start`, as many OWA reports have
    ignore_start: bool = False  # serve the first page whatever `p_start` says


@dataclass
class Search:
    method: str
    fields: list[tuple[str, str]]  # as posted, in order
    at: float = field(default_factory=time.time)  # when it arrived (wall clock, for benches)


@dataclass
class _State:
    offer: dict[tuple[str, str], list[SimOfferSection]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    searches: list[Search] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)
    down: str | None = None  # a fault served on every request until `up()`
    delay: float = 0.0  # seconds each results request takes


class OfferSimulator:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.cycles = list(DEFAULT_CYCLES)
        self.centres = list(DEFAULT_CENTRES)
        self.paging = OfferPaging()
        self._state = _State()
        self._lock = threading.Lock()
        self._server = loopback_server(host, port, self._serve)

    @property
    def url(self) -> str:
        """The offer's base URL, as `SIIAU_OFFER_URL` would hold it."""
        return address(self._server) + PREFIX

    def start(self) -> OfferSimulator:
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="offer-sim",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OfferSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- control ---------------------------------------------------------
    def set_offer(self, cycle: str, centre: str, sections: list[SimOfferSection]) -> None:
        with self._lock:
            self._state.offer[(cycle, centre)] = list(sections)

    def serve_raw(self, path: str, body: bytes) -> None:
        """Answer `path` (e.g. RESULTS_PATH) with these exact bytes, whatever was asked."""
        with self._lock:
            self._state.raw[path] = body

    def set_free(self, nrc: str, free: int) -> None:
        """Seats open or fill: the section's DIS is `free` from the next request on."""
        with self._lock:
            for sections in self._state.offer.values():
                for index, section in enumerate(sections):
                    if section.nrc == nrc:
                        sections[index] = dataclasses.replace(section, free=free)
                        return
        raise KeyError(f"no section with NRC {nrc}")

    def free(self, nrc: str) -> int:
        with self._lock:
            for sections in self._state.offer.values():
                for section in sections:
                    if section.nrc == nrc:
                        return section.free
        raise KeyError(f"no section with NRC {nrc}")

    def set_delay(self, seconds: float) -> None:
        """Every results request takes this long (the real offer is slow at enrolment time)."""
        with self._lock:
            self._state.delay = seconds

    def down(self, kind: str = "500") -> None:
        """Serve this fault on every request until `up()`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {sorted(FAULT_KINDS)}")
        with self._lock:
            self._state.down = kind

    def up(self) -> None:
        with self._lock:
            self._state.down = None

    def search_count(self, clave: str | None = None) -> int:
        """Results requests so far, for one clave or in all."""
        with self._lock:
            return sum(
                1
                for s in self._state.searches
                if clave is None or dict(s.fields).get("crsep") == clave
            )

    def inject(self, kind: str, times: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {sorted(FAULT_KINDS)}")
        with self._lock:
            self._state.faults.extend([kind] * times)

    @property
    def searches(self) -> list[Search]:
        with self._lock:
            return list(self._state.searches)

    # ---- serving ---------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode("latin-1") if length else ""
        # Public tools query with a plain GET as well, so both carry the query.
        pairs = parse_qsl(
            body if method == "POST" else url.query, keep_blank_values=True, encoding="latin-1"
        )
        with self._lock:
            fault = self._state.faults.popleft() if self._state.faults else self._state.down
            raw = self._state.raw.get(url.path)
            delay = self._state.delay if url.path == RESULTS_PATH else 0.0
            if url.path == RESULTS_PATH:
                self._state.searches.append(Search(method, pairs))
        if delay:
            time.sleep(delay)
        if fault == "reset":
            _reset(request)
        elif fault == "500":
            _send(request, offer_pages.maintenance(), status=503)
        elif fault == "maintenance":
            _send(request, offer_pages.maintenance())
        elif raw is not None:
            _send_bytes(request, raw)
        elif url.path == FORM_PATH and method == "GET":
            _send(request, offer_pages.offer_form(self.cycles, self.centres))
        elif url.path == RESULTS_PATH:
            _send(request, self._results(dict(pairs)))
        else:
            _send(request, "<HTML><BODY>Not Found</BODY></HTML>", status=404)

    def _results(self, fields: dict[str, str]) -> str:
        cycle, centre = fields.get("ciclop", ""), fields.get("cup", "")
        clave, title = fields.get("crsep", "").upper(), fields.get("materiap", "").upper()
        with self._lock:
            matching = [
                s
                for s in self._state.offer.get((cycle, centre), [])
                if (not clave or s.key == clave)
                and (not title or title in s.name)
                and (fields.get("dispp") != "D" or s.free > 0)
            ]
            paging = OfferPaging(self.paging.next_page_control, self.paging.ignore_start)
        size = int(fields["mostrarp"]) if fields.get("mostrarp", "").isdigit() else 100
        start = (
            0
            if paging.ignore_start or not fields.get("p_start", "").isdigit()
            else int(fields["p_start"])
        )
        shown = matching[start : start + size]
        last = start + size >= len(matching)
        return offer_pages.offer_results(
            cycle,
            HEADINGS.get(centre, f"CENTRO {centre}"),
            shown,
            total=len(matching),
            end_of_report=last,
            next_start=None if last or not paging.next_page_control else start + size,
        )


def _send(request: BaseHTTPRequestHandler, html: str, status: int = 200) -> None:
    _send_bytes(request, html.encode("latin-1", errors="xmlcharrefreplace"), status)


def _send_bytes(request: BaseHTTPRequestHandler, payload: bytes, status: int = 200) -> None:
    try:
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=ISO-8859-1")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _reset(request: BaseHTTPRequestHandler) -> None:
    request.close_connection = True
    try:
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.connection.close()
    except OSError:
        pass
