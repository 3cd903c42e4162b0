"""`python -m bot diagnose`: every step reported, logout always, and a capture that keeps
nothing personal (code, NIP, pidm, cookies, hidden values, the student's name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from bot.cli_diagnose import Capture, diagnose
from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator


def hidden_values(pages: list[tuple[str, str]]) -> set[str]:
    values = set()
    for _, html in pages:
        for field in BeautifulSoup(html, "lxml").find_all("input", attrs={"type": re.compile("^hidden$", re.I)}):
            values.add(str(field.get("value", "")))
    return {v for v in values if v}


@pytest.mark.parametrize(("login", "steps"), [("direct", 6), ("portal", 13)])
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
            SiiauSettings(base_url=siiau.url), Credentials(DEMO_CODE, DEMO_NIP), Capture(None), lines.append
        )
        assert siiau.open_sessions() == [] and siiau.logouts == 1
    assert code == 1
    assert any(line.startswith("falló: LayoutChanged") and "schedule page" in line for line in lines), lines
