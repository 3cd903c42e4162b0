"""The schedule as typed data, with a stable content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, time
from enum import IntEnum


class Day(IntEnum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5

    @property
    def short_es(self) -> str:
        return ("Lun", "Mar", "Mié", "Jue", "Vie", "Sáb")[self]

    @property
    def name_es(self) -> str:
        return ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado")[self]


@dataclass(frozen=True, slots=True)
class Session:
    days: tuple[Day, ...]
    start: time | None
    end: time | None
    building: str
    room: str
    professor: str
    first_day: date | None
    last_day: date | None

    @property
    def scheduled(self) -> bool:
        return bool(self.days) and self.start is not None and self.end is not None

    @property
    def place(self) -> str:
        return " ".join(part for part in (self.building, self.room) if part)

    @property
    def hours(self) -> str:
        if self.start is None or self.end is None:
            return ""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Course:
    nrc: str
    key: str
    name: str
    section: str
    credits: int | None
    sessions: tuple[Session, ...]

    @property
    def professor(self) -> str:
        names = dict.fromkeys(s.professor for s in self.sessions if s.professor)
        return " / ".join(names)


@dataclass(frozen=True, slots=True)
class Schedule:
    term: str
    term_label: str
    student_name: str
    student_code: str
    career: str
    career_name: str
    courses: tuple[Course, ...] = field(default_factory=tuple)

    @property
    def content_hash(self) -> str:
        """Same schedule, same hash: sorted, canonical JSON, stable across runs."""
        data = asdict(self)
        data["courses"] = sorted(data["courses"], key=lambda c: (c["nrc"], c["key"]))
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def total_credits(self) -> int:
        return sum(course.credits or 0 for course in self.courses)
