"""Per-student limits on the SIIAU logins we send (see `LoginBudget`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable

from bot.core.credentials import Credentials
from bot.siiau.errors import InvalidCredentials, LoginLimitReached


class LoginBudget:
    """Our own guard on SIIAU logins, so nothing we do can lock a student's account.

    It caps logins per student per hour; it remembers every code/NIP pair SIIAU
    rejected (as a keyed hash, never the NIP) so that pair is not sent again; and
    after `MAX_REJECTIONS_PER_DAY` rejected NIPs for one code it stops trying that
    code for a day, well before SIIAU's lock at about five. A login SIIAU never
    answered may have been a rejection we did not see, so it counts as one until a
    login with that code succeeds.
    """

    MAX_REJECTIONS_PER_DAY = 3

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_hour = per_hour
        self._clock = clock
        self._attempts: dict[str, deque[float]] = {}
        self._rejections: dict[str, deque[float]] = {}
        self._unanswered: dict[str, deque[float]] = {}
        self._key = secrets.token_bytes(32)
        self._rejected: set[bytes] = set()

    def spend(self, credentials: Credentials) -> None:
        if self._fingerprint(credentials) in self._rejected:
            raise InvalidCredentials("this code/NIP pair was rejected before; not sending it again")
        now = self._clock()
        day = 24 * 3600
        maybe_rejected = _recent(self._rejections, credentials.code, now, day)
        if len(maybe_rejected) + len(_recent(self._unanswered, credentials.code, now, day)) >= self.MAX_REJECTIONS_PER_DAY:
            raise LoginLimitReached("SIIAU rejected (or left unanswered) several logins for this student today")
        window = _recent(self._attempts, credentials.code, now, 3600)
        if len(window) >= self._per_hour:
            raise LoginLimitReached("too many SIIAU logins for this student in the last hour")
        window.append(now)

    def rejected(self, credentials: Credentials) -> None:
        self._rejected.add(self._fingerprint(credentials))
        _recent(self._rejections, credentials.code, self._clock(), 24 * 3600).append(self._clock())

    def unanswered(self, credentials: Credentials) -> None:
        _recent(self._unanswered, credentials.code, self._clock(), 24 * 3600).append(self._clock())

    def accepted(self, credentials: Credentials) -> None:
        """SIIAU took this code's NIP: the unanswered logins before were not rejections."""
        self._unanswered.pop(credentials.code, None)

    def _fingerprint(self, credentials: Credentials) -> bytes:
        pair = f"{credentials.code}\0{credentials.nip}".encode()
        return hmac.new(self._key, pair, hashlib.sha256).digest()


def _recent(log: dict[str, deque[float]], key: str, now: float, window: float) -> deque[float]:
    """The events of `key` within the last `window` seconds (older ones dropped)."""
    events = log.setdefault(key, deque())
    while events and now - events[0] > window:
        events.popleft()
    return events
