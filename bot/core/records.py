"""Flow runs and task runs: what happened, how long, how many tries, which error.

These records cross from the workflow to the store and to people, so they hold
only names, states, numbers and error class names, never credentials.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CACHED = "cached"
    SKIPPED = "skipped"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class TaskRun:
    name: str
    state: State = State.PENDING
    attempts: int = 0
    started_at: datetime | None = None
    duration_ms: int = 0
    error_class: str | None = None


@dataclass(slots=True)
class FlowRun:
    name: str
    kind: str = "on_demand"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: State = State.RUNNING
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    error_class: str | None = None
    outcome: str | None = None
    tasks: list[TaskRun] = field(default_factory=list)

    def task(self, name: str) -> TaskRun:
        record = TaskRun(name=name)
        self.tasks.append(record)
        return record

    def finish(self, outcome: str, error: BaseException | None = None) -> None:
        self.finished_at = utcnow()
        self.outcome = outcome
        self.error_class = type(error).__name__ if error is not None else None
        self.state = State.FAILED if error is not None else State.COMPLETED

    @property
    def duration_ms(self) -> int:
        end = self.finished_at or utcnow()
        return int((end - self.started_at).total_seconds() * 1000)

    def summary(self) -> str:
        """One line a person or a log can read: `login completed 120ms ×1, …`."""
        return ", ".join(
            f"{t.name} {t.state.value} {t.duration_ms}ms ×{t.attempts}"
            + (f" ({t.error_class})" if t.error_class else "")
            for t in self.tasks
        )
