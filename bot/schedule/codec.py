"""Schedule ⇄ JSON, for the snapshot of the last schedule a user received."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, time
from typing import Any

from bot.schedule.model import Course, Day, Schedule, Session


def dumps(schedule: Schedule) -> str:
    return json.dumps(asdict(schedule), ensure_ascii=False, default=str, sort_keys=True)


def loads(text: str) -> Schedule:
    data = json.loads(text)
    courses = tuple(_course(c) for c in data.pop("courses"))
    return Schedule(**data, courses=courses)


def _course(data: dict[str, Any]) -> Course:
    sessions = tuple(_session(s) for s in data.pop("sessions"))
    return Course(**data, sessions=sessions)


def _session(data: dict[str, Any]) -> Session:
    return Session(
        days=tuple(Day(d) for d in data["days"]),
        start=time.fromisoformat(data["start"]) if data["start"] else None,
        end=time.fromisoformat(data["end"]) if data["end"] else None,
        building=data["building"],
        room=data["room"],
        professor=data["professor"],
        first_day=date.fromisoformat(data["first_day"]) if data["first_day"] else None,
        last_day=date.fromisoformat(data["last_day"]) if data["last_day"] else None,
    )
