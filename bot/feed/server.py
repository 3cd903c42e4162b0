"""`GET`/`HEAD /cal/<token>.ics`: each student's live calendar, on a server of its own.

A small asyncio server in the style of the ops and webhook fronts; it is meant to sit
behind the operator's HTTPS reverse proxy (`CALENDAR_PUBLIC_URL`). In order:

0. at most `max_connections` are open at once: one more is closed without a word;
1. the request line and headers must arrive within `header_timeout` and fit in 16 KiB;
2. only `/cal/<token>.ics` exists (404 for any other path, 405 for other methods there);
3. each known token gets `requests_per_minute` (429 with Retry-After beyond it); the
   tokens it tracks are a bounded LRU that only known tokens enter, so a flood of made-up
   tokens cannot make it forget one at its limit. Unknown tokens are limited per client
   address instead (`unknown_per_minute`);
4. the token is hashed and looked up by hash: unknown, revoked and malformed tokens all
   take that one path and get the same 404 body;
5. the calendar comes with an ETag (from its content) and Last-Modified (when the
   schedule was read); If-None-Match, or else If-Modified-Since, can answer 304.

Logs name the method and the status, never the token or whose calendar it was. Refusals
(404, 429, 400, 431, closed connections) are counted and logged as one line a minute at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from bot.core.http_front import TrackedServer, parse_head
from bot.services.timetable.calendar import FEED_PATH, FEED_SUFFIX, Feed, token_hash

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
MAX_TRACKED_TOKENS = 10_000
NOT_FOUND = b"not found\n"
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
COMMON_HEADERS = {
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

FeedSource = Callable[[str], Awaitable[Feed | None]]


class RateLimiter:
    """At most `per_minute` requests per key in any 60 s, for the `max_keys` keys used last
    (an LRU: a key not seen for a while is the first forgotten)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_TOKENS,
    ) -> None:
        self._limit = per_minute
        self._clock = clock
        self._max_keys = max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def wait(self, key: str) -> float:
        """Seconds until `key` may be admitted (0: now), without counting a request."""
        stamps = self._seen.get(key)
        if stamps is None:
            return 0.0
        now = self._clock()
        while stamps and now - stamps[0] >= WINDOW_SECONDS:
            stamps.popleft()
        return WINDOW_SECONDS - (now - stamps[0]) if len(stamps) >= self._limit else 0.0

    def admit(self, key: str) -> float:
        """0 when admitted (and counted), else the seconds until the next request would be."""
        wait = self.wait(key)
        if wait > 0:
            self._seen.move_to_end(key)
            return wait
        self._seen.setdefault(key, deque()).append(self._clock())
        self._seen.move_to_end(key)
        while len(self._seen) > self._max_keys:
            self._seen.popitem(last=False)
        return 0.0


