"""The services' own errors: a request refused before any run, a run that failed, a send that failed."""

from __future__ import annotations

from bot.core.records import FlowRun
from bot.store.crypto import CredentialsUndecryptable

__all__ = [
    "AlreadyRunning",
    "CredentialsRejected",
    "CredentialsUndecryptable",
    "FlowFailed",
    "NotRegistered",
    "RateLimited",
    "RecipientGone",
    "SendFailed",
    "ServiceRefusal",
]
# `CredentialsUndecryptable` comes from the store and reaches the chat layer through a
# delivery; it is named here so that the chat layer knows errors through services only.


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
    (`InvalidCredentials`, `NoSchedule`, `SiiauUnavailable`, …) and their retry
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
