"""The calendar feed cannot spend a student's SIIAU logins, and holds up under a flood.

A feed request serves the stored copy as it is and never waits for SIIAU; an old copy
asks for a refresh through the budget (one per SCHEDULE_MAX_AGE_DAYS, one a day after
a failure), kept in the database so a restart does not reset it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import build_delivery, build_stores
from bot.core.credentials import Credentials
from bot.feed.server import CalendarFeedServer
from bot.schedule import codec
from bot.schedule.days_off import DaysOff
from bot.schedule.model import Schedule
from bot.services.runtime.erasure import EraseLedger
from bot.services.runtime.gate import UserGate
from bot.services.timetable.calendar import CalendarService, Feed
from bot.services.timetable.refresh_budget import StoredRefreshBudget
from bot.services.timetable.schedule_book import ScheduleBook
from bot.siiau.errors import SiiauUnavailable
from bot.store.calendar_links import CalendarLinkStore
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.erasures import ErasureStore
from bot.store.refresh_budget import RefreshBudgetStore
from bot.store.repository import Store
from tests.helpers import until
from tests.test_calendar_feed import READ_AT, USER, Ticks, a_schedule
from tests.weekly_kit import ZONE, Clock

MAX_AGE = timedelta(days=7)


class FailingSiiau:
    """`DeliveryService.refresh` as SIIAU failing for the student: each call is one login,
    held until `release` so a test can see the feed answer while it runs."""

    def __init__(self) -> None:
        self.logins = 0
        self.released = asyncio.Event()

    async def refresh(self, user_id: int, *, count: bool = False) -> Schedule:
        self.logins += 1
        await self.released.wait()
        raise SiiauUnavailable("down")


class Kit:
    def __init__(self, tmp_path: Path) -> None:
        self.engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/f.db")
        self.stores = build_stores(self.engine, CredentialCipher([CredentialCipher.generate_key()]))
        self.store = self.stores.users
        self.clock = Clock(
            READ_AT + timedelta(days=8)
        )  # the stored copy is past SCHEDULE_MAX_AGE_DAYS
        self.siiau = FailingSiiau()
        self.books: list[ScheduleBook] = []

    def book(self) -> ScheduleBook:
        """A process's schedule book; a second one is a restart (or another replica)."""
        delivery = build_delivery(self.stores, None, UserGate(3))  # type: ignore[arg-type]  # stored copies only
        delivery.refresh = self.siiau.refresh  # type: ignore[method-assign]
        budget = StoredRefreshBudget(RefreshBudgetStore(self.engine), int(MAX_AGE.total_seconds()))
        book = ScheduleBook(delivery, DaysOff(), ZONE, MAX_AGE, clock=self.clock, budget=budget)
        self.books.append(book)
        return book


@pytest.fixture
async def kit(tmp_path: Path) -> AsyncIterator[Kit]:
    kit = Kit(tmp_path)
    await migrate(kit.engine)
    await kit.store.save_credentials(USER, USER, Credentials("219294381", "zq9nip7x"), "INCO", "X")
    schedule = a_schedule("ALUMNA, UNA")
    await kit.stores.schedules.save(
        USER, codec.dumps(schedule), schedule.content_hash, int(READ_AT.timestamp())
    )
    yield kit
    kit.siiau.released.set()
    for book in kit.books:
        await book.aclose()
    await kit.engine.dispose()


async def serve(kit: Kit, book: ScheduleBook) -> tuple[CalendarFeedServer, httpx.AsyncClient, str]:
    calendar = CalendarService(
        book, CalendarLinkStore(kit.engine), public_url="https://bot.example.mx", clock=kit.clock
    )
    server = CalendarFeedServer(calendar.feed, requests_per_minute=1000, header_timeout=5)
    await server.start("127.0.0.1", 0)
    state = await calendar.link(USER, renew=True)
    assert state is not None and state.issued is not None
    path = "/cal/" + state.issued.url.rsplit("/cal/", 1)[1]
    return server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30), path


async def poll(http: httpx.AsyncClient, path: str, times: int) -> None:
    for _ in range(times):
        answer = await http.get(path)
        assert answer.status_code == 200, "the stored copy, as it is"
        assert answer.headers["last-modified"] == "Mon, 10 Aug 2026 12:00:00 GMT"


async def test_a_hundred_polls_with_siiau_failing_start_one_login_at_most_across_a_restart(
    kit: Kit,
) -> None:
    book = kit.book()
    server, http, path = await serve(kit, book)
    try:
        await poll(http, path, 100)  # the one refresh is held at SIIAU: the feed never waits for it
        assert kit.siiau.logins == 1
        kit.siiau.released.set()
        await book.settle()
        await poll(http, path, 100)  # it failed: no other before a day has passed
        await book.settle()
        assert kit.siiau.logins == 1
    finally:
        await http.aclose()
        await server.stop()
    restarted = kit.book()  # a restart, or another replica: the budget is in the database
    server, http, path = await serve(kit, restarted)
    try:
        await poll(http, path, 100)
        await restarted.settle()
        assert kit.siiau.logins == 1
        kit.clock.advance(hours=23)
        await poll(http, path, 10)
        await restarted.settle()
        assert kit.siiau.logins == 1, "one a day after a failure"
        kit.clock.advance(
            days=6, hours=2
        )  # a day after the failure, and a full SCHEDULE_MAX_AGE_DAYS
        await poll(http, path, 10)
        await restarted.settle()
        assert kit.siiau.logins == 2
    finally:
        await http.aclose()
        await server.stop()


