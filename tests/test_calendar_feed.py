"""The live calendar over real HTTP on loopback: tokens, 304s, 404s that tell nothing, the rate limit."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar

from bot.bootstrap import build_delivery, build_stores
from bot.core.credentials import Credentials
from bot.feed.server import CalendarFeedServer, RateLimiter
from bot.schedule import codec
from bot.schedule.days_off import DaysOff
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.runtime.gate import UserGate
from bot.services.timetable.calendar import CalendarService, token_hash
from bot.services.timetable.schedule_book import ScheduleBook
from bot.store.calendar_links import CalendarLinkStore
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from bot.store.schedules import ScheduleStore
from tests.weekly_kit import ZONE, Clock

USER, OTHER = 501, 502
PER_MINUTE = 10
READ_AT = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)


def a_schedule(name: str, room: str = "A002") -> Schedule:
    session = Session(
        (Day.MONDAY, Day.WEDNESDAY),
        time(7),
        time(8, 55),
        "DEDX",
        room,
        "PROF, UNA",
        date(2026, 8, 17),
        date(2026, 12, 12),
    )
    return Schedule(
        "202620",
        "2026-B",
        name,
        "219294382",
        "INCO",
        "INGENIERIA",
        (Course("179961", "I7036", "COMPUTACION TOLERANTE A FALLAS", "D06", 8, (session,)),),
    )


class Ticks:
    """The rate limiter's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Feed:
    store: Store
    calendar: CalendarService
    book: ScheduleBook
    server: CalendarFeedServer
    http: httpx.AsyncClient
    clock: Clock
    ticks: Ticks
    refreshes: list[int]
    db: Path

    async def keep(self, user_id: int, schedule: Schedule, read_at: datetime) -> None:
        await ScheduleStore(self.store.engine, self.store.cipher).save(
            user_id, codec.dumps(schedule), schedule.content_hash, int(read_at.timestamp())
        )

    async def new_link(self, user_id: int) -> str:
        state = await self.calendar.link(user_id, renew=True)
        assert state is not None and state.issued is not None
        assert state.issued.webcal.startswith("webcal://bot.example.mx/cal/")
        return urlsplit(state.issued.url).path


@pytest.fixture
async def feed(tmp_path: Path) -> AsyncIterator[Feed]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/f.db")
    await migrate(engine)
    store = Store(engine, CredentialCipher([CredentialCipher.generate_key()]))
    for user in (USER, OTHER):
        await store.save_credentials(
            user, user, Credentials(f"21929438{user % 10}", "zq9nip7x"), "INCO", "X"
        )
    clock = Clock(READ_AT + timedelta(hours=1))
    stores = build_stores(engine, store.cipher)
    delivery = build_delivery(stores, None, UserGate(3))  # type: ignore[arg-type]  # stored copies only
    refreshes: list[int] = []

    async def refresh(user_id: int, *, count: bool = False) -> Schedule:
        refreshes.append(user_id)
        return a_schedule("ALUMNA, UNA")

    delivery.refresh = refresh  # type: ignore[method-assign]
    book = ScheduleBook(delivery, DaysOff(), ZONE, timedelta(days=7), clock=clock)
    calendar = CalendarService(
        book, CalendarLinkStore(engine), public_url="https://bot.example.mx", clock=clock
    )
    ticks = Ticks()
    server = CalendarFeedServer(
        calendar.feed, requests_per_minute=PER_MINUTE, header_timeout=5, clock=ticks
    )
    await server.start("127.0.0.1", 0)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30)
    kit = Feed(store, calendar, book, server, http, clock, ticks, refreshes, tmp_path / "f.db")
    await kit.keep(USER, a_schedule("ALUMNA, UNA"), READ_AT)
    await kit.keep(OTHER, a_schedule("OTRO, ALUMNO", room="B777"), READ_AT)
    yield kit
    await http.aclose()
    await server.stop()
    await book.aclose()
    await engine.dispose()


