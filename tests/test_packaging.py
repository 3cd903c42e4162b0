"""What the Dockerfile installs, checked without a Docker engine (none runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_wheel_the_image_installs_carries_templates_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("horario_bot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/pdf/templates/schedule.html.j2" in names
    assert "bot/store/migrations/env.py" in names
    assert {
        "bot/store/migrations/versions/0001_initial.py",
        "bot/store/migrations/versions/0002_weekly.py",
    } <= set(names)
    assert "bot/sim/siiau/server.py" in names


def test_the_images_apt_packages_exist_and_give_a_working_renderer() -> None:
    packages = re.search(r"apt-get install -y --no-install-recommends ([^&\\]+)", DOCKERFILE)
    assert packages is not None
    names = packages.group(1).split()
    assert names == ["wkhtmltopdf", "fonts-dejavu-core"]
    if shutil.which("apt-get") is None:
        pytest.skip("not a Debian machine")
    simulated = subprocess.run(
        ["apt-get", "install", "-s", "--no-install-recommends", *names],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert simulated.returncode == 0, simulated.stderr
    version = subprocess.run(
        ["wkhtmltopdf", "--version"], capture_output=True, text=True, timeout=30
    )
    assert version.stdout.startswith("wkhtmltopdf 0.12")


def test_the_image_runs_as_a_user_with_data_on_a_volume_and_a_healthcheck() -> None:
    assert re.search(r"^USER horario$", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "sqlite+aiosqlite:////data/horario.db" in DOCKERFILE
    assert "/healthz" in DOCKERFILE
