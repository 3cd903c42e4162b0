"""Grades as the bot holds them: the kárdex, the promedio and the boleta of the cycle in course.

These are plain data, read by the SIIAU adapter (`bot.siiau.grades`) and kept sealed by the
store as JSON (`dumps`/`loads`, through pydantic's TypeAdapter so nested dataclasses, dates and
enums round-trip without a hand-written codec).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import TypeAdapter


class GradeKind(StrEnum):
    ORDINARIO = "ordinario"
    EXTRAORDINARIO = "extraordinario"
    OTHER = "otro"  # a type SIIAU names that is neither (revalidación, acreditación…)


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade as SIIAU writes it: `97 (NOVENTA Y SIETE)` → value "97", words "NOVENTA Y SIETE"."""

    value: str  # "97", "SD", "NA"
    words: str = ""
    failing: bool = False

    @property
    def number(self) -> int | None:
        return int(self.value) if self.value.isdigit() else None


@dataclass(frozen=True, slots=True)
class KardexRow:
    nrc: str
    clave: str
    name: str
    grade: Grade
    kind: GradeKind
    kind_label: str  # as SIIAU writes it: "ORDINARIO (OE)"
    credits: int | None
    date: dt.date | None
    date_text: str = ""


@dataclass(frozen=True, slots=True)
class KardexCycle:
    label: str  # "Calendario 17 B"
    rows: tuple[KardexRow, ...]


@dataclass(frozen=True, slots=True)
class Kardex:
    cycles: tuple[KardexCycle, ...]
    credit_lines: tuple[str, ...] = ()  # the credit totals, each line as SIIAU states it
    missing_credits: str = ""

    @property
    def in_order(self) -> tuple[KardexCycle, ...]:
        """The cycles oldest first ("Calendario 17 B" → 2017, B), whatever order SIIAU listed
        them in; SIIAU's own order when a label doesn't read as a year and a term."""
        keys = [_cycle_key(c.label) for c in self.cycles]
        if any(k is None for k in keys):
            return self.cycles
        order = sorted(range(len(self.cycles)), key=lambda i: keys[i] or (0, 0))
        return tuple(self.cycles[i] for i in order)


_CYCLE_LABEL = re.compile(r"(\d{2}|\d{4})\s*-?\s*([ABV])\b", re.IGNORECASE)
_TERMS = {"A": 0, "V": 1, "B": 2}  # A (Jan–Jun), verano, B (Aug–Dec)


def _cycle_key(label: str) -> tuple[int, int] | None:
    match = _CYCLE_LABEL.search(label)
    if match is None:
        return None
    year = int(match.group(1))
    return (year + 2000 if year < 100 else year, _TERMS[match.group(2).upper()])


@dataclass(frozen=True, slots=True)
class Promedio:
    promedio: str  # as SIIAU states it: "87.53"
    situacion: str = ""
    carrera: str = ""
    centro: str = ""
    sede: str = ""


@dataclass(frozen=True, slots=True)
class BoletaRow:
    nrc: str
    clave: str
    name: str
    ordinaria: Grade | None
    ordinaria_in_kardex: bool
    extraordinaria: Grade | None
    extraordinaria_in_kardex: bool

    @property
    def latest(self) -> tuple[Grade, GradeKind] | None:
        """The grade that counts now: the extraordinaria once there is one."""
        if self.extraordinaria is not None:
            return self.extraordinaria, GradeKind.EXTRAORDINARIO
        if self.ordinaria is not None:
            return self.ordinaria, GradeKind.ORDINARIO
        return None


@dataclass(frozen=True, slots=True)
class Boleta:
    rows: tuple[BoletaRow, ...]

    @property
    def complete(self) -> bool:
        return all(row.latest is not None for row in self.rows)


@dataclass(frozen=True, slots=True)
class SurveyPending:
    """SIIAU wants its teacher survey answered before it shows grades: a state, not a failure."""

    link: str


@dataclass(frozen=True, slots=True)
class GradesReport:
    """What one check read. `boleta` is None when the menu has no Boleta (between cycles)."""

    kardex: Kardex
    promedio: Promedio | None
    boleta: Boleta | None
    career: str = ""


@dataclass(frozen=True, slots=True)
class Posting:
    """A grade that can be announced: its key changes when the grade is posted or corrected."""

    nrc: str
    name: str
    kind: GradeKind
    value: str

    @property
    def key(self) -> str:
        """(nrc, kind, grade-hash): a corrected grade is a new posting, the same one never is."""
        digest = hashlib.sha256(f"{self.nrc}|{self.kind}|{self.value}".encode()).hexdigest()[:16]
        return f"{self.nrc}:{self.kind.value}:{digest}"


def postings(report: GradesReport) -> tuple[Posting, ...]:
    """Every grade posted in the boleta of the cycle in course, ordinaria and extraordinaria."""
    found: list[Posting] = []
    if report.boleta is not None:
        for row in report.boleta.rows:
            if row.ordinaria is not None:
                found.append(Posting(row.nrc, row.name, GradeKind.ORDINARIO, row.ordinaria.value))
            if row.extraordinaria is not None:
                found.append(
                    Posting(row.nrc, row.name, GradeKind.EXTRAORDINARIO, row.extraordinaria.value)
                )
    return tuple(found)


_REPORT = TypeAdapter(GradesReport)


def dumps(report: GradesReport) -> str:
    return _REPORT.dump_json(report).decode()


def loads(text: str) -> GradesReport:
    return _REPORT.validate_json(text)


def content_hash(report: GradesReport) -> str:
    return hashlib.sha256(dumps(report).encode()).hexdigest()
