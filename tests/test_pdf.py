"""The renderer: readable output, and nothing a hostile field can make it fetch or show."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from bot.config import PdfSettings
from bot.pdf.renderer import PdfRenderer
from bot.schedule.model import Course
from tests.helpers import pdf_text
from tests.test_parser import sample_schedule

pytestmark = pytest.mark.render


@pytest.fixture
async def renderer() -> AsyncIterator[PdfRenderer]:
    """A renderer whose pre-started wkhtmltopdf is reaped before the test's loop closes."""
    async with PdfRenderer(PdfSettings()) as started:
        yield started


@pytest.fixture
def canary() -> Iterator[tuple[str, list[str]]]:
    """A local server that records any request wkhtmltopdf might make."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


async def test_pdf_holds_every_course_day_and_time(renderer: PdfRenderer) -> None:
    schedule = sample_schedule()
    text = pdf_text(await renderer.render(schedule))
    for course in schedule.courses:
        assert course.name in text and course.nrc in text
        for session in course.sessions:
            if session.scheduled:
                assert session.hours in text
    for day in ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Lun, Mié"):
        assert day in text
    assert "VILLASEÑOR MUÑOZ, ANA" in text and "generado el" in text


async def test_hostile_fields_are_shown_literally_and_fetch_nothing(
    canary: tuple[str, list[str]], renderer: PdfRenderer
) -> None:
    base, hits = canary
    hostile = [
        "<script>document.write('PWNED')</script>",
        "<iframe src=file:///etc/hostname></iframe>",
        f"<img src={base}/img.png>",
        f"<link rel=stylesheet href={base}/x.css>",
    ]
    schedule = sample_schedule()
    courses = tuple(
        replace(c, name=name) for c, name in zip(schedule.courses, hostile, strict=True)
    )
    schedule = replace(
        schedule, courses=courses, student_name=f"<iframe src={base}/frame></iframe>"
    )
    pdf = await renderer.render(schedule)
    text = pdf_text(pdf)
    assert "<script>document.write('PWNED')</script>" in text
    assert "<iframe src=file:///etc/hostname></iframe>" in text
    assert f"<img src={base}/img.png>" in text
    assert socket.gethostname() not in text.replace(
        "<iframe src=file:///etc/hostname></iframe>", ""
    )
    assert hits == []


async def test_many_courses_keep_the_whole_grid(renderer: PdfRenderer) -> None:
    schedule = sample_schedule()
    template = schedule.courses[2]
    many = tuple(
        Course(f"9{i:05d}", f"K{i}", f"MATERIA NUMERO {i}", "D01", 4, template.sessions)
        for i in range(14)
    )
    schedule = replace(schedule, courses=many)
    text = pdf_text(await renderer.render(schedule))
    for i in range(14):
        assert f"MATERIA NUMERO {i}" in text
    for hour in ("09:00", "10:00", "13:00", "14:00"):
        assert hour in text


async def test_render_timeout_kills_the_process(tmp_path: Path) -> None:
    slow = tmp_path / "slow-wkhtmltopdf"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    from bot.pdf.renderer import RenderError

    async with PdfRenderer(PdfSettings(wkhtmltopdf=str(slow), render_timeout=0.5)) as slow_renderer:
        with pytest.raises(RenderError, match="timed out"):
            await slow_renderer.render(sample_schedule())
