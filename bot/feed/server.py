"""`GET`/`HEAD /cal/<token>.ics`: each student's live calendar, on a server of its own.

A small asyncio server in the style of the ops and webhook fronts; it is meant to sit
behind the operator's HTTPS reverse proxy (`CALENDAR_PUBLIC_URL`). In order:

1. the request line and headers must arrive within `header_timeout` and fit in 16 KiB;
2. only `/cal/<token>.ics` exists (404 for any other path, 405 for other methods there);
3. each token gets `requests_per_minute` (429 with Retry-After beyond it);
4. the token is hashed and looked up by hash: unknown, revoked and malformed tokens all
   take that one path and get the same 404 body;
5. the calendar comes with an ETag (from its content) and Last-Modified (when the
   schedule was read); If-None-Match, or else If-Modified-Since, can answer 304.

Logs name the method and the status, never the token or whose calendar it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from bot.core.http_front import TrackedServer, parse_head
from bot.services.calendar import FEED_PATH, FEED_SUFFIX, Feed, token_hash

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
MAX_TRACKED_TOKENS = 10_000
NOT_FOUND = b"not found\n"
REASONS = {
    200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 503: "Service Unavailable",
}  # fmt: skip
COMMON_HEADERS = {
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

FeedSource = Callable[[str], Awaitable[Feed | None]]


class RateLimiter:
    """At most `per_minute` requests per key in any 60 s; keys are token hashes."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def admit(self, key: str) -> float:
        """0 when admitted, else the seconds until the next request would be."""
        now = self._clock()
        stamps = self._seen.setdefault(key, deque())
        while stamps and now - stamps[0] >= WINDOW_SECONDS:
            stamps.popleft()
        if len(stamps) >= self._limit:
            return WINDOW_SECONDS - (now - stamps[0])
        stamps.append(now)
        self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        if len(self._seen) <= MAX_TRACKED_TOKENS:
            return
        for key in [k for k, s in self._seen.items() if not s or now - s[-1] >= WINDOW_SECONDS]:
            del self._seen[key]
        while len(self._seen) > MAX_TRACKED_TOKENS:  # the oldest first: dicts keep insertion order
            del self._seen[next(iter(self._seen))]


class Answer:
    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._feed = feed
        self._limiter = RateLimiter(requests_per_minute, clock)
        self._header_timeout = header_timeout
        self._front = TrackedServer(self._serve)

    @property
    def port(self) -> int:
        return self._front.port

    async def start(self, host: str, port: int) -> None:
        await self._front.start(host, port)
        log.info("calendar feed on %s:%d", host, self.port)

    async def stop(self) -> None:
        await self._front.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method = "-"
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._header_timeout)
            except (asyncio.LimitOverrunError, ValueError):
                answer = Answer(431)
            else:
                method, answer = await self._answer(head)
            await self._write(writer, method, answer)
            log.info("calendar feed %s status=%d bytes=%d", method[:8], answer.status, len(answer.body))
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass  # too slow, or gone: close without a word
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)

    async def _answer(self, head: bytes) -> tuple[str, Answer]:
        request = parse_head(head)
        if request is None:
            return "-", Answer(400)
        method, headers, path = request.method, request.headers, request.path
        if not (path.startswith(FEED_PATH) and path.endswith(FEED_SUFFIX)):
            return method, Answer(404, NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"})
        if method not in ("GET", "HEAD"):
            return method, Answer(405, headers={"Allow": "GET, HEAD"})
        token = path[len(FEED_PATH) : -len(FEED_SUFFIX)]
        wait = self._limiter.admit(token_hash(token))
        if wait > 0:
            return method, Answer(429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        try:
            feed = await self._feed(token)
        except Exception as error:  # noqa: BLE001 - the calendar app retries at its next poll
            log.warning("calendar feed failed: %s", type(error).__name__)
            return method, Answer(503, headers={"Retry-After": "60"})
        if feed is None:
            return method, Answer(404, NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"})
        validators = {"ETag": feed.etag, "Last-Modified": http_date(feed.last_modified)}
        if not_modified(headers, feed):
            return method, Answer(304, headers=validators)
        return method, Answer(200, feed.content, {"Content-Type": "text/calendar; charset=utf-8", **validators})

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
