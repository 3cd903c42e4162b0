"""The interface every student-portal adapter implements.

The rest of the bot talks to `Portal`, so a successor platform to SIIAU can be
added as a second adapter without touching the workflow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.credentials import Credentials
from bot.schedule.model import Schedule


@dataclass(frozen=True, slots=True)
class Career:
    code: str
    name: str


class SchedulePage(Protocol):
    """A schedule page as the portal sent it. Only its adapter knows how to read it."""

    def schedule(self) -> Schedule:
        """The typed schedule; raises `LayoutChanged` on a page the adapter does not know."""
        ...


class Portal(Protocol):
    # Login requests that went out and got no answer: the portal may have opened a
    # session whose cookie we never saw (logging out cannot close it), or counted a
    # wrong NIP we never heard about.
    unanswered_logins: int

    async def login(
        self, credentials: Credentials, on_accepted: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """`on_accepted` is awaited once, the moment the portal accepts the credentials,
        while the login goes on (the student hears the verdict without waiting for the rest)."""
        ...

    async def careers(self) -> list[Career]: ...

    async def schedule_page(self, career: str, cycle: str | None = None) -> SchedulePage: ...

    async def logout(self) -> None: ...

    async def aclose(self) -> None: ...