class SampledLog:
    """Refusals counted by status, written as one line per `every` seconds at most."""

    def __init__(
        self, every: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._clock = clock
        self._counts: Counter[str] = Counter()
        self._since: float | None = None
        self.total: Counter[str] = Counter()

    def count(self, what: str) -> None:
        self._counts[what] += 1
        self.total[what] += 1
        now = self._clock()
        if self._since is None:
            self._since = now
            self._flush()
        elif now - self._since >= self._every:
            self._since = now
            self._flush()

    def _flush(self) -> None:
        counts = " ".join(f"{what}={n}" for what, n in sorted(self._counts.items()))
        log.info("calendar feed refused %s (counted; one line a minute at most)", counts)
        self._counts.clear()


class Answer:
    def __init__(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


class CalendarFeedServer:
    def __init__(
        self,
        feed: FeedSource,
        *,
        requests_per_minute: int,
        header_timeout: float,
        max_connections: int = 200,
        unknown_per_minute: int = 60,
        tracked_tokens: int = MAX_TRACKED_TOKENS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._feed = feed
        self._limiter = RateLimiter(requests_per_minute, clock, tracked_tokens)  # known tokens only
        self._unknown = RateLimiter(unknown_per_minute, clock)  # unknown tokens, by client address
        self._header_timeout = header_timeout
        self._max_connections = max_connections
        self._open = 0
        self.refused = SampledLog(clock=clock)
        self._front = TrackedServer(self._serve)

    @property
    def port(self) -> int:
        return self._front.port

    async def start(self, host: str, port: int) -> None:
        await self._front.start(host, port)
        log.info("calendar feed on %s:%d", host, self.port)

    async def stop(self) -> None:
        await self._front.stop()

    @property
    def open_connections(self) -> int:
        return self._open

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._open >= self._max_connections:
            self.refused.count("over_max_connections")
            writer.close()
            return
        self._open += 1
        method = "-"
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._header_timeout)
            except (asyncio.LimitOverrunError, ValueError):
                answer = Answer(431)
            else:
                method, answer = await self._answer(head, _address(writer))
            await self._write(writer, method, answer)
            if answer.status in (200, 304):
                log.info(
                    "calendar feed %s status=%d bytes=%d",
                    method[:8],
                    answer.status,
                    len(answer.body),
                )
            else:
                self.refused.count(str(answer.status))
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            self.refused.count("dropped")  # too slow, or gone: close without a word
        finally:
            self._open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)

    async def _answer(self, head: bytes, address: str = "-") -> tuple[str, Answer]:
        request = parse_head(head)
        if request is None:
            return "-", Answer(400)
        method, headers, path = request.method, request.headers, request.path
        if not (path.startswith(FEED_PATH) and path.endswith(FEED_SUFFIX)):
            return method, Answer(404, NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"})
        if method not in ("GET", "HEAD"):
            return method, Answer(405, headers={"Allow": "GET, HEAD"})
        token = path[len(FEED_PATH) : -len(FEED_SUFFIX)]
        key = token_hash(token)
        # A token known before counts against itself; any other first against the client's
        # address, so made-up tokens spend that address's allowance and never the LRU's room.
        wait = self._limiter.admit(key) if key in self._limiter else self._unknown.wait(address)
        if wait > 0:
            return method, _too_many(wait)
        try:
            feed = await self._feed(token)
        except Exception as error:  # noqa: BLE001 - the calendar app retries at its next poll
            log.warning("calendar feed failed: %s", type(error).__name__)
            return method, Answer(503, headers={"Retry-After": "60"})
        if feed is None:
            self._unknown.admit(address)
            return method, Answer(404, NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"})
        if key not in self._limiter:
            self._limiter.admit(key)
        validators = {"ETag": feed.etag, "Last-Modified": http_date(feed.last_modified)}
        if not_modified(headers, feed):
            return method, Answer(304, headers=validators)
        return method, Answer(
            200, feed.content, {"Content-Type": "text/calendar; charset=utf-8", **validators}
        )

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, method: str, answer: Answer) -> None:
        fields = {**COMMON_HEADERS, **answer.headers}
        if answer.status != 304:
            fields["Content-Length"] = str(len(answer.body))
        fields["Connection"] = "close"
        head = f"HTTP/1.1 {answer.status} {REASONS[answer.status]}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
        body = b"" if method == "HEAD" or answer.status == 304 else answer.body
        writer.write(head.encode("latin-1") + body)
        await asyncio.wait_for(writer.drain(), 30)


def _too_many(wait: float) -> Answer:
    return Answer(429, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _address(writer: asyncio.StreamWriter) -> str:
    """The client's address (behind a reverse proxy, the proxy's: unknown tokens then share one limit)."""
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "-"


def not_modified(headers: dict[str, str], feed: Feed) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present; else If-Modified-Since."""
    if "if-none-match" in headers:
        tags = [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
        return "*" in tags or feed.etag in tags
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return feed.last_modified <= moment.astimezone(UTC)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)
