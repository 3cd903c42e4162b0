"""One redactor (`bot.siiau.redact`) for diagnose captures, production captures and operator
fragments: every page kind the simulator serves, both login paths, names with Ñ and accents
written raw and as entities, Portal pages in UTF-8 and Escolar's in ISO-8859-1.

The checks do not use the redactor's own idea of a value's forms: each output is also
HTML-unescaped and stripped of accents before searching it for the student's data."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bot.cli.diagnose import Capture, diagnose
from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau import pages as siiau_pages
from bot.siiau import redact
from bot.siiau.errors import SiiauPage
from bot.sim.siiau import SiiauSimulator, offer_pages, pages, portal_pages
from bot.sim.siiau.server import _offered, entities
from bot.sim.siiau.students import SimCareer, SimCourse, SimSession, SimStudent, demo_students

PARTICLES = {"DE", "DEL", "LA", "LAS", "LOS", "Y"}
SOFIA = SimStudent(
    "219555111",
    "sofi2026",
    "7654321",
    "IBARRA NUÑEZ, SOFÍA",
    [
        SimCareer(
            "INCO",
            "INGENIERIA EN COMPUTACION",
            courses=[
                SimCourse(
                    "199001",
                    "I7040",
                    "BASES DE DATOS",
                    "D01",
                    "8",
                    (SimSession("0700-0855", "LI", "DEDX", "A105", "VILLASEÑOR MUÑOZ, ANA"),),
                ),
            ],
        )
    ],
)
STUDENTS = [*demo_students(), SOFIA]


def plain(text: str) -> str:
    """Upper case, entities decoded, accents stripped: the form no variant can hide from."""
    decoded = html.unescape(text)
    return "".join(
        c for c in unicodedata.normalize("NFKD", decoded) if not unicodedata.combining(c)
    ).upper()


def name_words(student: SimStudent) -> set[str]:
    return {
        w for w in re.split(r"[\s,]+", student.name) if len(w) >= 3 and w.upper() not in PARTICLES
    }


def personal(student: SimStudent) -> set[str]:
    return {student.code, student.nip, student.pidm, *name_words(student)}


def assert_redacted(
    output: str, student: SimStudent, extra: AbstractSet[str] = frozenset(), kind: str = ""
) -> None:
    flat = plain(output)
    for value in personal(student) | extra:
        assert plain(value) not in flat, f"{value!r} survived {kind}".rstrip()
        mojibake = value.encode("utf-8").decode("cp1252", errors="replace")
        assert mojibake.upper() not in output.upper(), (
            f"{mojibake!r} (UTF-8 read as Latin-1) survived"
        )
    for field in BeautifulSoup(output, "lxml").find_all("input"):
        kind = str(field.get("type", "text")).lower()
        if kind not in {"submit", "button", "reset", "image", "checkbox", "radio"} and field.get(
            "value"
        ):
            assert field["value"] in (redact.MASK, "…"), (
                f"input {field.get('name')} kept its value"
            )  # "…": fragments


def escolar(body: str, names_as: str, student: SimStudent) -> SiiauPage:
    if names_as != "raw":
        body = body.replace(
            html.escape(student.name, quote=False), entities(student.name, names_as)
        )
    return SiiauPage(
        "GET",
        "/wal/x",
        200,
        body.encode("latin-1", errors="xmlcharrefreplace"),
        "text/html; charset=ISO-8859-1",
    )


def portal(body: str, names_as: str, student: SimStudent) -> SiiauPage:
    if names_as != "raw":
        body = body.replace(
            html.escape(student.name, quote=False), entities(student.name, names_as)
        )
    return SiiauPage("GET", "/Portal/x", 200, body.encode("utf-8"), "text/html;charset=UTF-8")


def echoed_login_form(student: SimStudent) -> str:
    """The login form back with what was typed in it (a browser-like echo)."""
    return (
        pages.login_form("a1b2c3d4e5f6")
        .replace('NAME="p_codigo_c"', f'NAME="p_codigo_c" VALUE="{student.code}"')
        .replace('NAME="p_clave_c"', f'NAME="p_clave_c" VALUE="{student.nip}"')
    )


def page_kinds(
    student: SimStudent,
) -> dict[str, tuple[Callable[[str, str, SimStudent], SiiauPage], str]]:
    """Every page the simulator serves, for this student."""
    career = student.careers[0]
    courses = career.courses
    sections = [_offered(c) for c in courses]
    kinds: dict[str, tuple[Callable[[str, str, SimStudent], SiiauPage], str]] = {
        "login form": (escolar, pages.login_form("a1b2c3d4e5f6")),
        "login form echoed": (escolar, echoed_login_form(student)),
        "login continue": (escolar, pages.login_continue()),
        "main page": (escolar, pages.main_page(student.pidm)),
        "captcha": (escolar, pages.captcha_required("0f0e0d0c0b0a")),
        "invalid": (escolar, pages.invalid_credentials()),
        "locked": (escolar, pages.locked()),
        "skipped": (escolar, pages.skipped_step()),
        "expired": (escolar, pages.session_expired()),
        "already open": (escolar, pages.session_already_open()),
        "maintenance": (escolar, pages.maintenance()),
        "oracle": (escolar, pages.oracle_error()),
        "foreign": (escolar, pages.foreign_page()),
        "survey": (escolar, pages.survey()),
        "logged out": (escolar, pages.logged_out()),
        "registro menu": (escolar, pages.registro_menu(student)),
        "registration list": (
            escolar,
            pages.registration_list(student, career, pages.CURRENT_CYCLE, courses),
        ),
        "portal login": (portal, portal_pages.login("9f8e7d6c5b4a3928")),
        "portal login wrong": (
            portal,
            portal_pages.login("9f8e7d6c5b4a3928", portal_pages.MESSAGE_WRONG),
        ),
        "portal dashboard": (portal, portal_pages.dashboard("1122334455667788", student.name)),
        "escolar entry": (escolar, portal_pages.escolar_entry("abcdef0123456789")),
        "top frame": (escolar, portal_pages.top_frame()),
        "main frame": (escolar, portal_pages.main_frame("abcdef0123456789")),
        "portal main page": (escolar, portal_pages.main_page(student.pidm)),
        "systems": (escolar, portal_pages.systems(student.pidm)),
        "systems menu": (escolar, portal_pages.menu_systems(student.pidm)),
        "offer form": (
            escolar,
            offer_pages.offer_form([("202620", "Calendario 26 B")], [("D", "CUCEI")]),
        ),
        "offer results": (
            escolar,
            offer_pages.offer_results(
                "202620", "CUCEI", sections, total=len(sections), end_of_report=True
            ),
        ),
    }
    for shape in ("code", "code-cycle", "code-name"):
        kinds[f"menu {shape}"] = (
            escolar,
            pages.menu(student, options=shape, registro=shape == "code"),
        )
    for block in ("td", "th"):
        for changed in (False, True):
            body = pages.schedule(
                student,
                career,
                pages.CURRENT_CYCLE,
                courses,
                changed_layout=changed,
                student_block=block,
            )
            kinds[f"schedule {block}{' changed' if changed else ''}"] = (escolar, body)
    return kinds


SECRET_TOKENS = {
    "a1b2c3d4e5f6",
    "0f0e0d0c0b0a",
    "9f8e7d6c5b4a3928",
    "1122334455667788",
    "abcdef0123456789",
}


@pytest.mark.parametrize("names_as", ["raw", "named", "numeric"])
@pytest.mark.parametrize("student", STUDENTS, ids=lambda s: s.code)
def test_every_page_kind_keeps_nothing_personal(student: SimStudent, names_as: str) -> None:
    for kind, (wrap, body) in page_kinds(student).items():
        page = wrap(body, names_as, student)
        captured = redact.redact_page(page)  # production: nothing known but the page itself
        assert_redacted(captured, student, SECRET_TOKENS, kind)
        assert_redacted(
            siiau_pages.fragment(redact.decode(page.body, page.content_type)),
            student,
            SECRET_TOKENS,
        )


def test_the_student_block_is_masked_field_by_field_and_the_page_stays_useful() -> None:
    career = SOFIA.careers[0]
    for block in ("td", "th"):
        body = pages.schedule(
            SOFIA, career, pages.CURRENT_CYCLE, career.courses, student_block=block
        )
        captured = redact.redact_page(escolar(body, "named", SOFIA))
        assert "Horario de cursos del ciclo 2025-B" in captured and "BASES DE DATOS" in captured
        assert "VILLASEÑOR" in captured  # decoded as Latin-1, written as UTF-8: Ñ intact
        assert (
            "ACTIVO" not in captured and "CENTRO UNIVERSITARIO" not in captured
        )  # every field of the block
        assert "INGENIERIA EN COMPUTACION (INCO)" not in captured
        for label in ("CODIGO", "NOMBRE", "CARRERA", "CENTRO", "SITUACION"):
            assert label in captured  # labels kept: they are the page's shape


@pytest.mark.parametrize(
    "snippet",
    [
        "<TR><TD>NOMBRE:</TD><TD>IBARRA NUÑEZ, SOFIA</TD></TR>",
        "<TR><TD>NOMBRE:</TD><TD>IBARRA NU&Ntilde;EZ, SOFIA</TD></TR>",
        "<TR><TD>NOMBRE:</TD><TD>IBARRA NU&#209;EZ, SOFIA</TD></TR>",
        "<TR><TD>NOMBRE:</TD><TD>IBARRA NU&#xD1;EZ, SOFIA</TD></TR>",
        "<TR><TH>Nombre</TH></TR><TR><TD>IBARRA NUÑEZ, SOFIA</TD></TR>",
        "<p>Nombre: IBARRA NUÑEZ, SOFIA</p>",
        "<p>Bienvenido(a) IBARRA NUÑEZ, SOFIA</p>",
        "<p>Bienvenida IBARRA NUNEZ, SOFIA!</p>",
        # The label in bold in the value's own cell or line (a layout the parser never saw).
        "<TR><TD><B>Nombre:</B> IBARRA NUÑEZ, SOFIA</TD></TR>",
        "<TR><TD><FONT><B>NOMBRE:</B></FONT>&nbsp;IBARRA NU&Ntilde;EZ, SOFIA</TD></TR>",
        "<p><b>Alumno(a):</b> IBARRA NUÑEZ, SOFIA</p>",
        "<p>Nombre del alumno: IBARRA NUÑEZ, SOFIA</p>",
    ],
)
def test_a_name_is_masked_by_its_label_in_every_writing(snippet: str) -> None:
    for charset in ("utf-8", "ISO-8859-1"):
        body = (
            f"<html><head><meta charset='{charset}'></head><body><table>{snippet}</table>"
            f"<p>Otra vez: IBARRA NU&Ntilde;EZ y SOF&Iacute;A, IBARRA NUNEZ</p></body></html>"
        )
        page = SiiauPage("GET", "/x", 200, body.encode(charset, errors="xmlcharrefreplace"))
        for output in (redact.redact_page(page), siiau_pages.fragment(redact.decode(page.body))):
            flat = plain(output)
            for word in ("IBARRA", "NUNEZ", "SOFIA"):
                assert word not in flat, (snippet, charset, output)


def test_a_utf8_portal_page_misread_as_latin1_still_loses_the_name() -> None:
    """What the client's own (windows-1252) view of a Portal page gives a fragment: `NUÃ‘EZ`."""
    body = portal_pages.dashboard("1122334455667788", SOFIA.name).encode("utf-8")
    misread = body.decode("cp1252", errors="replace")
    output = siiau_pages.fragment(misread)
    assert "IBARRA" not in output and "NUÃ‘EZ" not in output and "SOF" not in output


