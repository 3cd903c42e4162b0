"""The schedule arranged for the page: a Mon–Sat × hour grid and a course list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.schedule.model import Course, Day, Schedule, Session

PALETTE = (
    "#cfe2ff", "#d1e7dd", "#fff3cd", "#f8d7da", "#e2d9f3",
    "#ffe5d0", "#d2f4ea", "#f7d6e6", "#dbe4ea", "#e9ecc6",
)  # fmt: skip
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 20


@dataclass(frozen=True, slots=True)
class Block:
    colour: str
    title: str
    detail: str
    continues: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    label: str
    cells: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True, slots=True)
class CourseLine:
    colour: str
    course: Course
    times: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageView:
    schedule: Schedule
    days: tuple[str, ...]
    rows: tuple[GridRow, ...]
    courses: tuple[CourseLine, ...]
    unscheduled: tuple[str, ...]
    generated_at: str


def build_view(schedule: Schedule, generated_at: datetime) -> PageView:
    colours = {c.nrc: PALETTE[i % len(PALETTE)] for i, c in enumerate(schedule.courses)}
    first, last = _hour_range(schedule)
    grid: dict[tuple[int, Day], list[Block]] = {}
    for course in schedule.courses:
        for session in course.sessions:
            if not session.scheduled:
                continue
            assert session.start is not None and session.end is not None
            end_hour = session.end.hour + (1 if session.end.minute else 0)
            for hour in range(session.start.hour, max(end_hour, session.start.hour + 1)):
                for day in session.days:
                    grid.setdefault((hour, day), []).append(
                        Block(
                            colour=colours[course.nrc],
                            title=course.name,
                            detail=" · ".join(p for p in (session.hours, session.place) if p),
                            continues=hour != session.start.hour,
                        )
                    )
    rows = tuple(
        GridRow(
            label=f"{hour:02d}:00",
            cells=tuple(tuple(grid.get((hour, day), ())) for day in Day),
        )
        for hour in range(first, last + 1)
    )
    lines = tuple(
        CourseLine(colours[c.nrc], c, tuple(_session_text(s) for s in c.sessions if s.scheduled))
        for c in schedule.courses
    )
    unscheduled = tuple(
        c.name for c in schedule.courses if not any(s.scheduled for s in c.sessions)
    )
    return PageView(
        schedule=schedule,
        days=tuple(day.name_es for day in Day),
        rows=rows,
        courses=lines,
        unscheduled=unscheduled,
        generated_at=generated_at.strftime("%d/%m/%Y %H:%M"),
    )


def _hour_range(schedule: Schedule) -> tuple[int, int]:
    sessions = [s for c in schedule.courses for s in c.sessions if s.scheduled]
    if not sessions:
        return DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR
    first = min(s.start.hour for s in sessions if s.start)
    last = max((s.end.hour - (0 if s.end.minute else 1)) for s in sessions if s.end)
    return min(first, DEFAULT_FIRST_HOUR), max(last, first)


def _session_text(session: Session) -> str:
    days = ", ".join(Day(d).short_es for d in session.days)
    return " ".join(part for part in (days, session.hours, session.place) if part)
