"""PNG rendering (wkhtmltoimage): the size asked, hardened like the PDFs, bounded by the timeout."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import PdfSettings
from bot.pdf.renderer import PdfRenderer, RenderError
from tests.test_pdf import canary as canary

pytestmark = pytest.mark.render


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture
async def renderer() -> AsyncIterator[PdfRenderer]:
    async with PdfRenderer(PdfSettings(prewarm=0)) as started:
        yield started


PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family: \'DejaVu Sans\'">{}</body></html>'


async def test_png_has_the_size_asked(renderer: PdfRenderer) -> None:
    png = await renderer.render_png(PAGE.format("<p>Año, Miércoles, SEÑOR</p>"), 1080, 1920)
    assert png_size(png) == (1080, 1920)
    assert len(png) < 1_000_000  # --quality 50: tens of KB, not megabytes
    tall = await renderer.render_png(PAGE.format("<div style='height: 900px'>x</div>"), 600)
    width, height = png_size(tall)
    assert width == 600 and height >= 900  # no height: as tall as the page


async def test_png_fetches_nothing(canary: tuple[str, list[str]], renderer: PdfRenderer) -> None:
    base, hits = canary
    html = PAGE.format(
        f"<img src='{base}/img.png'><iframe src='{base}/frame'></iframe>"
        f"<link rel=stylesheet href='{base}/x.css'><iframe src='file:///etc/hostname'></iframe>"
    )
    try:  # the dead proxy fails each fetch; whether wkhtmltoimage then exits 1 is its own affair
        await renderer.render_png(html, 400, 300)
    except RenderError:
        pass
    assert hits == []


async def test_png_sizes_are_bounded(renderer: PdfRenderer) -> None:
    with pytest.raises(ValueError):
        await renderer.render_png(PAGE.format("x"), 0)
    with pytest.raises(ValueError):
        await renderer.render_png(PAGE.format("x"), 500, 100_000)


async def test_png_timeout_kills_the_process(tmp_path: Path) -> None:
    slow = tmp_path / "slow-wkhtmltoimage"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    settings = PdfSettings(wkhtmltoimage=str(slow), render_timeout=0.5, prewarm=0)
    async with PdfRenderer(settings) as slow_renderer:
        with pytest.raises(RenderError, match="timed out"):
            await slow_renderer.render_png(PAGE.format("x"), 400)
