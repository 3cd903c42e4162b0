"""Our guard on the SIIAU logins we send, so nothing we do can lock a student's account.

SIIAU locks an account after about five wrong NIPs in a row, and one Telegram
account can type any code. The rules, for every login the bot sends:

* A code/NIP pair SIIAU rejected is never sent again (remembered as a keyed hash).
* Logins per code per hour are capped (`SIIAU_MAX_LOGINS_PER_HOUR`), and after
  `PER_DAY` (3) possible rejections in 24 hours a code is not tried again that
  day. Both are counted apart for the code's registered owner and for everyone
  else, so others can't spend the owner's allowance.
* *In a row*: every login sent counts as a possible rejection until SIIAU
  answers; an acceptance resets the count to 0 (SIIAU's own count resets too)
  and takes its side's unanswered logins out of the day's count,
  an answer that is neither acceptance nor rejection (an error page) takes its
  own count back, and a rejection or a login SIIAU never answered stays
  counted. The count is kept across restarts and replicas (in the database,
  `bot.store.login_guard`) and only a successful login or an operator resets it, whatever time passes.
* The bot never sends a login that could be the 5th rejection in a row: at
  `MAX_IN_A_ROW` (4) the code is **held** and nothing is sent for it, by
  anyone, until an operator runs `python -m bot release-code CODE` (after the
  student checked their NIP in SIIAU's own page, which resets SIIAU's count).
  Not even the owner's stored NIP is tried while held: it was accepted once,
  but the student may have changed it since, and a rejection would be the 5th.
* Logins typed by anyone who is not the code's registered owner (the Telegram
  account holding that code's working registration) stop one earlier, at
  `OTHERS_IN_A_ROW` (3) in a row. They still count toward the in-a-row total,
  but they can never take it to the hold: the last safe try is kept for the
  owner's stored NIP, so a stranger's wrong NIPs never stop the owner's runs.
  For everyone but the owner, the code is held at 3 until the owner's stored
  NIP logs in (which resets the count) or an operator releases it. (The dialog
  itself stops after 2 rejections: `bot/telegram/handlers/register.py`.)

Refusals: `InvalidCredentials` for a pair rejected before, `CodeHeld` when the
count in a row is at the requester's limit, `LoginLimitReached` for the hourly
and daily caps. None of them reaches SIIAU.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.core.credentials import Credentials, mask_code
from bot.services.errors import CodeHeld, InvalidCredentials, LoginLimitReached
from bot.store.login_guard import MAYBE_REJECTED

log = logging.getLogger(__name__)

MAX_IN_A_ROW = 4  # SIIAU locks at about 5: never send what could be the 5th rejection in a row
OTHERS_IN_A_ROW = 3  # someone else's attempts leave the owner's stored NIP one safe try
PER_DAY = 3  # possible rejections a day, per side (the owner's, everyone else's)


@dataclass(frozen=True, slots=True)
class Requester:
    """Who a login is sent for: the Telegram user, and whether they hold the code's working
    registration (a stored NIP SIIAU has not rejected). Unknown means "not the owner"."""

    user_id: int | None = None
    owner: bool = False


OWNER = Requester(None, owner=True)  # a stored NIP, or one SIIAU has just accepted (orphan sweeps)


class LoginOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNANSWERED = "unanswered"  # SIIAU may have counted it: it stays a possible rejection
    LOCKED = "locked"  # SIIAU says the account is locked: stays counted, the pair is not blamed
    ANSWERED = "answered"  # an answer that was neither: not a rejection


@dataclass(frozen=True, slots=True)
class LoginTicket:
    event_id: int
    code_key: str
    pair_key: str
    owner: bool


class LoginGuard(Protocol):
    async def admit(self, credentials: Credentials, requester: Requester) -> LoginTicket:
        """Count a login as sent, or raise `InvalidCredentials`/`CodeHeld`/`LoginLimitReached`."""
        ...

    async def settle(self, ticket: LoginTicket, outcome: LoginOutcome) -> None: ...


class GuardState(Protocol):
    """Where the counts live: memory (`MemoryGuardState`) or the database (`LoginGuardStore`)."""

    async def reserve(
        self,
        code_key: str,
        pair_key: str,
        *,
        owner: bool,
        now: float,
        max_in_a_row: int,
        per_hour: int,
        per_day: int | None,
    ) -> int | str: ...

    async def settle(
        self, event_id: int, code_key: str, pair_key: str, outcome: str, now: float, *, owner: bool
    ) -> None: ...

    async def in_a_row(self, code_key: str) -> int: ...

    async def last_outcome(self, code_key: str) -> str | None: ...

    async def release(self, code_key: str, now: float) -> int: ...


class KeyedLoginGuard:
    """The rules above over a `GuardState`; codes and pairs are HMAC-SHA256 under `key`."""

    def __init__(
        self, state: GuardState, key: bytes, per_hour: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._state = state
        self._key = key
        self._per_hour = per_hour
        self._clock = clock

    async def admit(self, credentials: Credentials, requester: Requester) -> LoginTicket:
        code_key, pair_key = (
            self.code_key(credentials.code),
            self._hash(f"{credentials.code}\0{credentials.nip}"),
        )
        reserved = await self._state.reserve(
            code_key,
            pair_key,
            owner=requester.owner,
            now=self._clock(),
            max_in_a_row=MAX_IN_A_ROW if requester.owner else OTHERS_IN_A_ROW,
            per_hour=self._per_hour,
            per_day=PER_DAY,
        )
        if isinstance(reserved, int):
            return LoginTicket(reserved, code_key, pair_key, requester.owner)
        if reserved == "pair":
            raise InvalidCredentials("this code/NIP pair was rejected before; not sending it again")
        if reserved == "held":
            log.warning(
                "login guard: code %s held owner=%s user=%s",
                mask_code(credentials.code),
                requester.owner,
                requester.user_id or "-",
            )
            raise CodeHeld("too many logins in a row may have been rejected for this code")
        if reserved == "day":
            raise LoginLimitReached(
                "SIIAU rejected (or left unanswered) several logins for this code today"
            )
        raise LoginLimitReached("too many SIIAU logins for this code in the last hour")

    async def settle(self, ticket: LoginTicket, outcome: LoginOutcome) -> None:
        await self._state.settle(
            ticket.event_id,
            ticket.code_key,
            ticket.pair_key,
            outcome.value,
            self._clock(),
            owner=ticket.owner,
        )

    async def in_a_row(self, code: str) -> int:
        return await self._state.in_a_row(self.code_key(code))

    async def manual_login_refusal(self, code: str) -> str | None:
        """Why a login sent by hand (`python -m bot diagnose`) must wait: "held" (as many
        possible rejections in a row as the guard ever allows), "rejected" (the code's last
        login was rejected, or met a locked account, and nothing was accepted or released
        since), or None."""
        code_key = self.code_key(code)
        in_a_row = await self._state.in_a_row(code_key)
        if in_a_row >= MAX_IN_A_ROW:
            return "held"
        if in_a_row > 0 and await self._state.last_outcome(code_key) in ("rejected", "locked"):
            return "rejected"
        return None

    async def release(self, code: str) -> int:
        """The operator's release of a held code. Returns the count in a row it had."""
        return await self._state.release(self.code_key(code), self._clock())

    def code_key(self, code: str) -> str:
        return self._hash(code)

    def _hash(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()


@dataclass
class _Event:
    code_key: str
    owner: bool
    kind: str
    at: float


@dataclass
class MemoryGuardState:
    """The same counting in one process (`python -m bot fetch`, tests): forgotten on exit."""

    in_row: dict[str, int] = field(default_factory=dict)
    events: dict[int, _Event] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)
    _next_id: int = 0

    async def reserve(
        self,
        code_key: str,
        pair_key: str,
        *,
        owner: bool,
        now: float,
        max_in_a_row: int,
        per_hour: int,
        per_day: int | None,
    ) -> int | str:
        for event_id in [i for i, e in self.events.items() if e.at < now - 2 * 24 * 3600]:
            del self.events[event_id]
        if self.in_row.get(code_key, 0) >= max_in_a_row:
            return "held"
        if pair_key in self.rejected:
            return "pair"
        side = [e for e in self.events.values() if e.code_key == code_key and e.owner == owner]
        if sum(1 for e in side if e.at > now - 3600) >= per_hour:
            return "hour"
        if (
            per_day is not None
            and sum(1 for e in side if e.at > now - 24 * 3600 and e.kind in MAYBE_REJECTED)
            >= per_day
        ):
            return "day"
        self.in_row[code_key] = self.in_row.get(code_key, 0) + 1
        self._next_id += 1
        self.events[self._next_id] = _Event(code_key, owner, "sent", now)
        return self._next_id

    async def settle(
        self, event_id: int, code_key: str, pair_key: str, outcome: str, now: float, *, owner: bool
    ) -> None:
        if event_id in self.events:
            self.events[event_id].kind = outcome
        if outcome == "accepted":
            self.in_row[code_key] = 0
            for (
                event
            ) in self.events.values():  # the logins left unanswered before were not rejections
                if (
                    event.code_key == code_key
                    and event.owner == owner
                    and event.kind == "unanswered"
                ):
                    event.kind = "cleared"
        elif outcome == "answered":
            self.in_row[code_key] = max(0, self.in_row.get(code_key, 0) - 1)
        elif outcome == "rejected":
            self.rejected.add(pair_key)

    async def in_a_row(self, code_key: str) -> int:
        return self.in_row.get(code_key, 0)

    async def last_outcome(self, code_key: str) -> str | None:
        ids = [i for i, e in self.events.items() if e.code_key == code_key]
        return self.events[max(ids)].kind if ids else None

    async def release(self, code_key: str, now: float) -> int:
        return self.in_row.pop(code_key, 0)


def memory_login_guard(per_hour: int, clock: Callable[[], float] = time.time) -> KeyedLoginGuard:
    """A guard for one process, under a key of its own."""
    return KeyedLoginGuard(MemoryGuardState(), secrets.token_bytes(32), per_hour, clock)
