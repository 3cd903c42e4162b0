"""When the work now running began, so a send can tell work begun before an erase.

`/olvidar` wins over every run in flight: a message, edit or document for a student
goes out only if the work sending it began after their last erase. Each unit of
work (an update, a background delivery, a tick) sets its start here; asyncio copies
the context into the tasks it starts, so a run's helpers inherit it.
"""

from __future__ import annotations

import contextvars
import time

_STARTED: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "work_started", default=None
)


def begin_work(at: float | None = None) -> float:
    """The work running in this context begins now (or at `at`); returns that moment."""
    moment = time.time() if at is None else at
    _STARTED.set(moment)
    return moment


def work_started() -> float | None:
    """When the current work began; None for work that never said (it is not held back)."""
    return _STARTED.get()


def fresh_context() -> contextvars.Context:
    """A copy of the current context whose work begins now: for a task started in the background."""
    context = contextvars.copy_context()
    context.run(begin_work)
    return context
