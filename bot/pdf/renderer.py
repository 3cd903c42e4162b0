"""Schedule → HTML (Jinja2) → PDF bytes (wkhtmltopdf via pdfkit), or HTML → PNG
(wkhtmltoimage, the same Debian package), off the event loop.

wkhtmltopdf fetches remote resources even with JavaScript and local file access
off, so every render also points it at a dead proxy: if an escaped field ever
slipped through as a tag, it still could not reach anything. wkhtmltoimage gets
the same flags.

PNGs run wkhtmltoimage as a plain asyncio subprocess built here, not through a
wrapper such as imgkit: imgkit, like pdfkit, blocks in `communicate()` with no
timeout, while this module already owns a subprocess path with a timeout, a
process-group kill and a reaper; the command line is five fixed flags.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from datetime import datetime

import pdfkit
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.config import PdfSettings
from bot.core.errors import RenderError as RenderError  # raised here, defined below every layer
from bot.core.zones import zone
from bot.pdf.view import WeekPicture, build_view, course_colours, schedule_items, week_grid
from bot.schedule.model import Day, Schedule

WKHTMLTOPDF_OPTIONS: dict[str, str] = {
    "--encoding": "UTF-8",
    "--page-size": "Letter",
    "--orientation": "Landscape",
    "--margin-top": "10mm",
    "--margin-bottom": "10mm",
    "--margin-left": "10mm",
    "--margin-right": "10mm",
    "--disable-javascript": "",
    "--javascript-delay": "0",
    "--disable-local-file-access": "",
    "--disable-external-links": "",
    "--proxy": "http://127.0.0.1:9",
    "--no-outline": "",
}
# `--format png` matters: to stdout without it the output is JPEG. `--quality 50` is zlib's
# level for PNG: 89 KB for a 1080×1920 grid, against 8.3 MB at the default 94.
WKHTMLTOIMAGE_FLAGS: tuple[str, ...] = (
    "--encoding",
    "UTF-8",
    "--disable-javascript",
    "--javascript-delay",
    "0",
    "--disable-local-file-access",
    "--proxy",
    "http://127.0.0.1:9",
    "--format",
    "png",
    "--quality",
    "50",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PNG_SIDE = 4000
WALLPAPER_SIZE = (1080, 1920)
WALLPAPER_TOP = 420  # px a lock screen's clock covers
TEMPLATE_VERSION = "2"  # the week grid: one block per class


class PdfRenderer:
    """Renders in at most `max_workers` wkhtmltopdf processes at once.

    wkhtmltopdf spends about a quarter of a render starting Qt, before it reads
    any input. So the renderer keeps up to `prewarm` processes already started
    and waiting on stdin; a render takes one and a fresh one starts behind it.
    """

    def __init__(self, settings: PdfSettings, timezone: str = "America/Mexico_City") -> None:
        binary = shutil.which(settings.wkhtmltopdf) or settings.wkhtmltopdf
        self._command = pdfkit.PDFKit(
            "",
            "string",
            options=WKHTMLTOPDF_OPTIONS,
            configuration=pdfkit.configuration(wkhtmltopdf=binary),
        ).command()
        self._image_binary = shutil.which(settings.wkhtmltoimage) or settings.wkhtmltoimage
        self.timeout = settings.render_timeout
        self._slots = asyncio.Semaphore(settings.max_workers or os.cpu_count() or 1)
        self._zone = zone(timezone)
        self._templates = Environment(
            loader=PackageLoader("bot.pdf", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.renders = 0
        self._prewarm = settings.prewarm
        self._spares: list[asyncio.subprocess.Process] = []
        self._refills: set[asyncio.Task[None]] = set()
        self._live: set[asyncio.subprocess.Process] = set()  # started and not yet reaped
        self._closed = False

    def html(self, schedule: Schedule, now: datetime | None = None) -> str:
        generated_at = (now or datetime.now(self._zone)).astimezone(self._zone)
        view = build_view(schedule, generated_at)
        return self._templates.get_template("schedule.html.j2").render(view=view)

    def template_html(self, name: str, **values: object) -> str:
        """Another document's HTML from its own template in `bot/pdf/templates` (the kárdex)."""
        return self._templates.get_template(name).render(**values)

    def picture_html(self, picture: WeekPicture) -> str:
        return self._templates.get_template("week_picture.html.j2").render(picture=picture)

    async def render_picture(
        self, picture: WeekPicture, width: int, height: int | None = None
    ) -> bytes:
        """A week picture (the planner's options, the wallpaper) as a PNG."""
        return await self.render_png(self.picture_html(picture), width, height)

    def wallpaper(self, schedule: Schedule, today: Day | None, subtitle: str = "") -> WeekPicture:
        """The schedule sized for a phone's lock screen (render at WALLPAPER_SIZE): days as
        columns, today's marked, the top third left for the clock."""
        colours = course_colours(schedule.courses)
        items = schedule_items(schedule, colours)
        grid = week_grid(items, hour_height=1, today=today)
        # The hours fill what the clock, the title and the margins leave of 1920 px.
        hour_height = max(40, (WALLPAPER_SIZE[1] - WALLPAPER_TOP - 190) // len(grid.hours))
        return WeekPicture(
            title=f"Horario {schedule.term_label}",
            subtitle=subtitle,
            grid=week_grid(items, hour_height=hour_height, today=today),
            top_space=WALLPAPER_TOP,
            font_scale=1.45,
        )

    async def render(self, schedule: Schedule) -> bytes:
        return await self.html_to_pdf(self.html(schedule))

    async def html_to_pdf(self, html: str) -> bytes:
        async with self._slots:
            process = await self._process()
            pdf, stderr = await self._communicate(process, html, "wkhtmltopdf")
        self.renders += 1
        if process.returncode != 0 or not pdf.startswith(b"%PDF"):
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise RenderError(f"wkhtmltopdf exited {process.returncode}: {detail[0][:200]}")
        return pdf

    def image_command(self, width: int, height: int | None = None) -> list[str]:
        """The wkhtmltoimage command line for one PNG (reading HTML on stdin, PNG to stdout)."""
        if not 1 <= width <= MAX_PNG_SIDE or (
            height is not None and not 1 <= height <= MAX_PNG_SIDE
        ):
            raise ValueError(f"a PNG side must be within 1..{MAX_PNG_SIDE} px")
        size = ["--width", str(width)] + (["--height", str(height)] if height is not None else [])
        return [self._image_binary, *WKHTMLTOIMAGE_FLAGS, *size, "-", "-"]

    async def render_png(self, html: str, width: int, height: int | None = None) -> bytes:
        """A self-contained HTML page as a PNG `width` px wide: `height` px tall, or as tall
        as the page when None. Shares the PDF renders' pool (`PDF_MAX_WORKERS`) and
        timeout (`PDF_RENDER_TIMEOUT`); raises `RenderError` on a failure or a timeout."""
        command = self.image_command(width, height)
        async with self._slots:
            process = await self._spawn(command)
            png, stderr = await self._communicate(process, html, "wkhtmltoimage")
        self.renders += 1
        if process.returncode != 0 or not png.startswith(PNG_MAGIC):
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise RenderError(f"wkhtmltoimage exited {process.returncode}: {detail[0][:200]}")
        return png

    async def _communicate(
        self, process: asyncio.subprocess.Process, html: str, name: str
    ) -> tuple[bytes, bytes]:
        try:
            out, err = await asyncio.wait_for(
                process.communicate(html.encode("utf-8")), self.timeout
            )
        except TimeoutError:
            await self._reap(process)
            raise RenderError(f"{name} timed out") from None
        except asyncio.CancelledError:
            # Shielded: a second cancellation must not leave the process running.
            await asyncio.shield(self._reap(process))
            raise
        self._live.discard(process)
        return out, err

    async def __aenter__(self) -> PdfRenderer:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every process still running, letting any still starting finish first."""
        self._closed = True
        await asyncio.gather(*self._refills, return_exceptions=True)
        self._spares = []
        for process in list(self._live):
            await self._reap(process)

    async def _process(self) -> asyncio.subprocess.Process:
        while self._spares:
            spare = self._spares.pop()
            if spare.returncode is None:
                self._refill()
                return spare
            await self._reap(spare)
        self._refill()
        return await self._spawn()

    def _refill(self) -> None:
        if self._closed or len(self._spares) + len(self._refills) >= self._prewarm:
            return

        async def start_spare() -> None:
            process = await self._spawn()
            if self._closed:
                await self._reap(process)
            else:
                self._spares.append(process)

        task = asyncio.create_task(start_spare())
        self._refills.add(task)
        task.add_done_callback(self._refills.discard)

    async def _spawn(self, command: list[str] | None = None) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *(command or self._command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # so a timeout can kill it and anything it spawned
        )
        self._live.add(process)
        return process

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        """Kill the process group, then close and drain every pipe rather than only
        wait(): asyncio closes the transport once all pipes are done, and a transport
        left to the garbage collector warns after its loop has closed."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.stdin is not None:
            process.stdin.close()
        with contextlib.suppress(RuntimeError):  # a read a cancelled render left waiting
            await process.communicate()
        await process.wait()
        self._live.discard(process)
