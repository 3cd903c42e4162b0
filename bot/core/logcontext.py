"""Fields every log line of the current task carries (user id, run id), via contextvars."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_FIELDS: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "log_fields", default=None
)


def current() -> dict[str, object]:
    return _FIELDS.get() or {}


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    token = _FIELDS.set({**current(), **fields})
    try:
        yield
    finally:
        _FIELDS.reset(token)
