"""Days with no classes, from a data file an operator can edit (`data/dias_inhabiles.toml`).

Each entry names the day (or a range of days, a vacation), says why and whether it is
`official` (published by the UdG or set by federal law) or `assumed` (the usual practice,
not yet confirmed for that cycle), and cites where it comes from.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path

DATA_FILE = "dias_inhabiles.toml"


class Source(StrEnum):
    OFFICIAL = "official"
    ASSUMED = "assumed"


@dataclass(frozen=True, slots=True)
class DayOff:
    day: date
    name: str
    source: Source
    reference: str = ""


class DaysOffError(ValueError):
    """The days-off file cannot be read: the bot refuses to start rather than guess."""


class DaysOff:
    """Look-up of days off by date; empty means every weekday is a school day."""

    def __init__(self, days: Iterable[DayOff] = ()) -> None:
        self._by_day: dict[date, DayOff] = {}
        for day_off in days:
            self._by_day.setdefault(day_off.day, day_off)

    def get(self, day: date) -> DayOff | None:
        return self._by_day.get(day)

    def __contains__(self, day: object) -> bool:
        return day in self._by_day

    def __iter__(self) -> Iterator[DayOff]:
        return iter(sorted(self._by_day.values(), key=lambda d: d.day))

    def __len__(self) -> int:
        return len(self._by_day)

    def between(self, first: date, last: date) -> list[DayOff]:
        return [d for d in self if first <= d.day <= last]

    @classmethod
    def load(cls, path: Path | None = None) -> DaysOff:
        """The shipped file, or `path` (the operator's own copy, `SCHEDULE_DAYS_OFF_FILE`)."""
        try:
            if path is None:
                text = (
                    resources.files("bot.schedule").joinpath("data", DATA_FILE).read_text("utf-8")
                )
            else:
                text = path.read_text("utf-8")
            return cls(parse(tomllib.loads(text)))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise DaysOffError(f"days-off file {path or DATA_FILE}: {error}") from None


def parse(document: Mapping[str, object]) -> list[DayOff]:
    """`[[dia]]` tables: `fecha` (or `desde` + `hasta`), `nombre`, `fuente`, `referencia`."""
    entries = document.get("dia", [])
    if not isinstance(entries, list):
        raise DaysOffError("expected [[dia]] tables")
    days: list[DayOff] = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise DaysOffError(f"entry {position}: expected a table")
        first = entry.get("fecha", entry.get("desde"))
        last = entry.get("hasta", first)
        name = entry.get("nombre")
        if not isinstance(first, date) or not isinstance(last, date) or last < first:
            raise DaysOffError(f"entry {position}: `fecha`, or `desde` ≤ `hasta`, must be dates")
        if not isinstance(name, str) or not name.strip():
            raise DaysOffError(f"entry {position}: `nombre` is missing")
        try:
            source = Source(entry.get("fuente", ""))
        except ValueError:
            raise DaysOffError(f"entry {position}: `fuente` must be official or assumed") from None
        reference = str(entry.get("referencia", ""))
        day = first
        while day <= last:
            days.append(DayOff(day, name.strip(), source, reference))
            day += timedelta(days=1)
    return days
