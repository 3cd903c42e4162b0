from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import pdf_text

pytestmark = pytest.mark.e2e


def test_demo_prints_a_transcript_ending_with_a_valid_pdf(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("PDF: ")
    pdf = Path(last.removeprefix("PDF: ")).read_bytes()
    text = pdf_text(pdf)
    assert "COMPUTACION TOLERANTE A FALLAS" in text and "INGLES IV" in text
    for command in ("/start", "/registrar", "/horario", "/semanal", "/estado"):
        assert f"> {command}" in result.stdout
    assert "cada lunes a las 07:00" in result.stdout
    assert "(borró el mensaje" in result.stdout
    assert (
        "> /cupos I5890 D" in result.stdout
        and "< 🎉 Hay 2 lugares en I5890 D11 (NRC 180245)" in result.stdout
    )
    assert "I7036 COMPUTACION TOLERANTE A FALLAS: 95 (ordinario)" in result.stdout
    assert "< 📝 Salió tu calificación de SISTEMAS OPERATIVOS: 88 (ordinario)" in result.stdout
    assert (
        "> /armar I5886 I7412 LE201 D" in result.stdout
        and "< [foto] 🧩 Opción 1 de" in result.stdout
    )
    assert (
        "(foto editada) 🧩 Opción 2 de" in result.stdout
        and "🅱️ Plan B de la opción 2" in result.stdout
    )
    picture = next(
        line for line in result.stdout.splitlines() if line.startswith("/armar, option 1: ")
    )
    assert Path(picture.removeprefix("/armar, option 1: ")).read_bytes().startswith(b"\x89PNG")


def test_fetch_command_writes_a_pdf_and_prints_the_run_log(tmp_path: Path) -> None:
    out = tmp_path / "h.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "fetch", "--simulate", "-o", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    for task in ("login", "fetch", "logout", "clean", "pdf"):
        assert task in result.stdout
    assert "completed" in result.stdout
    assert "SISTEMAS OPERATIVOS" in pdf_text(out.read_bytes())
