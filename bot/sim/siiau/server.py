"""A SIIAU simulator: a real HTTP server on loopback that speaks SIIAU's protocol.

It serves ISO-8859-1 pages in SIIAU's shape, keeps sessions in cookies the way
SIIAU names them, locks an account after five wrong NIPs, and can inject the
faults the real portal shows. It also records what clients did, so tests can
check manners: peak concurrent sessions, logins per student, sessions left open.
"""

from __future__ import annotations

import random
import re
import secrets
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html import escape
from html.entities import codepoint2name
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from bot.sim.loopback import address, hung_up, loopback_server
from bot.sim.siiau import grades_pages, offer_pages, pages, portal_pages
from bot.sim.siiau.students import SimCourse, SimStudent, demo_students

LOCK_AFTER_WRONG_NIPS = 5
DIRECT_LOGIN_PATHS = {"/wus/gupprincipal.forma_inicio", "/wus/gupprincipal.forma_inicio_bd"}
PORTAL_ESCOLAR_ROUTES = {
    ("GET", "/wus/gupprincipal.emicore"),
    ("GET", "/wus/gupprincipal.encabezado"),
    ("GET", "/wus/gupprincipal.inicio_portal"),
    ("POST", "/wus/gupprincipal.sistemas"),
}
ONE_SHOT_KINDS = {"500", "reset", "hang", "slow", "maintenance", "expired", "survey", "error_page"}


@dataclass
class Faults:
    """Switches a test can flip while the simulator runs."""

    latency: float = 0.0
    # Share of each student's requests answered 503 or reset, at random. The draws come from
    # one seeded stream per student, so the same seed gives every student the same faults
    # however concurrent runs interleave; requests no student can be told from never fail.
    failure_rate: float = 0.0
    maintenance: bool = False
    captcha_enforced: bool = False
    layout_changed: bool = False
    survey_codes: set[str] = field(default_factory=set)
    session_open_codes: set[str] = field(default_factory=set)
    # Variants the public evidence shows (PROTOCOL.md), each switchable:
    # Which login paths answer: "direct" (gupprincipal.forma_inicio…) and "portal" (the central
    # JSF Portal at /Portal/login.xhtml). The other one answers 404.
    login_paths: set[str] = field(default_factory=lambda: {"direct"})
    # "answer": the Portal answers the credentials with a page nobody knows (after counting the
    # login); "dashboard": it accepts them but the dashboard lacks its jump into Escolar.
    portal_breaks_at: str = ""
    student_block: str = "td"  # "th": labels in a row of <th> over a row of values
    career_options: str = "code"  # "code-cycle" (INNI-202210) or "code-name" (INCO - NOMBRE)
    # No schedule page: sgpregi.horario and sfpcoal.horario answer 404, and the schedule is
    # only in REGISTRO → "Lista" plus the student's offer (sgpofer.secciones → consulta_oferta).
    no_schedule_page: bool = False
    offer_missing: set[str] = field(default_factory=set)  # NRCs the student's offer leaves out
    # Bad input (issue 9): every request answered 200 by a page of neither path (a captive
    # portal, say); the direct login's step 3 answering the login form again with no alert;
    # the Portal's entry into Escolar a frameset with no frames.
    foreign_pages: bool = False
    login_form_back: bool = False
    empty_frameset: bool = False
    # The Portal serves UTF-8 (Escolar ISO-8859-1); student names may be written as HTML entities:
    # "raw" (NUÑEZ as bytes), "named" (NU&Ntilde;EZ) or "numeric" (NU&#209;EZ).
    portal_charset: str = "utf-8"
    names_as: str = "raw"
    # Issue 19: the schedule URL answers only once the session has read the ALUMNOS menu (a
    # browser walks it first); before that it answers "INGRESO NO VALIDO", on either path.
    menu_walk_required: bool = False
    # How it refuses: "skipped_step", "expired" (SESION INVALIDA), "expired_logout" (the same,
    # and the session is over), "error_page" (ORA- with 200),
    # "login_form" (the login page with 200), "frameset" (the menu frames again), "redirect"
    # (302 to the login form) or "forbidden" (HTTP 403).
    menu_walk_answer: str = "skipped_step"
    # "actions": a one-career menu whose links read "Oferta" and "Horario", the career's code
    # only in their `majrp=` (its name nowhere but the schedule page's student block).
    career_links: str = "name"
    hang_seconds: float = 30.0
    # A "slow" request is served `slow_seconds` after the client stopped waiting and hung up:
    # SIIAU acting on a request whose answer nobody reads, whatever the client's timeout.
    slow_seconds: float = 1.0