def test_charset_comes_from_the_header_then_the_meta() -> None:
    assert redact.charset_of(b"", "text/html; charset=UTF-8") == "utf-8"
    assert redact.charset_of(b"<meta charset='utf-8'>", "") == "utf-8"
    assert (
        redact.charset_of(
            b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">'
        )
        == "cp1252"
    )
    assert redact.charset_of(b"<meta charset='utf-8'>", "text/html; charset=ISO-8859-1") == "cp1252"
    assert redact.charset_of(b"", "") == "cp1252"
    assert redact.charset_of(b"", "text/html; charset=bogus-42") == "cp1252"


def test_known_values_are_masked_in_every_form_and_cookies_jsf_state_and_params_too() -> None:
    body = (
        "<html><body><a href='gupprincipal.inicio_portal?p_ticket_c=T1C2K3E4T5'>x</a>"
        "<a href='/Portal/x;jsessionid=ABCDEF123456'>y</a><a href='sgpregi.horario?pidmp=1234567&majrp=INCO'>z</a>"
        "<partial-response><changes><update id='j_id1:javax.faces.ViewState:0'>-12345:67890</update></changes>"
        "</partial-response><p>Escríbenos: sofia.ibarra@alumnos.udg.mx; cookie 5f5f5f5f5f</p>"
        "<p>JOSÉ ÁNGEL, JOSE ANGEL, JOS&Eacute; &#193;NGEL</p></body></html>"
    )
    output = redact.redact_page(
        SiiauPage("GET", "/x", 200, body.encode("utf-8"), "text/html; charset=utf-8"),
        known=["5f5f5f5f5f", "JOSÉ ÁNGEL"],
    )
    for secret in (
        "T1C2K3E4T5",
        "ABCDEF123456",
        "1234567",
        "-12345:67890",
        "sofia.ibarra",
        "5f5f5f5f5f",
    ):
        assert secret not in output
    assert "JOSE ANGEL" not in plain(output)
    assert "majrp=INCO" in output  # a career code is not personal


