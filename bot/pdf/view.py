"""The schedule arranged for the page: a Mon–Sat week grid and a course list.

One week grid serves the PDF, the planner's pictures and the phone wallpaper: each
class is one block placed by its start and sized by its duration (so a two-hour
class is one block, not a labelled cell and an empty one), in a day column whose
height is the hours shown. Blocks that overlap on a day share its width.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from bot.schedule.model import Course, Day, Schedule, Session

PALETTE = (
    "#cfe2ff",
    "#d1e7dd",
    "#fff3cd",
    "#f8d7da",
    "#e2d9f3",
    "#ffe5d0",
    "#d2f4ea",
    "#f7d6e6",
    "#dbe4ea",
    "#e9ecc6",
)
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 20  # the last hour row shown starts at this hour
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class GridItem:
    """One class on the grid, before layout: the caller says what it shows."""

    days: tuple[Day, ...]
    start: time
    end: time
    colour: str
    title: str
    lines: tuple[str, ...]
    full: bool = False  # a section with no free seats: drawn hatched and marked


@dataclass(frozen=True, slots=True)
class Block:
    top: int  # px from the top of the day column
    height: int  # px
    left: float  # % of the column's width
    width: float  # %
    colour: str
    title: str
    lines: tuple[str, ...]
    full: bool


@dataclass(frozen=True, slots=True)
class DayColumn:
    name: str
    today: bool
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class WeekGrid:
    hours: tuple[str, ...]  # one label per hour row, "07:00"
    hour_height: int  # px per hour row
    days: tuple[DayColumn, ...]

    @property
    def height(self) -> int:
        return self.hour_height * len(self.hours)


@dataclass(frozen=True, slots=True)
class CourseLine:
    colour: str
    course: Course
    times: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageView:
    schedule: Schedule
    grid: WeekGrid
    courses: tuple[CourseLine, ...]
    unscheduled: tuple[str, ...]
    generated_at: str


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _end_minutes(start: time, end: time) -> int:
    """A session that ends at or before it starts crosses midnight: it is cut at 24:00."""
    return _minutes(end) if _minutes(end) > _minutes(start) else MINUTES_PER_DAY


def week_grid(
    items: Iterable[GridItem],
    *,
    hour_height: int,
    today: Day | None = None,
    first_hour: int = DEFAULT_FIRST_HOUR,
    last_hour: int = DEFAULT_LAST_HOUR,
) -> WeekGrid:
    """Lay `items` out on Mon–Sat columns. Hours shown: from `first_hour` (or earlier, for an
    earlier class) through the hour of the latest end (at least `last_hour`)."""
    items = list(items)
    if items:
        first_hour = min(first_hour, min(i.start.hour for i in items))
        latest = max(_end_minutes(i.start, i.end) for i in items)
        last_hour = max(last_hour, (latest - 1) // 60)
    origin = first_hour * 60
    columns = []
    for day in Day:
        spans = sorted(
            ((_minutes(i.start), _end_minutes(i.start, i.end), i) for i in items if day in i.days),
            key=lambda span: (span[0], span[1], span[2].title),
        )
        blocks = [
            Block(
                top=round((start - origin) * hour_height / 60),
                height=max(round((end - start) * hour_height / 60), 1),
                left=100 * lane / lanes,
                width=100 / lanes,
                colour=item.colour,
                title=item.title,
                lines=item.lines,
                full=item.full,
            )
            for (start, end, item), (lane, lanes) in zip(
                spans, _lanes([(s, e) for s, e, _ in spans]), strict=True
            )
        ]
        columns.append(DayColumn(day.name_es, day == today, tuple(blocks)))
    return WeekGrid(
        hours=tuple(f"{hour:02d}:00" for hour in range(first_hour, last_hour + 1)),
        hour_height=hour_height,
        days=tuple(columns),
    )


def _lanes(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(lane, lanes in its cluster) per half-open span, spans sorted by start: overlapping
    spans sit side by side, and a cluster of overlaps shares the width evenly."""
    result: list[tuple[int, int]] = []
    cluster: list[int] = []  # indexes of the current cluster
    lane_ends: list[int] = []  # per lane, the end of its last span
    cluster_end = -1

    def close() -> None:
        for index in cluster:
            result[index] = (result[index][0], len(lane_ends))

    for index, (start, end) in enumerate(spans):
        if start >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
        lane = next(
            (n for n, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends)
        )
        if lane == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        result.append((lane, 0))
        cluster.append(index)
        cluster_end = max(cluster_end, end)
    close()
    return result


def schedule_items(schedule: Schedule, colours: dict[str, str] | None = None) -> list[GridItem]:
    """The schedule's classes as grid items: the course name, then hours and place."""
    colours = colours or course_colours(schedule.courses)
    return [
        GridItem(
            days=session.days,
            start=session.start,
            end=session.end,
            colour=colours[course.nrc],
            title=course.name,
            lines=(" · ".join(p for p in (session.hours, session.place) if p),),
        )
        for course in schedule.courses
        for session in course.sessions
        if session.start is not None and session.end is not None and session.days
    ]


def course_colours(courses: Iterable[Course]) -> dict[str, str]:
    return {c.nrc: PALETTE[i % len(PALETTE)] for i, c in enumerate(courses)}


def build_view(schedule: Schedule, generated_at: datetime, *, hour_height: int = 38) -> PageView:
    colours = course_colours(schedule.courses)
    lines = tuple(
        CourseLine(colours[c.nrc], c, tuple(_session_text(s) for s in c.sessions if s.scheduled))
        for c in schedule.courses
    )
    unscheduled = tuple(
        c.name for c in schedule.courses if not any(s.scheduled for s in c.sessions)
    )
    return PageView(
        schedule=schedule,
        grid=week_grid(schedule_items(schedule, colours), hour_height=hour_height),
        courses=lines,
        unscheduled=unscheduled,
        generated_at=generated_at.strftime("%d/%m/%Y %H:%M"),
    )


def _session_text(session: Session) -> str:
    days = ", ".join(Day(d).short_es for d in session.days)
    return " ".join(part for part in (days, session.hours, session.place) if part)


@dataclass(frozen=True, slots=True)
class LegendLine:
    colour: str
    text: str
    full: bool = False


@dataclass(frozen=True, slots=True)
class WeekPicture:
    """A picture of a week: a title, the grid, and a legend under it.

    `top_space` leaves room above the title (a lock screen draws its clock there)."""

    title: str
    subtitle: str
    grid: WeekGrid
    legend: tuple[LegendLine, ...] = ()
    notes: tuple[str, ...] = ()
    top_space: int = 0
    font_scale: float = 1.0
