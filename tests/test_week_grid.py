"""The week grid's layout: one block per class over its whole duration; overlaps side by side."""

from __future__ import annotations

from datetime import datetime, time

from bot.pdf.view import GridItem, build_view, week_grid
from bot.schedule.model import Day
from tests.test_parser import sample_schedule


def item(days: tuple[Day, ...], start: str, end: str, title: str = "X") -> GridItem:
    return GridItem(days, time.fromisoformat(start), time.fromisoformat(end), "#fff", title, ())


def test_a_two_hour_class_is_one_block_spanning_it() -> None:
    grid = week_grid([item((Day.TUESDAY, Day.THURSDAY), "07:00", "08:55")], hour_height=40)
    tuesday = grid.days[Day.TUESDAY]
    assert len(tuesday.blocks) == 1
    block = tuesday.blocks[0]
    assert block.top == 0 and block.height == round(115 * 40 / 60)  # 1 h 55 min, not one row
    assert (block.left, block.width) == (0, 100)
    assert grid.days[Day.MONDAY].blocks == ()
    assert grid.hours[0] == "07:00" and grid.hours[-1] == "20:00"


def test_the_grid_grows_for_early_and_late_classes() -> None:
    grid = week_grid(
        [item((Day.MONDAY,), "06:00", "06:55"), item((Day.MONDAY,), "20:00", "21:55")],
        hour_height=30,
    )
    assert grid.hours[0] == "06:00" and grid.hours[-1] == "21:00"
    late = grid.days[Day.MONDAY].blocks[1]
    assert late.top == 14 * 30 and late.top + late.height <= grid.height


def test_overlapping_classes_share_the_width_and_back_to_back_ones_do_not() -> None:
    grid = week_grid(
        [
            item((Day.MONDAY,), "07:00", "08:55", "A"),
            item((Day.MONDAY,), "08:00", "09:55", "B"),
            item((Day.MONDAY,), "09:55", "10:55", "C"),  # half-open: starts as B ends
            item((Day.FRIDAY,), "11:00", "12:00", "D"),
        ],
        hour_height=60,
    )
    a, b, c = grid.days[Day.MONDAY].blocks
    assert (a.left, a.width) == (0, 50) and (b.left, b.width) == (50, 50)
    assert (c.left, c.width) == (0, 100)
    assert grid.days[Day.FRIDAY].blocks[0].width == 100


def test_today_is_marked() -> None:
    grid = week_grid([], hour_height=30, today=Day.WEDNESDAY)
    assert [d.today for d in grid.days] == [False, False, True, False, False, False]


def test_pdf_view_has_one_block_per_session_day() -> None:
    schedule = sample_schedule()
    view = build_view(schedule, datetime(2026, 12, 5, 12, 0))
    expected = sum(len(s.days) for c in schedule.courses for s in c.sessions if s.scheduled)
    assert sum(len(d.blocks) for d in view.grid.days) == expected