@dataclass
class _Session:
    sid: str
    student: SimStudent
    client_port: int  # of the connection that logged in, so a test can tell whose session it is
    requests: int = 0
    walked: bool = False  # read the ALUMNOS menu


@dataclass
class _OneShot:
    kind: str
    path_contains: str | None


class SiiauSimulator:
    def __init__(
        self,
        students: list[SimStudent] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self.faults = Faults()
        self._students = {
            s.code: s for s in (students if students is not None else demo_students())
        }
        self._lock = threading.Lock()
        self._seed = seed if seed is not None else random.randrange(2**32)
        self._fault_streams: dict[str, random.Random] = {}
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._released.set()
        self._held = 0
        self._hold_only: str | None = None
        self.cookies_issued: list[str] = []  # every cookie value handed out, for redaction tests
        self._sessions: dict[str, _Session] = {}
        self._portal_views: set[str] = set()
        self._portal_users: dict[str, SimStudent] = {}  # JSESSIONID → who logged in to the Portal
        self._tickets: dict[str, SimStudent] = {}  # Portal → Escolar hand-over
        self._tokens: set[str] = set()
        self._one_shots: deque[_OneShot] = deque()
        self.grades = grades_pages.GradesBoard()  # grades posted, and the grade pages' switches
        self._server = loopback_server(host, port, self._serve)
        self._thread: threading.Thread | None = None
        self.reset_stats()

    # ---- lifecycle -------------------------------------------------------
    @property
    def url(self) -> str:
        return address(self._server)

    def start(self) -> SiiauSimulator:
        # stop() waits until serve_forever next looks at its flag, at most one poll interval:
        # the default half second was paid by every test that used the simulator.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="siiau-sim",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SiiauSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- control ---------------------------------------------------------
    def add_student(self, student: SimStudent) -> None:
        with self._lock:
            self._students[student.code] = student

    def student(self, code: str) -> SimStudent:
        return self._students[code]

    def students(self) -> list[SimStudent]:
        with self._lock:
            return list(self._students.values())

    def inject(self, kind: str, times: int = 1, path_contains: str | None = None) -> None:
        """Answer the next `times` matching requests with fault `kind`."""
        if kind not in ONE_SHOT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {sorted(ONE_SHOT_KINDS)}")
        with self._lock:
            self._one_shots.extend(_OneShot(kind, path_contains) for _ in range(times))

    def hold(self, path_contains: str | None = None) -> None:
        """Every request that arrives from now on (or only those whose path contains
        `path_contains`) waits, unanswered, until `release()`."""
        self._hold_only = path_contains
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def held(self) -> int:
        """Requests waiting on `hold()` right now."""
        with self._lock:
            return self._held

    def unlock(self, code: str) -> None:
        with self._lock:
            self.wrong_nips[code] = 0

    def reset_stats(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.logins: Counter[str] = Counter()
            self.logins_by_path: Counter[str] = Counter()  # "portal" or "direct"
            self.wrong_nips: Counter[str] = Counter()
            self.logouts = 0
            self.requests = 0
            self.requests_by_path: Counter[str] = Counter()
            self.in_flight = 0
            self.peak_in_flight = 0
            self.peak_sessions = 0
            self.overlapping_logins = 0
            self.faults_served: Counter[str] = Counter()

    def open_sessions(self) -> list[str]:
        """Student codes with a session nobody logged out of."""
        with self._lock:
            return sorted(s.student.code for s in self._sessions.values())

    def open_session_ports(self) -> dict[str, int]:
        """Student code → client port of the login that opened each session still open."""
        with self._lock:
            return {s.student.code: s.client_port for s in self._sessions.values()}

    def is_locked(self, code: str) -> bool:
        return self.wrong_nips[code] >= LOCK_AFTER_WRONG_NIPS

    # ---- request handling ------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            self._dispatch(request, method)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _dispatch(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        if not url.path.startswith(
            "/Portal/"
        ):  # SIIAU's PL/SQL gateway ignores the case of its paths
            url = url._replace(path=url.path.lower())
        with self._lock:
            self.requests_by_path[url.path] += 1
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode("latin-1") if length else ""
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        cookies = SimpleCookie(request.headers.get("Cookie", ""))

        if not self._released.is_set() and (self._hold_only is None or self._hold_only in url.path):
            with self._lock:
                self._held += 1
            while not (self._released.wait(0.1) or self._stopping.is_set()):
                pass
            with self._lock:
                self._held -= 1
        if self.faults.latency:
            self._stopping.wait(self.faults.latency)
        fault = self._take_fault(url.path, self._student_code(form, cookies))
        if fault == "reset":
            self._reset(request)
            return
        if fault == "hang":
            self._stopping.wait(self.faults.hang_seconds)
            self._reset(request)
            return
        if fault == "slow":
            self._wait_for_hangup(request, limit=60)
            self._stopping.wait(self.faults.slow_seconds)
        if fault == "500":
            self._send(request, pages.maintenance(), status=503)
            return
        if fault == "maintenance" or self.faults.maintenance:
            self._send(request, pages.maintenance())
            return
        if fault == "error_page":
            self._send(request, pages.oracle_error())
            return
        if self.faults.foreign_pages:
            self._send(request, pages.foreign_page())
            return

        set_cookies: list[str] = []
        if "cookiesession1" not in cookies:
            set_cookies.append(f"cookiesession1={secrets.token_hex(8)}; Path=/; HttpOnly")
        route = (method, url.path)
        direct = "direct" in self.faults.login_paths
        if (
            url.path.startswith("/Portal/")
            or (method, url.path) in PORTAL_ESCOLAR_ROUTES
            or "p_ticket_c" in form
        ):
            self._portal(request, method, url.path, form, query, cookies, set_cookies)
        elif not direct and url.path in DIRECT_LOGIN_PATHS:
            self._send(request, "<HTML><BODY>Not Found</BODY></HTML>", status=404)
        elif route == ("GET", "/wus/gupprincipal.forma_inicio"):
            token = secrets.token_hex(6)
            with self._lock:
                self._tokens.add(token)
            self._send(request, pages.login_form(token), set_cookies)
        elif route == ("POST", "/wus/gupprincipal.forma_inicio_bd"):
            self._login_step_two(request, form, set_cookies)
        elif route == ("POST", "/wus/gupprincipal.valida_inicio"):
            self._login_step_three(request, form, set_cookies)
        elif route == ("GET", "/wus/gupprincipal.salir"):
            self._logout(cookies)
            expire = [
                f"{self._cookie_prefix()}{n}=; Path=/; Max-Age=0"
                for n in ("SIIAUSESION", "SIIAUUDG")
            ]
            self._send(request, pages.logged_out(), expire)
        elif url.path.startswith("/wal/"):
            self._student_page(request, method, url.path, form, query, cookies, fault)
        else:
            self._send(request, "<HTML><BODY>Not Found</BODY></HTML>", status=404)

    def _login_step_two(
        self, request: BaseHTTPRequestHandler, form: dict[str, str], set_cookies: list[str]
    ) -> None:
        with self._lock:
            known_token = form.get("p_token_c") in self._tokens
            self._tokens.discard(form.get("p_token_c", ""))
        if not known_token:
            self._send(request, pages.skipped_step(), set_cookies)
        elif form.get("p_codigo_c") in self.faults.session_open_codes:
            self._send(request, pages.session_already_open(), set_cookies)
        else:
            self._send(request, pages.login_continue(), set_cookies)

    def _login_step_three(
        self, request: BaseHTTPRequestHandler, form: dict[str, str], set_cookies: list[str]
    ) -> None:
        code, nip = form.get("p_codigo_c", ""), form.get("p_clave_c", "")
        if self.faults.captcha_enforced:
            self._send(request, pages.captcha_required(secrets.token_hex(6)), set_cookies)
            return
        if self.faults.login_form_back:
            with self._lock:
                self.logins[code] += 1
                self.logins_by_path["direct"] += 1
            self._send(request, pages.login_form(secrets.token_hex(6)), set_cookies)
            return
        with self._lock:
            self.logins[code] += 1
            self.logins_by_path["direct"] += 1
            student = self._students.get(code)
            if self.is_locked(code):
                page = pages.locked()
            elif student is None or student.nip != nip:
                self.wrong_nips[code] += 1
                page = pages.locked() if self.is_locked(code) else pages.invalid_credentials()
            else:
                page = pages.main_page(student.pidm)
                set_cookies += self._open_session(student, request.client_address[1])
        self._send(request, page, set_cookies)

    def _open_session(self, student: SimStudent, client_port: int) -> list[str]:
        """A new Escolar session (replacing the student's open one); its cookies. Lock held."""
        for sid, existing in list(self._sessions.items()):
            if existing.student.code == student.code:
                self.overlapping_logins += 1
                del self._sessions[sid]
        sid = secrets.token_hex(12)
        self._sessions[sid] = _Session(sid, student, client_port)
        self.peak_sessions = max(self.peak_sessions, len(self._sessions))
        prefix = self._cookie_prefix()
        return [f"{prefix}SIIAUSESION={sid}; Path=/", f"{prefix}SIIAUUDG={student.pidm}; Path=/"]

    def _portal(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        form: dict[str, str],
        query: dict[str, str],
        cookies: SimpleCookie,
        set_cookies: list[str],
    ) -> None:
        """The Portal login, its jump into Escolar, and Escolar's side of the hand-over."""
        if "portal" not in self.faults.login_paths:
            self._send(request, "<html><body>Not Found</body></html>", status=404)
            return
        jsid = cookies["JSESSIONID"].value if "JSESSIONID" in cookies else None
        if jsid is None and path.startswith("/Portal/"):
            jsid = secrets.token_hex(10)
            set_cookies.append(f"JSESSIONID={jsid}; Path=/Portal; HttpOnly")
        view = secrets.token_hex(8)
        with self._lock:
            self._portal_views.add(view)
            known_view = form.get("javax.faces.ViewState") in self._portal_views
            user = self._portal_users.get(jsid or "")
        if (method, path) == ("GET", "/Portal/login.xhtml"):
            self._send(request, portal_pages.login(view), set_cookies)
        elif (method, path) == ("POST", "/Portal/login.xhtml") and known_view:
            self._portal_login(request, form, jsid or "", view, set_cookies)
        elif (method, path) == ("GET", "/Portal/dashboard.xhtml") and user is not None:
            page = portal_pages.dashboard(view, user.name)
            if self.faults.portal_breaks_at == "dashboard":
                page = page.replace("sistemasForm", "appsForm")
            self._send(request, page, set_cookies)
        elif (
            (method, path) == ("POST", "/Portal/dashboard.xhtml")
            and user is not None
            and known_view
            and form.get("sistema") == "ESCOLAR"
        ):
            ticket = secrets.token_hex(8)
            with self._lock:
                self._tickets[ticket] = user
            self._redirect(request, f"/wus/gupprincipal.emicore?p_ticket_c={ticket}", set_cookies)
        elif (method, path) == ("GET", "/wus/gupprincipal.emicore") and query.get(
            "p_ticket_c"
        ) in self._tickets:
            entry = portal_pages.escolar_entry(query["p_ticket_c"])
            if self.faults.empty_frameset:
                entry = re.sub(r"<FRAME\b[^>]*>\n?", "", entry)
            self._send(request, entry, set_cookies)
        elif (method, path) == ("GET", "/wus/gupprincipal.encabezado"):
            self._send(request, portal_pages.top_frame(), set_cookies)
        elif (method, path) == ("GET", "/wus/gupprincipal.inicio_portal") and query.get(
            "p_ticket_c"
        ) in self._tickets:
            self._send(request, portal_pages.main_frame(query["p_ticket_c"]), set_cookies)
        elif (method, path) == ("POST", "/wus/gupprincipal.valida_inicio"):
            with self._lock:
                student = self._tickets.pop(form.get("p_ticket_c", ""), None)
                if student is not None:
                    set_cookies += self._open_session(student, request.client_address[1])
            page = portal_pages.main_page(student.pidm) if student else pages.skipped_step()
            self._send(request, page, set_cookies)
        elif (method, path) == ("POST", "/wus/gupprincipal.sistemas") and self._session(
            cookies
        ) is not None:
            self._send(request, portal_pages.systems(form.get("p_pidm_n", "")), set_cookies)
        else:
            self._send(request, pages.session_expired(), set_cookies)

    def _portal_login(
        self,
        request: BaseHTTPRequestHandler,
        form: dict[str, str],
        jsid: str,
        view: str,
        set_cookies: list[str],
    ) -> None:
        code, nip = form.get("loginForm:codigo", ""), form.get("loginForm:password", "")
        with self._lock:
            self.logins[code] += 1
            self.logins_by_path["portal"] += 1
            student = self._students.get(code)
            if self.is_locked(code):
                page: str | None = pages.locked()
            elif student is None or student.nip != nip:
                self.wrong_nips[code] += 1
                page = (
                    pages.locked()
                    if self.is_locked(code)
                    else portal_pages.login(view, portal_pages.MESSAGE_WRONG)
                )
            else:
                self._portal_users[jsid] = student
                page = None
        if self.faults.portal_breaks_at == "answer":
            page = "<html><body><h1>Error inesperado</h1></body></html>"
        if page is None:
            self._redirect(request, "/Portal/dashboard.xhtml", set_cookies)
        else:
            self._send(request, page, set_cookies)

    def _record_cookies(self, set_cookies: list[str]) -> None:
        with self._lock:
            self.cookies_issued.extend(
                c.split(";", 1)[0].split("=", 1)[1] for c in set_cookies if "=" in c
            )

    def _redirect(
        self, request: BaseHTTPRequestHandler, location: str, set_cookies: list[str]
    ) -> None:
        self._record_cookies(set_cookies)
        try:
            request.send_response(302)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            for cookie in set_cookies:
                request.send_header("Set-Cookie", cookie)
            request.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _logout(self, cookies: SimpleCookie) -> None:
        session = self._session(cookies)
        with self._lock:
            self.logouts += 1
            if session is not None:
                self._sessions.pop(session.sid, None)

    def _student_page(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        form: dict[str, str],
        query: dict[str, str],
        cookies: SimpleCookie,
        fault: str | None,
    ) -> None:
        session = self._session(cookies)
        if session is None or fault == "expired":
            if session is not None:
                with self._lock:
                    self._sessions.pop(session.sid, None)
            self._send(request, pages.session_expired())
            return
        student = session.student
        if fault == "survey" or student.code in self.faults.survey_codes:
            self._send(request, pages.survey())
            return
        if (method, path) == ("POST", "/wal/gupmenug.menu") and form.get(
            "p_pidm_n"
        ) == student.pidm:
            session.walked = True
            self._send(request, self._with_grade_links(self._menu(student), student))
            return
        if (method, path) == ("GET", "/wal/gupmenug.menu_sistema") and query.get(
            "p_pidm_n"
        ) == student.pidm:
            self._send(request, portal_pages.menu_systems(student.pidm))
            return
        if (method, path) == ("GET", "/wal/gupmenug.menu") and query.get(
            "p_pidm_n"
        ) == student.pidm:
            alumnos = query.get("p_sistema_c") == "ALUMNOS"
            session.walked = session.walked or alumnos
            self._send(
                request,
                self._with_grade_links(self._menu(student), student)
                if alumnos
                else "<HTML><BODY>SEMS</BODY></HTML>",
            )
            return
        if method == "GET" and path in grades_pages.PATHS:
            only = student.careers[0] if len(student.careers) == 1 else None
            career = student.career(query.get("majrp", "")) or only
            if path == grades_pages.ACADEMICA:
                career = career or student.careers[0]  # a menu page: no career needed
            if query.get("pidmp", student.pidm) != student.pidm or career is None:
                self._send(request, pages.session_expired())
            else:
                self._send(request, self.grades.page(path, student, career))
            return
        if self.faults.no_schedule_page and self._registration(
            request, method, path, form, query, student
        ):
            return
        if self.faults.no_schedule_page and path in (
            "/wal/sgpregi.horario",
            "/wal/sfpcoal.horario",
        ):
            self._send(request, "<HTML><BODY>Not Found</BODY></HTML>", status=404)
            return
        if (
            self.faults.menu_walk_required
            and not session.walked
            and path in ("/wal/sgpregi.horario", "/wal/sfpcoal.horario")
        ):
            with self._lock:
                self.faults_served["menu_walk_required"] += 1
                if self.faults.menu_walk_answer == "expired_logout":
                    self._sessions.pop(session.sid, None)  # as SIIAU's redirect to salir does
            self._refuse_unwalked(request)
            return
        if (method, path) == ("GET", "/wal/sgpregi.horario"):
            pidm, career_code, cycle = (
                query.get("pidmp"),
                query.get("majrp", ""),
                pages.CURRENT_CYCLE,
            )
        elif (method, path) == ("POST", "/wal/sfpcoal.horario"):
            pidm, career_code, cycle = (
                form.get("pidmP"),
                form.get("majrP", ""),
                form.get("cicloP", ""),
            )
        else:
            self._send(request, "<HTML><BODY>Not Found</BODY></HTML>", status=404)
            return
        career = student.career(career_code)
        if pidm != student.pidm or career is None:
            # SIIAU shows another student's data to nobody: an unknown pidm is a dead session.
            self._send(request, pages.session_expired())
            return
        courses = (
            career.courses if cycle == pages.CURRENT_CYCLE else career.other_cycles.get(cycle, [])
        )
        html = pages.schedule(
            student,
            career,
            cycle,
            courses,
            changed_layout=self.faults.layout_changed,
            student_block=self.faults.student_block,
        )
        self._send(request, html)

    def _refuse_unwalked(self, request: BaseHTTPRequestHandler) -> None:
        answer = self.faults.menu_walk_answer
        if answer == "redirect":
            self._redirect(request, "/wus/gupprincipal.forma_inicio", [])
        elif answer == "forbidden":
            self._send(request, "<HTML><BODY><H1>Forbidden</H1></BODY></HTML>", status=403)
        else:
            pages_by_answer: dict[str, Callable[[], str]] = {
                "expired": pages.session_expired,
                "expired_logout": pages.session_expired,
                "error_page": pages.oracle_error,
                "login_form": lambda: pages.login_form(secrets.token_hex(8)),
                "frameset": lambda: (
                    '<HTML><FRAMESET COLS="20%,*"><FRAME NAME="Menu" SRC="gupmenug.menu_sistema">'
                    '<FRAME NAME="Contenido" SRC="gupmenug.bienvenida"></FRAMESET></HTML>'
                ),
            }
            html = pages_by_answer.get(answer, pages.skipped_step)()
            self._send(request, html)

    def _menu(self, student: SimStudent) -> str:
        return pages.menu(
            student,
            options=self.faults.career_options,
            registro=self.faults.no_schedule_page,
            links=self.faults.career_links,
        )

    def _registration(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        form: dict[str, str],
        query: dict[str, str],
        student: SimStudent,
    ) -> bool:
        """REGISTRO, its "Lista" and the student's offer; False for any other page."""
        if (method, path) == ("GET", f"/wal/{pages.REGISTRO}") and query.get(
            "pidmp"
        ) == student.pidm:
            self._send(request, pages.registro_menu(student))
        elif (method, path) == ("GET", f"/wal/{pages.REGISTRATION_LIST}") and query.get(
            "pidmp"
        ) == student.pidm:
            career = student.career(query.get("majrp", ""))
            if career is None:
                self._send(request, pages.session_expired())
            else:
                self._send(
                    request,
                    pages.registration_list(student, career, pages.CURRENT_CYCLE, career.courses),
                )
        elif (method, path) == ("GET", "/wal/sgpofer.secciones") and query.get(
            "pidmp"
        ) == student.pidm:
            cycles = [
                (code, f"Calendario {code[2:4]} {label[-1]}")
                for code, label in pages.CYCLE_LABELS.items()
            ]
            self._send(
                request, offer_pages.offer_form(cycles, [("D", "C.U. DE CS. EXACTAS E ING.")])
            )
        elif (method, path) == ("POST", "/wal/sspseca.consulta_oferta"):
            sections = self._student_offer(
                form.get("ciclop", ""), form.get("majrp", ""), form.get("crsep", "")
            )
            html = offer_pages.offer_results(
                form.get("ciclop", ""),
                "CENTRO UNIVERSITARIO DE CIENCIAS EXACTAS E INGENIERIAS",
                sections,
                total=len(sections),
                end_of_report=True,
            )
            self._send(request, html)
        else:
            return False
        return True

    def _student_offer(
        self, cycle: str, career: str, clave: str
    ) -> list[offer_pages.SimOfferSection]:
        """Every simulated student's sections of `clave` in `cycle` (of `career`, when given)."""
        found: dict[str, offer_pages.SimOfferSection] = {}
        for student in self.students():
            for sim_career in student.careers:
                if career and sim_career.code != career:
                    continue
                courses = (
                    sim_career.courses
                    if cycle == pages.CURRENT_CYCLE
                    else sim_career.other_cycles.get(cycle, [])
                )
                for course in courses:
                    if (
                        course.key.upper() == clave.upper()
                        and course.nrc not in self.faults.offer_missing
                    ):
                        found[course.nrc] = _offered(course)
        return list(found.values())

    # ---- helpers -----------------------------------------------------------
    def _with_grade_links(self, menu: str, student: SimStudent) -> str:
        """The ALUMNOS menu with its Kárdex, Promedio and (unless switched off) Boleta links."""
        links = self.grades.menu_links(student)
        bare = '<LI><A HREF="sgphist.kardex" TARGET="Contenido">Kardex</A></LI>\n'
        return (
            menu.replace(bare, links) if bare in menu else menu.replace("</UL>", links + "</UL>", 1)
        )

    def _session(self, cookies: SimpleCookie) -> _Session | None:
        for name, morsel in cookies.items():
            if name.endswith("SIIAUSESION"):
                with self._lock:
                    return self._sessions.get(morsel.value)
        return None

    def _student_code(self, form: dict[str, str], cookies: SimpleCookie) -> str | None:
        """Whose request this is: the code a login step posts, or the session's student."""
        if form.get("p_codigo_c"):
            return form["p_codigo_c"]
        session = self._session(cookies)
        return session.student.code if session is not None else None

    def _take_fault(self, path: str, code: str | None) -> str | None:
        with self._lock:
            for shot in self._one_shots:
                if shot.path_contains is None or shot.path_contains in path:
                    self._one_shots.remove(shot)
                    self.faults_served[shot.kind] += 1
                    return shot.kind
            if not self.faults.failure_rate or code is None:
                return None
            stream = self._fault_streams.setdefault(code, random.Random(f"{self._seed}:{code}"))
            failed, kind = (
                stream.random() < self.faults.failure_rate,
                stream.choice(("500", "reset")),
            )
            if failed:
                self.faults_served[kind] += 1
                return kind
        return None

    def _wait_for_hangup(self, request: BaseHTTPRequestHandler, limit: float) -> None:
        """Until the client closes the connection (its read timed out), `limit` at most."""
        deadline = time.monotonic() + limit
        while not (self._stopping.wait(0.05) or hung_up(request)) and time.monotonic() < deadline:
            pass

    @staticmethod
    def _cookie_prefix() -> str:
        return date.today().strftime("%d%m%Y")

    @staticmethod
    def _reset(request: BaseHTTPRequestHandler) -> None:
        request.close_connection = True
        try:
            request.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            request.connection.close()
        except OSError:
            pass

    def _send(
        self,
        request: BaseHTTPRequestHandler,
        html: str,
        set_cookies: list[str] | None = None,
        status: int = 200,
    ) -> None:
        charset = (
            self.faults.portal_charset
            if urlsplit(request.path).path.startswith("/Portal/")
            else "ISO-8859-1"
        )
        if self.faults.names_as != "raw":
            for student in self.students():
                html = html.replace(
                    escape(student.name, quote=False), entities(student.name, self.faults.names_as)
                )
        payload = html.encode(charset, errors="xmlcharrefreplace")
        self._record_cookies(set_cookies or [])
        try:
            request.send_response(status)
            request.send_header("Content-Type", f"text/html; charset={charset}")
            request.send_header("Content-Length", str(len(payload)))
            for cookie in set_cookies or ():
                request.send_header("Set-Cookie", cookie)
            request.end_headers()
            request.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


def entities(text: str, form: str) -> str:
    """`text` HTML-escaped with every non-ASCII letter as an entity: "named" (&Ntilde;) or
    "numeric" (&#209;), as some pages write names."""
    out = []
    for char in escape(text, quote=False):
        point = ord(char)
        if point < 128:
            out.append(char)
        elif form == "named" and point in codepoint2name:
            out.append(f"&{codepoint2name[point]};")
        else:
            out.append(f"&#{point};")
    return "".join(out)


def _offered(course: SimCourse) -> offer_pages.SimOfferSection:
    """A student's course as the offer lists its section: session numbers, professors by session."""

    def short(day: str) -> str:  # "18-08-2025" → "18/08/25"
        return f"{day[:2]}/{day[3:5]}/{day[8:10]}" if len(day) == 10 else ""

    sessions = tuple(
        offer_pages.SimOfferSession(
            f"{n:02d}",
            s.hours,
            s.days,
            s.building,
            s.room,
            f"{short(s.first_day)} - {short(s.last_day)}" if s.first_day and s.last_day else "",
        )
        for n, s in enumerate(course.sessions, start=1)
        if s.hours or s.days or s.building or s.room
    )
    professors = tuple(
        (f"{n:02d}", s.professor)
        for n, s in enumerate(course.sessions, start=1)
        if s.professor.strip()
    )
    credits = int(course.credits) if course.credits.isdigit() else 0
    return offer_pages.SimOfferSection(
        course.nrc, course.key, course.name, course.section, credits, 40, 5, sessions, professors
    )