@pytest.mark.parametrize(
    ("login", "block", "names_as"),
    [
        ("direct", "td", "raw"),
        ("portal", "th", "named"),
        ("portal", "td", "numeric"),
        ("direct", "th", "named"),
    ],
)
async def test_diagnose_capture_through_the_simulator(
    tmp_path: Path, login: str, block: str, names_as: str
) -> None:
    lines: list[str] = []
    with SiiauSimulator(students=STUDENTS, seed=3) as siiau:
        siiau.faults.login_paths = {login}
        siiau.faults.student_block = block
        siiau.faults.names_as = names_as
        settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)  # type: ignore[arg-type]
        capture = Capture(tmp_path / "captura")
        code = await diagnose(settings, Credentials(SOFIA.code, SOFIA.nip), capture, lines.append)
        cookies = {value for value in siiau.cookies_issued if len(value) >= 4}
    assert code == 0, lines
    saved = "\n".join(
        f.read_text(encoding="utf-8") for f in sorted((tmp_path / "captura").iterdir())
    )
    assert "BASES DE DATOS" in saved
    assert_redacted(saved, SOFIA, cookies)


@pytest.mark.parametrize(
    "snippet",
    [
        "<TR><TD><B>C&oacute;digo:</B> 12345</TD></TR>",
        "<p><b>Codigo del alumno:</b> 12345</p>",
        "<TR><TD>CODIGO</TD><TD>12345</TD></TR>",
    ],
)
def test_a_five_digit_code_is_masked_by_its_label(snippet: str) -> None:
    """PROTOCOL: a code may have five digits, too short to be masked as a run of digits."""
    body = f"<html><body><table>{snippet}</table><p>Ficha 12345 de 12345</p></body></html>"
    output = redact.redact_page(SiiauPage("GET", "/x", 200, body.encode("cp1252")))
    assert "12345" not in output, output