async def test_a_typed_question_still_refreshes_an_old_copy_at_once(kit: Kit) -> None:
    book = kit.book()
    kit.siiau.released.set()
    await book.stored(USER)  # the feed's way: spends the budget
    await book.settle()
    await book.known(USER)  # /hoy, typed by the student: not held by the budget
    await book.settle()
    assert kit.siiau.logins == 2


# ---- the feed under a flood -------------------------------------------------------
async def known_and_unknown(
    tmp_path: Path, **options: int
) -> AsyncIterator[tuple[CalendarFeedServer, Ticks]]:
    known = "k" * 43
    ticks = Ticks()

    async def source(token: str) -> Feed | None:
        if token != known:
            return None
        return Feed(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", '"x"', READ_AT)

    server = CalendarFeedServer(source, header_timeout=5, clock=ticks, **options)
    await server.start("127.0.0.1", 0)
    yield server, ticks
    await server.stop()


@pytest.fixture
async def flood(tmp_path: Path) -> AsyncIterator[tuple[CalendarFeedServer, Ticks]]:
    async for pair in known_and_unknown(
        tmp_path, requests_per_minute=3, unknown_per_minute=50, tracked_tokens=20, max_connections=4
    ):
        yield pair


async def test_a_flood_of_unknown_tokens_cannot_reset_a_known_tokens_limit(
    flood: tuple[CalendarFeedServer, Ticks], caplog: pytest.LogCaptureFixture
) -> None:
    server, ticks = flood
    caplog.set_level(logging.INFO, logger="bot.feed.server")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http:
        mine = "/cal/" + "k" * 43 + ".ics"
        assert [(await http.get(mine)).status_code for _ in range(4)] == [200, 200, 200, 429]
        statuses = [
            (await http.get(f"/cal/{secrets.token_urlsafe(32)}.ics")).status_code
            for _ in range(300)
        ]
        assert statuses[:50] == [404] * 50 and set(statuses[50:]) == {429}, (
            "unknown tokens: limited per address"
        )
        assert (await http.get(mine)).status_code == 429, "still at its limit in the same minute"
        ticks.now += 60
        assert (await http.get(mine)).status_code == 200
    lines = [r.getMessage() for r in caplog.records if "calendar feed refused" in r.getMessage()]
    assert lines == ["calendar feed refused 429=1 (counted; one line a minute at most)"], lines
    assert server.refused.total["404"] == 50 and server.refused.total["429"] == 252


async def test_connections_past_the_cap_are_closed_at_once(
    flood: tuple[CalendarFeedServer, Ticks],
) -> None:
    server, _ = flood
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(4)]
    await until(lambda: server.open_connections == 4, "the idle connections were not opened")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /cal/" + b"k" * 43 + b".ics HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        answered = await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        answered = b""  # closed before our request was read: a reset says the same
    assert answered == b"", "closed without an answer"
    writer.close()
    for _, held in idle:
        held.close()
    await until(lambda: server.open_connections == 0, "the idle connections did not close")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as http:
        assert (await http.get("/cal/" + "k" * 43 + ".ics")).status_code == 200


# ---- the budget and the erase markers on both back ends ---------------------------
async def test_the_refresh_budget_is_claimed_once_and_waits_a_day_after_a_failure(
    db_url: str,
) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    store = Store(engine, CredentialCipher([CredentialCipher.generate_key()]))
    await store.save_credentials(USER, USER, Credentials("219294381", "zq9nip7x"), "INCO", "X")
    budget = StoredRefreshBudget(
        RefreshBudgetStore(engine), 3600
    )  # SCHEDULE_MAX_AGE_DAYS of an hour
    try:
        first = await asyncio.gather(*(budget.claim(USER, 1000) for _ in range(5)))
        assert sorted(first) == [False] * 4 + [True], "one winner among concurrent claims"
        assert not await budget.claim(USER, 1000 + 3599)
        assert await budget.claim(USER, 1000 + 3600), "one per SCHEDULE_MAX_AGE_DAYS"
        await budget.failed(USER)
        assert not await budget.claim(USER, 4600 + 3600), "after a failure, a day and not less"
        assert await budget.claim(USER, 4600 + 86400)
        assert not await budget.claim(USER + 1, 1000), "nobody to refresh"
        await store.forget(USER)
        assert not await budget.claim(USER, 10**9)
    finally:
        await engine.dispose()


async def test_erase_markers_on_both_back_ends(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    try:
        here, there = (
            EraseLedger(ErasureStore(engine), b"k" * 32),
            EraseLedger(ErasureStore(engine), b"k" * 32),
        )
        erased = await here.mark(USER)
        assert await there.dropped(USER, erased - 1) and not await there.dropped(USER, erased)
        assert not await there.dropped(USER + 1, erased - 1)
        again = await here.mark(USER)  # erased twice: the latest counts
        assert await there.dropped(USER, again - 0.5)
    finally:
        await engine.dispose()
