"""What changed between two schedules, course by course (matched by NRC)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.schedule.model import Course, Schedule

DAY_LETTERS = "LMIJVS"


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"  # time, day or room


@dataclass(frozen=True, slots=True)
class CourseChange:
    kind: ChangeKind
    name: str
    nrc: str
    before: str = ""
    after: str = ""


def slots(course: Course) -> str:
    """'J 09:00, V 11:00, DEDX A-12': when and where, compact and comparable."""
    parts: list[str] = []
    places: list[str] = []
    for session in course.sessions:
        if session.start is not None:
            parts.extend(f"{DAY_LETTERS[day]} {session.start:%H:%M}" for day in session.days)
        if session.place and session.place not in places:
            places.append(session.place)
    return ", ".join(parts + places) or "sin horario"


def diff(old: Schedule, new: Schedule) -> list[CourseChange]:
    before = {c.nrc: c for c in old.courses}
    after = {c.nrc: c for c in new.courses}
    changes = [
        CourseChange(ChangeKind.ADDED, c.name, c.nrc)
        for nrc, c in after.items()
        if nrc not in before
    ]
    changes += [
        CourseChange(ChangeKind.REMOVED, c.name, c.nrc)
        for nrc, c in before.items()
        if nrc not in after
    ]
    for nrc, course in after.items():
        if nrc in before and slots(before[nrc]) != slots(course):
            changes.append(
                CourseChange(ChangeKind.MOVED, course.name, nrc, slots(before[nrc]), slots(course))
            )
    return changes
