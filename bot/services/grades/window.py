"""When a student's grades are checked: polite polling around the end of the cycle in course.

A check is due only while the cycle in course has subjects without a grade, from
`GRADES_WINDOW_DAYS` before its last class date (FECHA FIN) until `GRADES_AFTER_DAYS` after it.
Each student is checked at most every `GRADES_POLL_SECONDS`, later by up to
`GRADES_JITTER_SECONDS`; when the window opens, students' first checks are spread over one whole
interval, so their logins never bunch up. Outside the window, or once every subject has its grade, the next
look is `GRADES_IDLE_SECONDS` away (a new cycle's boleta shows up there).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from bot.config import GradesSettings
from bot.schedule.grades import Boleta
from bot.schedule.model import Schedule


def cycle_end(schedule: Schedule | None) -> date | None:
    """FECHA FIN of the cycle in course: the last day of its latest session."""
    if schedule is None:
        return None
    days = [s.last_day for c in schedule.courses for s in c.sessions if s.last_day is not None]
    return max(days) if days else None


def first_due(
    now: datetime, end: date | None, settings: GradesSettings, rng: random.Random
) -> datetime:
    """Right after alerts are turned on: soon (students turn them on at their own times), but
    never before the window opens: no login for a cycle whose end is weeks away."""
    outside = _outside(now, end, settings, rng)
    return outside or now + timedelta(seconds=rng.uniform(0, jitter(settings)))


def jitter(settings: GradesSettings) -> float:
    """`GRADES_JITTER_SECONDS`, but never more than a tenth of the interval: a short
    `GRADES_POLL_SECONDS` (a demo, a test) still means a check about that often."""
    return min(float(settings.jitter_seconds), settings.poll_seconds / 10)


def _outside(
    now: datetime, end: date | None, settings: GradesSettings, rng: random.Random
) -> datetime | None:
    """The next look when `now` is outside the window around FECHA FIN `end`; None inside it
    (or with no FECHA FIN known)."""
    if end is None:
        return None
    start = datetime.combine(end - timedelta(days=settings.window_days), time(0), UTC)
    stop = datetime.combine(end + timedelta(days=settings.after_days), time(23, 59), UTC)
    if now < start:
        return start + timedelta(seconds=rng.uniform(0, settings.poll_seconds))
    if now > stop:
        return now + timedelta(seconds=settings.idle_seconds)
    return None


def next_due(
    now: datetime,
    end: date | None,
    boleta: Boleta | None,
    settings: GradesSettings,
    rng: random.Random,
) -> datetime:
    """When to check next, after a check that read `boleta` (None: no boleta in the menu)."""
    interval = timedelta(seconds=settings.poll_seconds + rng.uniform(0, jitter(settings)))
    idle = now + timedelta(seconds=settings.idle_seconds)
    outside = _outside(now, end, settings, rng)
    if outside is not None:
        return outside
    if boleta is None or not boleta.rows or boleta.complete:
        return idle
    return now + interval
