"""Time zones from the `tzdata` package, not the system's database.

Mexico dropped daylight saving time in 2022; a machine with an older zone database
would still move Guadalajara's classes by an hour twice a year. The package pins it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """The zone `name` as the `tzdata` package has it (an unknown name raises ZoneInfoNotFoundError)."""
    parts = name.split("/")
    if not name or any(part in ("", ".", "..") for part in parts):
        raise ZoneInfoNotFoundError(name)
    entry = resources.files("tzdata").joinpath("zoneinfo", *parts)
    if not entry.is_file():
        raise ZoneInfoNotFoundError(name)
    with entry.open("rb") as data:
        return ZoneInfo.from_file(data, key=name)
