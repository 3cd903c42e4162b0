"""`python -m bot diagnose --code CODE [--capture DIR]`: one login, step by step.

For the first real student whose SIIAU answers in a way the bot does not know.
It asks the NIP (never a command-line argument), logs in once, reads the menu
and the schedule, and always logs out. Each step prints the path, the HTTP
status and which of the markers the bot relies on the page had. With
`--capture`, every page is saved after redaction by `bot.siiau.redact` (code, NIP,
pidm, cookie values, input values, ViewState, the student's name and every field
of the student block), so the folder is safe to send to maintainers. Before the NIP is asked, the bot's login guard (its configured
database) is checked: when the code's last login was rejected, or the code is
held, diagnose refuses and points to `python -m bot release-code`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup
from sqlalchemy.engine import make_url

from bot.bootstrap import (
    build_client_factory,
    build_guard_cipher,
    build_login_guard,
    open_store,
)
from bot.cli import student as student_args
from bot.config import Settings, SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau import client as siiau
from bot.siiau import redact
from bot.siiau.errors import SiiauError, SiiauPage

Check = Callable[[BeautifulSoup, str], bool]


@dataclass(frozen=True, slots=True)
class Marker:
    label: str
    found: Check


def _form(name: str = "", action: str = "") -> Check:
    def check(soup: BeautifulSoup, _: str) -> bool:
        return any(
            (not name or str(f.get("name", "")).lower() == name.lower())
            and (not action or str(f.get("action", "")).lower().endswith(action))
            for f in soup.find_all("form")
        )

    return check


def _text(pattern: str) -> Check:
    return lambda _, html: re.search(pattern, html, re.IGNORECASE) is not None


STEPS: dict[tuple[str, str], tuple[str, tuple[Marker, ...]]] = {
    ("GET", siiau.LOGIN_FORM): (
        "login 1/3",
        (Marker("form → gupprincipal.forma_inicio_bd", _form(action="forma_inicio_bd")),),
    ),
    ("POST", siiau.LOGIN_FORM_POST): (
        "login 2/3",
        (Marker("form fInicio → valida_inicio", _form("finicio", "valida_inicio")),),
    ),
    ("POST", siiau.LOGIN_VALIDATE): (
        "login 3/3",
        (
            Marker("form mainPage", _form("mainpage")),
            Marker("input p_pidm_n", _text(r"name=\W?p_pidm_n")),
        ),
    ),
    ("POST", siiau.MENU): (
        "menu",
        (Marker("select p_carrera or a majrp= link", _text(r"p_carrera|majrp=")),),
    ),
    ("GET", siiau.MENU): (
        "menu",
        (Marker("select p_carrera or a majrp= link", _text(r"p_carrera|majrp=")),),
    ),
    ("GET", siiau.SCHEDULE_CURRENT): (
        "horario",
        (
            Marker("DATOS DEL ESTUDIANTE", _text("DATOS DEL ESTUDIANTE")),
            Marker("Horario de cursos del ciclo", _text(r"horario de cursos del ciclo")),
            Marker("columna FECHA INCIO", _text(r"FECHA INCIO")),
        ),
    ),
    ("GET", siiau.OFFER_FORM): (
        "oferta",
        (Marker("form frm_consulta_oferta", _form("frm_consulta_oferta")),),
    ),
    ("POST", "/wal/sspseca.consulta_oferta"): (
        "oferta",
        (Marker("columnas NRC y Clave", _text(r"<th[^>]*>\s*clave")),),
    ),
    ("GET", siiau.LOGOUT): ("logout", ()),
    ("GET", "/portal/login.xhtml"): (
        "portal 1/6",
        (
            Marker("form#loginForm", _text(r'id="loginForm"')),
            Marker("javax.faces.ViewState", _text(r"javax\.faces\.ViewState")),
        ),
    ),
    ("POST", "/portal/login.xhtml"): (
        "portal 2/6",
        (),
    ),  # a 302 to the dashboard: the client checks it
    ("GET", "/portal/dashboard.xhtml"): (
        "portal 3/6",
        (Marker("sistemasForm + mojarra.jsfcljs", _text(r"mojarra\.jsfcljs")),),
    ),
    ("POST", "/portal/dashboard.xhtml"): ("portal 3/6", ()),
    ("GET", "/wus/gupprincipal.emicore"): (
        "portal 4/6",
        (Marker("frame mainFrame", _text(r"mainFrame")),),
    ),
    ("GET", "/wus/gupprincipal.encabezado"): ("portal 4/6", ()),
    ("GET", "/wus/gupprincipal.inicio_portal"): (
        "portal 4/6",
        (Marker("form fInicio", _form("finicio")),),
    ),
    ("POST", "/wus/gupprincipal.valida_inicio"): (
        "portal 5/6",
        (
            Marker("form mainPage", _form("mainpage")),
            Marker("input p_pidm_n", _text(r"name=\W?p_pidm_n")),
        ),
    ),
    ("POST", "/wus/gupprincipal.sistemas"): (
        "portal 6/6",
        (Marker("frame Menu", _text(r"name=\W?Menu")),),
    ),
    ("GET", "/wal/gupmenug.menu_sistema"): (
        "portal 6/6",
        (Marker("ALUMNOS link", _text(r"p_sistema_c=ALUMNOS\b")),),
    ),
}


@dataclass
class Capture:
    """Pages as SIIAU sent them, redacted only when written (`secrets` grows as the run learns),
    by the same redactor as the bot's own captures (`bot.siiau.redact`): each page decoded by
    its declared charset, and what any page reveals (a name, a pidm) masked in all of them."""

    folder: Path | None
    secrets: set[str] = field(default_factory=set)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (step, the page decoded)
    raw: list[SiiauPage] = field(default_factory=list)

    def add(self, step: str, page: SiiauPage) -> None:
        self.raw.append(page)
        self.pages.append((step, redact.decode(page.body, page.content_type)))

    def write(self) -> list[Path]:
        if self.folder is None:
            return []
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        texts = redact.redact_pages(self.raw, self.secrets)
        for index, ((step, _), text) in enumerate(zip(self.pages, texts, strict=True), start=1):
            path = self.folder / f"{index:02d}_{re.sub(r'[^a-z0-9]+', '_', step.lower())}.html"
            path.write_text(text, encoding="utf-8")
            path.chmod(0o600)
            written.append(path)
        return written


async def diagnose(
    settings: SiiauSettings,
    credentials: Credentials,
    capture: Capture,
    out: Callable[[str], None] = print,
) -> int:
    """Returns 0 when every step found its markers, 1 otherwise."""
    capture.secrets.update({credentials.code, credentials.nip})
    missing: list[str] = []

    def observe(exchange: siiau.Exchange) -> None:
        step, markers = STEPS.get((exchange.method, exchange.path.lower()), (exchange.path, ()))
        soup = BeautifulSoup(exchange.html, "lxml")
        found = [m.label for m in markers if m.found(soup, exchange.html)]
        lacking = [m.label for m in markers if m.label not in found]
        missing.extend(f"{step}: {label}" for label in lacking)
        out(
            f"{step:<10} {exchange.method:<4} {exchange.path}  HTTP {exchange.status}"
            f"  ✓ {', '.join(found) or '-'}" + (f"  ✗ {', '.join(lacking)}" if lacking else "")
        )
        page = exchange.page or SiiauPage(
            exchange.method, exchange.path, exchange.status, exchange.html.encode()
        )
        capture.add(step, page)

    client = build_client_factory(settings)(observer=observe)
    failure: SiiauError | None = None
    try:
        await client.login(credentials)
        careers = await client.careers()
        out(f"carreras: {', '.join(c.code for c in careers)}")
        page = await client.schedule_page(careers[0].code)
        schedule = page.schedule()
        capture.secrets.update(w for w in re.split(r"[\s,]+", schedule.student_name) if len(w) >= 2)
        out(f"horario {schedule.term_label}: {len(schedule.courses)} materias leídas")
    except SiiauError as error:
        failure = error
        out(
            f"falló: {type(error).__name__}: {error}"
            + (f" [{error.where}]" if hasattr(error, "where") else "")
        )
    finally:
        capture.secrets.update(client.cookie_values)
        try:
            await client.logout()
        except SiiauError as error:
            out(f"logout falló: {type(error).__name__} (SIIAU cerrará la sesión por inactividad)")
        await client.aclose()
    for path in capture.write():
        out(f"guardado (sin datos personales): {path}")
    return 1 if failure or missing else 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "diagnose", help="one SIIAU login, step by step, with an optional safe capture"
    )
    parser.add_argument("--code", help="student code (the demo student with --simulate)")
    parser.add_argument("--capture", type=Path, help="save every page, redacted, in this folder")
    parser.add_argument(
        "--login", choices=["auto", "portal", "direct"], help="login path (default: SIIAU_LOGIN)"
    )
    parser.add_argument("--simulate", action="store_true", help="use the built-in SIIAU simulator")
    parser.set_defaults(handler=run)


REFUSALS = {
    "rejected": (
        "SIIAU rechazó el último intento de entrar con el código {code}, así que no corro el "
        "diagnóstico: otro NIP equivocado acercaría tu cuenta al bloqueo de SIIAU (unos 5 intentos). "
        "Entra primero a SIIAU desde el navegador con tu NIP correcto; luego quien administra el bot "
        "puede liberar el código con `python -m bot release-code {code}` (o registra tu NIP correcto "
        "con /registrar) y vuelve a correr esto."
    ),
    "held": (
        "El bot dejó de intentar entrar con el código {code} tras varios intentos seguidos que SIIAU "
        "pudo haber rechazado, así que no corro el diagnóstico: uno más podría bloquear tu cuenta. "
        "Revisa tu NIP entrando a SIIAU desde el navegador y pide a quien administra el bot que lo "
        "libere con `python -m bot release-code {code}`."
    ),
}
UNCHECKED = "(No hay base de datos del bot que revisar aquí: no corras esto si SIIAU acaba de rechazar tu NIP.)"


async def guard_refusal(settings: Settings, code: str) -> str | None:
    """The refusal to print when the bot's login guard (its configured database) says the
    code's last login was rejected or the code is held; None when diagnose may log in."""
    if _no_database(settings.store.database_url):
        print(UNCHECKED, file=sys.stderr)
        return None
    cipher = build_guard_cipher(settings)
    if cipher is None:
        print(UNCHECKED, file=sys.stderr)
        return None
    store = await open_store(settings, cipher)
    try:
        reason = await build_login_guard(settings, store, cipher).manual_login_refusal(code)
    finally:
        await store.engine.dispose()
    return REFUSALS[reason].format(code=code) if reason else None


def _no_database(url: str) -> bool:
    """An SQLite file that does not exist: this machine runs no bot, so there is nothing to ask."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and not (
        parsed.database and Path(parsed.database).exists()
    )


def run(args: argparse.Namespace) -> int:
    if args.code and not args.simulate:  # before the NIP is asked: no NIP for a code on hold
        refusal = asyncio.run(guard_refusal(Settings(), args.code))
        if refusal is not None:
            print(refusal, file=sys.stderr)
            return 3
    with ExitStack() as stack:
        student = student_args.credentials(args, stack)
        if student is None:
            return 2
        settings = Settings().siiau
        if args.login:
            settings = settings.model_copy(update={"login": args.login})
        return asyncio.run(diagnose(settings, student, Capture(args.capture)))
