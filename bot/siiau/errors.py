"""What can go wrong when talking to SIIAU, as the adapter names it.

The classes the rest of the bot hears about live in `bot.core.errors`, below every layer, so the
services and the chat layer name them without importing this adapter (issue 17.4). This module
re-exports them for the adapter's own code and adds what only the adapter tells apart.
`CircuitOpen` and `LoginLimitReached` are the services' (`bot.services.errors`): SIIAU never
raises them.
"""

from __future__ import annotations

from bot.core.errors import (
    AccountLocked,
    CourseNotInOffer,
    InvalidCredentials,
    LayoutChanged,
    LoginUnconfirmed,
    NoSchedule,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauError,
    SiiauErrorPage,
    SiiauPage,
    SiiauUnavailable,
    SurveyPending,
)

__all__ = [
    "AccountLocked",
    "CourseNotInOffer",
    "InvalidCredentials",
    "LayoutChanged",
    "LoginUnconfirmed",
    "NoSchedule",
    "PageNotFound",
    "SessionAlreadyOpen",
    "SessionExpired",
    "SiiauError",
    "SiiauErrorPage",
    "SiiauPage",
    "SiiauUnavailable",
    "SurveyPending",
]


class PageNotFound(LayoutChanged):
    """SIIAU answered 4xx: the page is not where the protocol says (moved, or gone)."""

    status: int = 0  # the HTTP status, when the client knows it
    redirected: bool = False  # answered by the page a redirect led to, not the one asked for
