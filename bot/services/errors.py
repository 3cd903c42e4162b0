"""Every error the chat layer may name: the one error module `bot/telegram/` imports.

Three kinds, one vocabulary (issue 17.4):
- the services' own: a request refused before any run (`ServiceRefusal`), a run that failed
  (`FlowFailed`), a send that failed, and the services' guards on SIIAU (`CircuitOpen`,
  `LoginLimitReached`, `CodeHeld`), raised here and never by the adapter;
- what the adapters report and a student must hear about (a rejected NIP, SIIAU down or changed,
  a PDF that failed…): the tree in `bot.core.errors`, re-exported, so the chat layer names them
  without importing `bot.siiau` or `bot.pdf`;
- `CredentialsUndecryptable`, from the store, which reaches the chat layer through a delivery.
"""

from __future__ import annotations

from bot.core.errors import (
    AccountLocked,
    CourseNotInOffer,
    InvalidCredentials,
    LayoutChanged,
    LoginUnconfirmed,
    NoSchedule,
    RenderError,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauError,
    SiiauErrorPage,
    SiiauUnavailable,
    SurveyPending,
)
from bot.core.records import FlowRun
from bot.store.crypto import CredentialsUndecryptable

__all__ = [
    "AccountLocked",
    "AlreadyRunning",
    "CircuitOpen",
    "CodeHeld",
    "CourseNotInOffer",
    "CredentialsRejected",
    "CredentialsUndecryptable",
    "FlowFailed",
    "InvalidCredentials",
    "LayoutChanged",
    "LoginLimitReached",
    "LoginUnconfirmed",
    "NoSchedule",
    "NotRegistered",
    "RateLimited",
    "RecipientGone",
    "RenderError",
    "SendFailed",
    "ServiceRefusal",
    "SessionAlreadyOpen",
    "SessionExpired",
    "SiiauError",
    "SiiauErrorPage",
    "SiiauUnavailable",
    "SurveyPending",
]


class CircuitOpen(SiiauUnavailable):
    """SIIAU failed repeatedly for everyone; the flow runner's breaker is giving it a rest."""

    counts_against_breaker = False


class LoginLimitReached(SiiauError):
    """Our own cap on login attempts per student was reached (the login guard's)."""


class CodeHeld(LoginLimitReached):
    """Too many logins in a row may have been rejected for this code: we stopped sending any."""


class ServiceRefusal(Exception):
    """Base class: the request was not carried out, and SIIAU was not contacted."""


class NotRegistered(ServiceRefusal):
    pass


class CredentialsRejected(ServiceRefusal):
    """SIIAU rejected the stored NIP before; it is not tried again until re-registration."""


class AlreadyRunning(ServiceRefusal):
    pass


class RateLimited(ServiceRefusal):
    pass


class FlowFailed(Exception):
    """A recorded run ended in an error, which is this exception's `__cause__`.

    The workflow raises it as `raise FlowFailed(run) from error` (in the style of
    httpx's `HTTPError.request`), so the finished run travels with the failure,
    typed, instead of being stuck onto the domain error. It is the contract between
    the workflow and the services: a service records `run` and re-raises `cause`,
    so the chat layer and the weekly service match on domain errors
    (`InvalidCredentials`, `NoSchedule`, `SiiauUnavailable`, …; named above) and their retry
    policy (`transient`, `counts_against_breaker`) stays theirs. Cancellation is
    never wrapped: it is not a failure of the run.
    """

    def __init__(self, run: FlowRun) -> None:
        super().__init__(f"flow run {run.id} '{run.name}' ended {run.outcome}")
        self.run = run

    @property
    def cause(self) -> Exception:
        """The domain error that ended the run."""
        cause = self.__cause__
        if not isinstance(cause, Exception):
            raise TypeError("FlowFailed must be raised `from` the error that ended the run")
        return cause


class SendFailed(Exception):
    """The chat platform did not take the message; `transient` says if later may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class RecipientGone(Exception):
    """The user blocked the bot or deleted the chat."""
