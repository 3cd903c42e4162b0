"""The shipped days-off file for 2026-B and 2027-A (issue 19): the periods its [[ciclo]] tables
record agree with its [[dia]] entries, and estimates are marked `assumed`."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from importlib import resources
from typing import Any

from bot.schedule.days_off import DaysOff, Source

SOURCES = {"official", "assumed"}


def cycles() -> dict[str, dict[str, Any]]:  # parsed TOML
    text = (
        resources.files("bot.schedule").joinpath("data", "dias_inhabiles.toml").read_text("utf-8")
    )
    return {str(entry["ciclo"]): entry for entry in tomllib.loads(text)["ciclo"]}


def test_2026b_classes_and_days_off() -> None:
    cycle = cycles()["2026-B"]
    assert (cycle["clases_desde"], cycle["clases_hasta"]) == (date(2026, 8, 17), date(2026, 12, 11))
    assert cycle["fuente"] in SOURCES and cycle["referencia"]
    days = DaysOff.load()
    listed = {d for d in cycle["dias_inhabiles"]}
    assert listed == {date(2026, 9, 16), date(2026, 11, 16)}
    day = date(2026, 8, 17)
    while day <= date(2026, 12, 11):  # on a weekday of the cycle, off exactly on the listed days
        if day.weekday() < 5:
            assert (day in days) == (day in listed), day
        day += timedelta(days=1)
    for d in listed:
        found = days.get(d)
        assert found is not None and found.source is Source.OFFICIAL, d


def test_2027a_registration_is_given_and_its_classes_are_estimates() -> None:
    cycle = cycles()["2027-A"]
    assert (cycle["registro_desde"], cycle["registro_hasta"]) == (
        date(2027, 1, 11),
        date(2027, 1, 15),
    )
    assert cycle["clases_fuente"] == "assumed" and cycle["clases_referencia"]
    first, last = cycle["clases_desde"], cycle["clases_hasta"]
    assert isinstance(first, date) and isinstance(last, date) and date(2027, 1, 15) < first < last
    # Inside the estimated classes, every UdG day off is an estimate; only federal law is official.
    for day in DaysOff.load():
        if first <= day.day <= last and day.source is Source.OFFICIAL:
            assert "Ley Federal del Trabajo" in day.reference, day
