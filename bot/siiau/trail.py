"""The last page SIIAU sent in this task, so a `LayoutChanged` can carry the page it is about.

The clients note each answer (`saw`); `attaching()` wraps one step (its request and the
parsing of its answer) and, when the step raises `LayoutChanged`, puts on the error the
page that step received, already redacted (`bot.siiau.redact`): nothing personal stays
on an exception that may travel far. A context variable keeps concurrent runs apart:
each asyncio task sees only its own requests. A step whose requests ran in other
tasks finds no page of its own and carries none, rather than someone else's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.siiau import redact
from bot.siiau.errors import LayoutChanged, SiiauPage

_LAST: ContextVar[SiiauPage | None] = ContextVar("siiau_last_page", default=None)


def saw(page: SiiauPage) -> None:
    _LAST.set(page)


def last() -> SiiauPage | None:
    return _LAST.get()


def attach(error: LayoutChanged, page: SiiauPage | None, secrets: tuple[str, ...] = ()) -> None:
    """Give `error` its page (redacted; `secrets` masked in every form) unless it has one."""
    if error.page is None and page is not None:
        error.page = redact.redacted(page, secrets)


@contextmanager
def attaching(secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Around one step: a `LayoutChanged` raised in it carries the last page the step got."""
    token = _LAST.set(None)
    try:
        yield
    except LayoutChanged as error:
        attach(error, _LAST.get(), secrets)
        raise
    finally:
        try:
            _LAST.reset(token)
        except ValueError:  # set in another context (a generator resumed elsewhere): leave it
            pass
