"""`python -m bot diagnose`: every step reported, logout always, and a capture that keeps
nothing personal (code, NIP, pidm, cookies, hidden values, the student's name)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bot.bootstrap import build_cipher, build_login_guard, open_store
from bot.cli import diagnose as cli_diagnose
from bot.cli.diagnose import Capture, diagnose
from bot.config import Settings, SiiauSettings
from bot.core.credentials import Credentials
from bot.services.runtime.login_guard import KeyedLoginGuard, LoginOutcome, Requester
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.db import create_engine, migrate
from bot.store.login_guard import LoginGuardStore
from tests.helpers import TEST_KEY


def hidden_values(pages: list[tuple[str, str]]) -> set[str]:
    values = set()
    for _, html in pages:
        for field in BeautifulSoup(html, "lxml").find_all(
            "input", attrs={"type": re.compile("^hidden$", re.I)}
        ):
            values.add(str(field.get("value", "")))
    return {v for v in values if v}


@pytest.mark.parametrize(("login", "steps"), [("direct", 6), ("portal", 12)])
async def test_a_capture_keeps_nothing_personal(tmp_path: Path, login: str, steps: int) -> None:
    lines: list[str] = []
    with SiiauSimulator(seed=2) as siiau:
        siiau.faults.login_paths = {login}
        student = siiau.student(DEMO_CODE)
        capture = Capture(tmp_path / "captura")
        settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)  # type: ignore[arg-type]
        code = await diagnose(settings, Credentials(DEMO_CODE, DEMO_NIP), capture, lines.append)
        assert siiau.open_sessions() == [] and siiau.logouts == 1
        cookies = {value for value in siiau.cookies_issued if value}
    assert code == 0, lines
    assert [line.split()[0] for line in lines if "HTTP" in line][-2:] == ["horario", "logout"]
    files = sorted((tmp_path / "captura").iterdir())
    assert len(files) == steps and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    saved = "\n".join(f.read_text(encoding="utf-8") for f in files)
    assert "Horario de cursos del ciclo" in saved and "SISTEMAS OPERATIVOS" in saved  # still useful
    personal = {DEMO_CODE, DEMO_NIP, student.pidm, *cookies, *hidden_values(capture.pages)}
    personal |= {word for word in re.split(r"[\s,]+", student.name) if word}
    short = {p for p in personal if len(p) < 4}  # "3", "0", "WUS": only their own tags are masked
    for secret in personal - short:
        assert secret.lower() not in saved.lower(), f"{secret!r} survived the redaction"
    for secret in short:
        assert not re.search(rf"(?i)value\s*=\s*[\"']?{re.escape(secret)}\b", saved)
    assert DEMO_NIP not in "\n".join(lines)


async def test_a_failing_step_is_named_and_logout_still_runs(tmp_path: Path) -> None:
    lines: list[str] = []
    with SiiauSimulator(seed=2) as siiau:
        siiau.faults.layout_changed = True
        code = await diagnose(
            SiiauSettings(base_url=siiau.url),
            Credentials(DEMO_CODE, DEMO_NIP),
            Capture(None),
            lines.append,
        )
        assert siiau.open_sessions() == [] and siiau.logouts == 1
    assert code == 1
    assert any(
        line.startswith("falló: LayoutChanged") and "schedule page" in line for line in lines
    ), lines


class NipAsked(Exception):
    pass


def ask_nip(prompt: str = "") -> str:
    raise NipAsked


def bot_database(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    outcomes: list[LoginOutcome],
    strangers: int = 0,
) -> Settings:
    """The bot's database (as configured in the environment) after `strangers` rejected logins
    by someone else, then the owner's logins ending in `outcomes`."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.delenv("SIIAU_NIP", raising=False)
    monkeypatch.setattr(getpass, "getpass", ask_nip)
    settings = Settings()

    async def record() -> None:
        store = await open_store(settings, build_cipher(settings))
        guard = build_login_guard(settings, store, build_cipher(settings))
        try:
            logins = [(Requester(2), LoginOutcome.REJECTED)] * strangers + [
                (Requester(1, owner=True), o) for o in outcomes
            ]
            for n, (requester, outcome) in enumerate(logins):
                nip = DEMO_NIP if outcome is LoginOutcome.ACCEPTED else f"malnip{n}"
                await guard.settle(
                    await guard.admit(Credentials(DEMO_CODE, nip), requester), outcome
                )
        finally:
            await store.engine.dispose()

    asyncio.run(record())
    return settings


def diagnose_args() -> argparse.Namespace:
    return argparse.Namespace(code=DEMO_CODE, simulate=False, capture=None, login=None)


def test_diagnose_refuses_before_asking_the_nip_when_the_last_login_was_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_database(tmp_path, monkeypatch, [LoginOutcome.ACCEPTED, LoginOutcome.REJECTED])
    assert cli_diagnose.run(diagnose_args()) == 3  # and getpass was never called
    said = capsys.readouterr().err
    assert "rechazó el último intento" in said and f"python -m bot release-code {DEMO_CODE}" in said


def test_diagnose_refuses_a_held_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_database(
        tmp_path, monkeypatch, [LoginOutcome.REJECTED, LoginOutcome.UNANSWERED], strangers=2
    )
    assert cli_diagnose.run(diagnose_args()) == 3
    assert "release-code" in capsys.readouterr().err


@pytest.mark.parametrize(
    "outcomes",
    [
        [],
        [LoginOutcome.REJECTED, LoginOutcome.ACCEPTED],
        [LoginOutcome.ANSWERED],
        [LoginOutcome.REJECTED, "release"],
    ],
)
def test_diagnose_asks_the_nip_when_the_last_login_was_not_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[LoginOutcome | str]
) -> None:
    settings = bot_database(
        tmp_path, monkeypatch, [o for o in outcomes if isinstance(o, LoginOutcome)]
    )
    if "release" in outcomes:  # what the operator's release-code does

        async def release() -> None:
            store = await open_store(settings, build_cipher(settings))
            try:
                await build_login_guard(settings, store, build_cipher(settings)).release(DEMO_CODE)
            finally:
                await store.engine.dispose()

        asyncio.run(release())
    with pytest.raises(NipAsked):
        cli_diagnose.run(diagnose_args())


def test_without_a_bot_database_there_is_nothing_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/none.db")
    monkeypatch.delenv("SIIAU_NIP", raising=False)
    monkeypatch.setattr(getpass, "getpass", ask_nip)
    with pytest.raises(NipAsked):
        cli_diagnose.run(diagnose_args())
    assert "No hay base de datos del bot" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


async def test_the_guard_tells_a_rejected_last_login_on_both_back_ends(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        guard = KeyedLoginGuard(LoginGuardStore(engine), b"k" * 32, per_hour=50)
        assert await guard.manual_login_refusal(DEMO_CODE) is None
        for nip, outcome in (
            ("malnip1", LoginOutcome.REJECTED),
            (DEMO_NIP, LoginOutcome.ACCEPTED),
            ("malnip2", LoginOutcome.REJECTED),
        ):
            await guard.settle(
                await guard.admit(Credentials(DEMO_CODE, nip), Requester(1, owner=True)), outcome
            )
        assert await guard.manual_login_refusal(DEMO_CODE) == "rejected"
        assert await guard.manual_login_refusal("219000000") is None  # another code
        await guard.release(DEMO_CODE)
        assert await guard.manual_login_refusal(DEMO_CODE) is None
    finally:
        await engine.dispose()
