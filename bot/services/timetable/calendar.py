"""The schedule in the student's calendar app: an .ics file, and a live link that follows it.

The file comes from the stored schedule (one run when there is none yet). The live
link's feed serves the stored copy as it is and never waits for SIIAU; an old copy asks
for a refresh through the refresh budget (`ScheduleBook.request_refresh`: anyone with a
link cannot spend the student's logins), so a change reaches Google or Apple Calendar at
a poll after it. A link's token is shown once and stored as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.core.records import utcnow
from bot.schedule.ical import CalendarFile, CalendarWords, build_calendar
from bot.services.errors import NotRegistered
from bot.services.timetable.schedule_book import KnownSchedule, ScheduleBook
from bot.store.calendar_links import CalendarLinkStore

TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
FEED_PATH = "/cal/"
FEED_SUFFIX = ".ics"


@dataclass(frozen=True, slots=True)
class LiveLink:
    """`webcal` for Apple Calendar (and most apps), `url` for Google's "From URL"."""

    webcal: str
    url: str


@dataclass(frozen=True, slots=True)
class LinkState:
    issued: LiveLink | None  # a link made now: shown this once
    since: datetime | None  # the link the student already has (not shown again), when made


@dataclass(frozen=True, slots=True)
class Feed:
    content: bytes
    etag: str  # quoted, from the content
    last_modified: datetime  # when the schedule was read from SIIAU


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class CalendarService:
    def __init__(
        self,
        book: ScheduleBook,
        links: CalendarLinkStore,
        *,
        public_url: str = "",
        words: CalendarWords | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._book = book
        self._links = links
        self._public_url = public_url.strip().rstrip("/")
        self._words = words or CalendarWords.bare()
        self._clock = clock

    @property
    def live(self) -> bool:
        """Live links are on (CALENDAR_PUBLIC_URL is set)."""
        return bool(self._public_url)

    async def file(self, user_id: int) -> CalendarFile:
        """The .ics of the student's schedule (errors as a delivery's: `NotRegistered`…)."""
        return self._build(await self._book.known(user_id))

    async def link(self, user_id: int, *, renew: bool = False) -> LinkState | None:
        """The student's live link: a new one when they have none or `renew` (the old one
        stops working); else when theirs was made. None when live links are off."""
        if not self.live:
            return None
        if not renew:
            created = await self._links.created_ts(user_id)
            if created is not None:
                return LinkState(None, datetime.fromtimestamp(created, UTC))
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not await self._links.issue(user_id, token_hash(token), int(self._clock().timestamp())):
            raise NotRegistered()
        return LinkState(self._live_link(token), None)

    async def revoke(self, user_id: int) -> None:
        await self._links.revoke(user_id)

    async def feed(self, token: str) -> Feed | None:
        """The calendar behind a token, or None: unknown, revoked, malformed, or no stored schedule.

        Every token takes the same path: hashed, looked up by hash, compared in constant time.
        """
        presented = token_hash(token)
        owner = await self._links.owner(presented)
        if owner is None or not hmac.compare_digest(owner.token_hash, presented):
            return None
        known = await self._book.stored(owner.user_id)
        if known is None:
            return None
        calendar = self._build(known)
        etag = '"' + hashlib.sha256(calendar.content).hexdigest()[:32] + '"'
        return Feed(calendar.content, etag, known.read_at.astimezone(UTC).replace(microsecond=0))

    def _build(self, known: KnownSchedule) -> CalendarFile:
        return build_calendar(
            known.schedule,
            self._book.days_off,
            self._book.zone,
            stamp=known.read_at,
            words=self._words,
        )

    def _live_link(self, token: str) -> LiveLink:
        parts = urlsplit(self._public_url)
        path = f"{parts.path.rstrip('/')}{FEED_PATH}{token}{FEED_SUFFIX}"
        return LiveLink(
            f"webcal://{parts.netloc}{path}", f"{self._public_url}{FEED_PATH}{token}{FEED_SUFFIX}"
        )
