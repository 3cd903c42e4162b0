"""What can go wrong reading a student's data, in words every layer shares.

The adapters raise these (`bot.siiau` classifies SIIAU's pages into them, `bot.pdf` raises
`RenderError`), the services add their own (`bot.services.errors`, which re-exports this tree as
the chat layer's one entry point), and the chat layer turns each into Spanish. They live here,
below every layer, so that the adapters never import the services and the chat layer never
imports an adapter to name what went wrong (issue 17.4).

SIIAU answers almost every failure with HTTP 200, so the portal's classes come from
classifying page bodies, not status codes. `transient` tells the flow runner
whether trying again later can help; a rejected NIP must never be retried,
because about five of them lock the student's account.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SiiauPage:
    """A page as SIIAU sent it: its bytes and declared type, so a redactor can decode it by
    its own charset. It travels on the `LayoutChanged` it caused, to a capture; it holds
    personal data until `bot.siiau.redact` has masked it, so it is never printed."""

    method: str
    path: str
    status: int
    body: bytes = field(repr=False)
    content_type: str = ""


class SiiauError(Exception):
    """Base class of every portal failure. Messages never carry credentials."""

    transient: bool = False
    counts_against_breaker: bool = False


class InvalidCredentials(SiiauError):
    """SIIAU rejected the code/NIP pair. Permanent: never retried."""


class AccountLocked(SiiauError):
    """Too many failed logins; the student must unlock the account in SIIAU."""


class SiiauUnavailable(SiiauError):
    """Timeout, reset, 5xx or maintenance page: worth trying again later."""

    transient = True
    counts_against_breaker = True


class SessionExpired(SiiauError):
    """The session died mid-run. The workflow logs in again, once."""


class SessionAlreadyOpen(SiiauError):
    """The student has another SIIAU session open (one is allowed)."""


class SurveyPending(SiiauError):
    """SIIAU shows a mandatory survey instead of the requested page."""


class LayoutChanged(SiiauError):
    """A page we do not recognise (new layout, enforced captcha, odd header).

    `fragment` holds a short, credential-free excerpt for the operator; `marker`
    names what was expected and missing; the client adds the `step` and the `path`
    of the request that got the page, so the notice says where SIIAU changed, and the
    `page` itself (unredacted: only `bot.siiau.redact` may write it anywhere).
    """

    def __init__(self, message: str, fragment: str = "", *, marker: str = "") -> None:
        super().__init__(message)
        self.fragment = fragment
        self.marker = marker
        self.step = ""
        self.path = ""
        self.page: SiiauPage | None = None

    @property
    def where(self) -> str:
        """'step · path · missing marker', as far as known."""
        parts = [self.step, self.path, f"falta {self.marker}" if self.marker else ""]
        return " · ".join(part for part in parts if part) or "?"


class LoginUnconfirmed(LayoutChanged):
    """SIIAU answered the credentials with a page that neither accepts nor rejects them
    (the login form again with no alert, an error page). SIIAU may have counted a wrong
    NIP, so the client counts it as an unanswered login (a possible rejection) and it is
    never retried: sending the NIP again could be a second rejection towards the lock."""


class CourseNotInOffer(LayoutChanged):
    """A course of the registration list ("Lista") has no section in the offer, so its
    sessions are unknown. The schedule is refused rather than delivered without it."""


class SiiauErrorPage(SiiauUnavailable):
    """An HTML error page served with HTTP 200 (Oracle, the PL/SQL gateway, Apache).
    Worth trying again later, except in answer to the credentials (`LoginUnconfirmed`)."""

    def __init__(self, message: str, fragment: str = "") -> None:
        super().__init__(message)
        self.fragment = fragment


class NoSchedule(SiiauError):
    """The student has no courses this cycle: a normal answer, not a failure."""


class RenderError(Exception):
    """wkhtmltopdf failed, timed out or printed no PDF."""
