"""Why a service refused to start a run (as opposed to a run that failed)."""

from __future__ import annotations


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


class SendFailed(Exception):
    """The chat platform did not take the message; `transient` says if later may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class RecipientGone(Exception):
    """The user blocked the bot or deleted the chat."""
