"""Common free time as a week picture (HTML for the renderer's PNG): free windows shaded,
classes only as "ocupado", never a name, room or NRC.

The grid is one table: a row per 5 minutes from 07:00 to 21:00, and per day one cell per
stretch (free, busy, or too short to count) spanning its rows, so wkhtmltoimage's old
WebKit lays it out without flex or grid CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.schedule.free_time import FreeDay

STEP = 5  # minutes per row
WIDTH = 1080  # pixels: a phone screen's width at 3x
_templates = Environment(
    loader=PackageLoader("bot.pdf", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str  # "free" | "busy" | "gap"
    rows: int
    label: str


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    note: str  # a day off's name, or ""
    starts: dict[int, Cell]  # row → the cell starting there


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _column(day: FreeDay, opens: int, closes: int, busy_word: str) -> Column:
    marks: list[tuple[int, int, str]] = [(w.start, w.end, "free") for w in day.free]
    marks += [(w.start, w.end, "busy") for w in day.busy]
    marks.sort()
    starts: dict[int, Cell] = {}
    cursor = opens
    for start, end, kind in marks:
        start, end = max(start, cursor), min(end, closes)
        if end <= start:
            continue
        if start > cursor:
            starts[(cursor - opens) // STEP] = Cell("gap", (start - cursor) // STEP, "")
        label = f"{_clock(start)}–{_clock(end)}" if kind == "free" else busy_word
        starts[(start - opens) // STEP] = Cell(kind, (end - start) // STEP, label)
        cursor = end
    if cursor < closes:
        starts[(cursor - opens) // STEP] = Cell("gap", (closes - cursor) // STEP, "")
    title = f"{day.weekday.short_es} {day.day:%d/%m}"
    return Column(title, day.day_off.name if day.day_off else "", starts)


def free_week_html(
    days: Sequence[FreeDay],
    title: str,
    *,
    opens: int = 7 * 60,
    closes: int = 21 * 60,
    busy_word: str = "ocupado",
    legend: tuple[str, str] = ("libre para todos", "ocupado"),
) -> str:
    """The page for `render_png`. `title` and every label are escaped by the template."""
    opens -= opens % STEP
    closes += -closes % STEP
    columns = [_column(d, opens, closes, busy_word) for d in days]
    rows = (closes - opens) // STEP
    hours = {
        (h * 60 - opens) // STEP: f"{h:02d}:00"
        for h in range(opens // 60, closes // 60)
        if h * 60 >= opens
    }
    return _templates.get_template("free_week.html.j2").render(
        title=title,
        columns=columns,
        rows=rows,
        hours=hours,
        per_hour=60 // STEP,
        legend=legend,
        width=WIDTH,
    )