async def test_a_token_gives_the_calendar_then_304_while_unchanged(feed: Feed) -> None:
    path = await feed.new_link(USER)
    token = path.removeprefix("/cal/").removesuffix(".ics")
    assert len(token) >= 43, "at least 256 random bits, URL-safe"
    first = await feed.http.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["last-modified"] == "Mon, 10 Aug 2026 12:00:00 GMT"
    [event] = Calendar.from_ical(first.content).walk("VEVENT")
    assert str(event["LOCATION"]) == "DEDX A002", "the caller's own schedule"
    etag = first.headers["etag"]
    assert (await feed.http.get(path, headers={"If-None-Match": etag})).status_code == 304
    assert (
        await feed.http.get(path, headers={"If-None-Match": f'W/{etag}, "x"'})
    ).status_code == 304
    since = await feed.http.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304 and since.content == b"" and since.headers["etag"] == etag
    stale = await feed.http.get(path, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content
    head = await feed.http.head(path)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-length"] == str(len(first.content))

    # A new read of the schedule (a room changed) reaches the calendar at its next poll.
    feed.clock.advance(days=1)
    await feed.keep(USER, a_schedule("ALUMNA, UNA", room="LC05"), feed.clock())
    changed = await feed.http.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert str(Calendar.from_ical(changed.content).walk("VEVENT")[0]["LOCATION"]) == "DEDX LC05"
    assert feed.refreshes == [], "a fresh copy: no SIIAU refresh"


async def test_an_old_copy_is_served_and_refreshed_behind(feed: Feed) -> None:
    path = await feed.new_link(USER)
    feed.clock.advance(days=8)
    answer = await feed.http.get(path)
    assert (
        answer.status_code == 200
        and answer.headers["last-modified"] == "Mon, 10 Aug 2026 12:00:00 GMT"
    )
    await feed.book.settle()
    assert feed.refreshes == [USER]


async def test_unknown_malformed_and_revoked_tokens_get_one_same_404(
    feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    revoked = await feed.new_link(USER)
    current = await feed.new_link(USER)  # /calendario nuevo: the old link stops working
    other = await feed.new_link(OTHER)
    unknown = "/cal/" + "A" * 43 + ".ics"
    malformed = "/cal/%00..%2F';--<x>.ics"
    answers = [await feed.http.get(p) for p in (revoked, unknown, malformed, "/cal/.ics")]
    assert [a.status_code for a in answers] == [404] * 4
    assert len({a.content for a in answers}) == 1 and b"ALUMN" not in answers[0].content
    assert len({tuple(sorted(a.headers.items())) for a in answers}) == 1, (
        "identical answers, headers too"
    )
    assert (await feed.http.get(current)).status_code == 200
    assert (
        "B777" in (await feed.http.get(other)).text
        and "B777" not in (await feed.http.get(current)).text
    )
    for path in ("/", "/metrics", "/healthz", "/cal/x.txt", current.removesuffix(".ics")):
        assert (await feed.http.get(path)).status_code == 404, path
    posted = await feed.http.post(current, content=b"x")
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("bot.")
    )  # not the test's client
    assert "calendar feed refused 404=1" in ours, "refusals as a sampled counter"
    for path in (revoked, current, other):
        assert path.split("/")[-1].removesuffix(".ics") not in ours, "a token in the logs"
    assert "ALUMN" not in ours and "B777" not in ours


async def test_each_token_is_rate_limited(feed: Feed) -> None:
    mine, theirs = await feed.new_link(USER), await feed.new_link(OTHER)
    for _ in range(PER_MINUTE):
        assert (await feed.http.get(mine)).status_code == 200
    refused = await feed.http.get(mine)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert (await feed.http.get(theirs)).status_code == 200, "another token has its own allowance"
    feed.ticks.now += 30
    assert (await feed.http.get(mine)).headers["retry-after"] == "30"
    feed.ticks.now += 30
    assert (await feed.http.get(mine)).status_code == 200


async def test_forget_kills_the_link_and_only_a_hash_was_stored(feed: Feed) -> None:
    path = await feed.new_link(USER)
    token = path.removeprefix("/cal/").removesuffix(".ics")
    assert (await feed.http.get(path)).status_code == 200
    with sqlite3.connect(feed.db) as db:
        assert db.execute(
            "SELECT token_hash FROM calendar_links WHERE user_id = ?", (USER,)
        ).fetchone() == (token_hash(token),)
    for file in feed.db.parent.glob("f.db*"):
        assert token.encode() not in file.read_bytes(), file
    await feed.store.forget(USER)
    assert (await feed.http.get(path)).status_code == 404
    with sqlite3.connect(feed.db) as db:
        assert db.execute(
            "SELECT COUNT(*) FROM calendar_links WHERE user_id = ?", (USER,)
        ).fetchone() == (0,)


async def test_a_link_is_shown_once_and_renewing_needs_asking(feed: Feed) -> None:
    first = await feed.calendar.link(USER)
    assert first is not None and first.issued is not None
    again = await feed.calendar.link(USER)
    assert again is not None and again.issued is None and again.since == feed.clock()
    off = CalendarService(feed.book, CalendarLinkStore(feed.store.engine), public_url="")
    assert not off.live and await off.link(USER) is None


def test_the_rate_limiter_forgets_idle_tokens() -> None:
    ticks = Ticks()
    limiter = RateLimiter(1, ticks)
    assert limiter.admit("a") == 0 and limiter.admit("a") == 60
    ticks.now += 59.5
    assert limiter.admit("a") == pytest.approx(0.5)
    ticks.now += 0.5
    assert limiter.admit("a") == 0
