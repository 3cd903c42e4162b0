"""Production captures (`SIIAU_CAPTURE_DIR`): the page behind a `LayoutChanged` travels on the
error, already redacted, and `PageCapturer` writes it 0600 in a 0700 folder, keeping at most
`SIIAU_CAPTURE_MAX` files. No code, NIP, pidm, name, cookie or hidden value survives, whatever
the page and wherever it broke: both login paths, an unknown login answer, the schedule page,
the public offer, and every page kind the simulator serves."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings, SiiauSettings
from bot.core.credentials import Credentials
from bot.services.captures import PageCapturer
from bot.siiau import redact, trail
from bot.siiau.client import SiiauClient, SiiauClientFactory
from bot.siiau.errors import LayoutChanged, LoginUnconfirmed, SiiauPage
from bot.siiau.offer_client import OfferClient
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.offer_server import RESULTS_PATH, OfferSimulator
from tests.test_redact import SOFIA, STUDENTS, assert_redacted, page_kinds


class Clock:
    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(students=STUDENTS, seed=5) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a run left a SIIAU session open"


def captured_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


async def broken_run(siiau: SiiauSimulator, login: str) -> LayoutChanged:
    """Login, careers and the schedule, as a run does; the LayoutChanged it ends on."""
    settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)  # type: ignore[arg-type]
    client: SiiauClient = SiiauClientFactory(settings)()
    try:
        await client.login(Credentials(SOFIA.code, SOFIA.nip))
        careers = await client.careers()
        page = await client.schedule_page(careers[0].code)
        page.schedule()
    except LayoutChanged as error:
        return error
    finally:
        if client.login_path is not None:
            await client.logout()
        await client.aclose()
    raise AssertionError("the run read every page")


def changed_schedule(siiau: SiiauSimulator) -> None:
    siiau.faults.layout_changed = True


def unknown_portal_answer(siiau: SiiauSimulator) -> None:
    siiau.faults.portal_breaks_at = "answer"


def form_back(siiau: SiiauSimulator) -> None:
    siiau.faults.login_form_back = True


def captcha(siiau: SiiauSimulator) -> None:
    siiau.faults.captcha_enforced = True


def empty_frameset(siiau: SiiauSimulator) -> None:
    siiau.faults.empty_frameset = True


def dashboard_changed(siiau: SiiauSimulator) -> None:
    siiau.faults.portal_breaks_at = "dashboard"


def foreign(siiau: SiiauSimulator) -> None:
    siiau.faults.foreign_pages = True


BREAKS: list[tuple[str, str, Callable[[SiiauSimulator], None], str]] = [
    ("direct", "td", changed_schedule, "schedule page"),
    ("portal", "th", changed_schedule, "schedule page"),
    ("portal", "td", unknown_portal_answer, "portal 2/6"),
    ("direct", "th", form_back, "login 3/3"),
    ("direct", "td", captcha, "login 3/3"),
    ("portal", "td", empty_frameset, "portal 4/6"),
    ("portal", "th", dashboard_changed, "portal 3/6"),
    ("direct", "td", foreign, "login 1/3"),
]


@pytest.mark.parametrize(
    ("login", "block", "breaks", "step"), BREAKS, ids=[f"{b[0]}-{b[2].__name__}" for b in BREAKS]
)
async def test_a_page_the_bot_cannot_read_is_captured_redacted(
    siiau: SiiauSimulator,
    tmp_path: Path,
    login: str,
    block: str,
    breaks: Callable[[SiiauSimulator], None],
    step: str,
) -> None:
    siiau.faults.login_paths = {login}
    siiau.faults.student_block = block
    siiau.faults.names_as = "named" if block == "th" else "raw"
    breaks(siiau)
    error = await broken_run(siiau, login)
    assert error.step == step and error.page is not None, (error.where, error)
    if breaks in (unknown_portal_answer, form_back, captcha):
        assert isinstance(error, LoginUnconfirmed)
    capturer = PageCapturer(tmp_path / "capturas", max_files=50, clock=Clock())
    path = await capturer.save(error)
    assert path is not None and captured_files(tmp_path / "capturas") == [path]
    assert (
        stat.S_IMODE(path.stat().st_mode) == 0o600
        and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    )
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert type(error).__name__ in first and f"step: {step}" in first and "2026-05-28T" in first
    assert error.path and error.path in first
    cookies = {value for value in siiau.cookies_issued if len(value) >= 4}
    assert_redacted(text, SOFIA, cookies)
    if breaks is changed_schedule:
        assert "MODALIDAD" in text and "BASES DE DATOS" in text  # what the maintainer needs


async def test_an_unreadable_offer_page_is_captured(tmp_path: Path) -> None:
    with OfferSimulator() as offer:
        body = (
            "<html><body><p>Bienvenido(a) IBARRA NUÑEZ, SOFÍA</p><table><tr><td>algo distinto</td></tr>"
            "</table></body></html>"
        )
        offer.serve_raw(RESULTS_PATH, body.encode("latin-1"))
        client = OfferClient(offer.url)
        try:
            with pytest.raises(LayoutChanged) as caught:
                await client.search("202520", "D", "I5890")
        finally:
            await client.aclose()
    path = await PageCapturer(tmp_path, clock=Clock()).save(caught.value)
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "algo distinto" in text and "IBARRA" not in text and "NU" + "ÑEZ" not in text


@pytest.mark.parametrize("student", STUDENTS, ids=lambda s: s.code)
async def test_every_page_kind_is_captured_without_personal_data(
    tmp_path: Path, student: object
) -> None:
    from bot.sim.siiau.students import SimStudent

    assert isinstance(student, SimStudent)
    capturer = PageCapturer(tmp_path, max_files=500, clock=Clock())
    for names_as in ("raw", "named"):  # every writing of a name: tests/test_redact.py
        for kind, (wrap, body) in page_kinds(student).items():
            error = LayoutChanged(f"{kind} not recognised")
            error.step = kind
            trail.attach(error, wrap(body, names_as, student))  # as the client attaches it
            path = await capturer.save(error)
            assert path is not None
            assert_redacted(
                path.read_text(encoding="utf-8"), student, {"a1b2c3d4e5f6", "9f8e7d6c5b4a3928"}
            )


async def test_at_most_max_files_oldest_removed_first(tmp_path: Path) -> None:
    capturer = PageCapturer(tmp_path / "c", max_files=3, clock=Clock())
    written = []
    for n in range(5):
        error = LayoutChanged("x")
        error.step = f"step {n}"
        error.page = SiiauPage("GET", "/wal/x", 200, f"<html><body>{n}</body></html>".encode())
        path = await capturer.save(error)
        assert path is not None
        written.append(path)
    assert captured_files(tmp_path / "c") == written[2:]


async def test_off_by_default_and_nothing_without_a_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.bootstrap import build_capturer

    monkeypatch.delenv("SIIAU_CAPTURE_DIR", raising=False)
    settings = Settings()
    assert settings.siiau.capture_max == 50 and not build_capturer(settings).enabled
    error = LayoutChanged("x")
    error.page = SiiauPage("GET", "/x", 200, b"<html></html>")
    assert await build_capturer(settings).save(error) is None
    monkeypatch.setenv("SIIAU_CAPTURE_DIR", str(tmp_path / "on"))
    monkeypatch.setenv("SIIAU_CAPTURE_MAX", "7")
    capturer = build_capturer(Settings())
    assert capturer.enabled
    assert await capturer.save(LayoutChanged("no page")) is None
    assert await capturer.save(error) is not None


async def test_a_capture_that_cannot_be_written_costs_nothing_but_a_log_line(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    error = LayoutChanged("x")
    error.page = SiiauPage("GET", "/x", 200, b"<html></html>")
    assert await PageCapturer(blocker / "sub").save(error) is None


def test_the_error_carries_a_redacted_page_never_the_raw_one() -> None:
    raw = SiiauPage(
        "POST",
        "/wus/gupprincipal.valida_inicio",
        200,
        b'<form name="mainPage"><input type="hidden" name="p_pidm_n" value="7654321"></form>',
    )
    error = LoginUnconfirmed("x")
    trail.attach(error, raw, ("219555111", "sofi2026"))
    assert error.page is not None and b"7654321" not in error.page.body
    assert "7654321" not in repr(error.page)
    assert redact.charset_of(error.page.body, error.page.content_type) == "utf-8"
