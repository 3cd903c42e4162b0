"""The stored schedule: kept sealed after every run, answered from without SIIAU, refreshed when old."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bot.bootstrap import build_stores
from bot.core.credentials import Credentials
from bot.schedule.days_off import DaysOff
from bot.services.timetable.schedule_book import ScheduleBook
from bot.services.timetable.weekly import WeeklyService
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.documents import DeliveredDocument
from bot.store.repository import Store
from tests.weekly_kit import ZONE, Clock, close, make_weekly, parts, register

USER = 100
NAME = "MARTINEZ VIRGEN, KEVIN ALAN"


async def book_on(tmp_path: Path, simulator: SiiauSimulator, clock: Clock) -> ScheduleBook:
    weekly, _ = await make_weekly(tmp_path / "b.db", simulator.url, clock)
    await register(weekly, USER, DEMO_CODE, DEMO_NIP)
    book = ScheduleBook(parts(weekly).delivery, DaysOff(), ZONE, timedelta(days=7), clock=clock)
    BOOKS[book] = weekly
    return book


BOOKS: dict[ScheduleBook, WeeklyService] = {}


async def close_book(book: ScheduleBook) -> None:
    await book.aclose()
    await close(BOOKS.pop(book))


async def test_first_answer_runs_once_then_reads_the_sealed_copy(
    tmp_path: Path, siiau: SiiauSimulator
) -> None:
    clock = Clock(datetime(2026, 11, 29, 12, 0))
    book = await book_on(tmp_path, siiau, clock)
    logins = siiau.logins[DEMO_CODE]
    first = await book.known(USER)
    assert siiau.logins[DEMO_CODE] == logins + 1 and siiau.logouts >= 1
    assert first.schedule.student_name == NAME and not first.refreshing
    again = await book.known(USER)
    assert siiau.logins[DEMO_CODE] == logins + 1, "the second answer must not log in"
    assert again.schedule == first.schedule
    runs = await parts(BOOKS[book]).store.recent_runs(USER)
    assert runs[0].kind == "refresh" and [
        t.state.value for t in runs[0].tasks if t.name == "pdf"
    ] == ["skipped"]
    await close_book(book)
    for file in tmp_path.glob("b.db*"):
        data = file.read_bytes()
        assert NAME.encode() not in data and b"SISTEMAS OPERATIVOS" not in data, file


async def test_an_old_copy_answers_at_once_and_refreshes_behind(
    tmp_path: Path, siiau: SiiauSimulator
) -> None:
    clock = Clock(datetime(2026, 11, 29, 12, 0))
    book = await book_on(tmp_path, siiau, clock)
    first = await book.known(USER)
    clock.advance(days=8)
    siiau.hold()
    old = await book.known(USER)
    assert old.refreshing and old.read_at == first.read_at
    book.refresh_soon(USER)  # a second ask while one runs starts nothing more
    assert book.refreshes_running == 1
    siiau.release()
    await book.settle()
    fresh = await book.known(USER)
    assert not fresh.refreshing and fresh.read_at == clock()
    await close_book(book)


async def test_forget_erases_the_copy_and_a_run_after_it_keeps_nothing(
    tmp_path: Path, siiau: SiiauSimulator
) -> None:
    clock = Clock(datetime(2026, 11, 29, 12, 0))
    book = await book_on(tmp_path, siiau, clock)
    await book.known(USER)
    delivery = book.delivery
    await delivery.forget(USER)
    assert await delivery.stored_schedule(USER) is None
    schedules = parts(BOOKS[book]).stores.schedules
    assert not await schedules.save(USER, "{}", "h", 1), "no copy for a user who is gone"
    await close_book(book)
    with sqlite3.connect(tmp_path / "b.db") as db:
        assert db.execute("SELECT COUNT(*) FROM stored_schedules").fetchone() == (0,)


async def test_rotation_reseals_schedules_and_snapshots_even_old_plain_ones(tmp_path: Path) -> None:
    old, new = CredentialCipher.generate_key(), CredentialCipher.generate_key()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/r.db")
    await migrate(engine)
    stores = build_stores(engine, CredentialCipher([old]))
    store = stores.users
    await store.save_credentials(1, 1, Credentials("219294382", "zq9nip7x"), "INCO", "X")
    await stores.schedules.save(1, '{"secret": "SISTEMAS"}', "h1", 10)
    await store.record_delivered(1, DeliveredDocument("h1", "f1", "202620", '{"courses": []}'))
    async with engine.begin() as connection:  # a snapshot written before snapshots were sealed
        await connection.execute(
            text("UPDATE schedule_snapshots SET schedule_json = '{\"legacy\": 1}'")
        )
    assert await stores.weekly.snapshot(1) == ("h1", '{"legacy": 1}')
    rotated = await Store(engine, CredentialCipher([new, old])).rotate_everything()
    assert rotated["schedules"] == (1, 0) and rotated["snapshots"] == (1, 0)
    only_new = build_stores(engine, CredentialCipher([new]))
    stored = await only_new.schedules.load(1)
    assert stored is not None and stored.schedule_json == '{"secret": "SISTEMAS"}'
    assert await only_new.weekly.snapshot(1) == ("h1", '{"legacy": 1}')
    await engine.dispose()
    with sqlite3.connect(tmp_path / "r.db") as db:
        assert (
            "legacy" not in db.execute("SELECT schedule_json FROM schedule_snapshots").fetchone()[0]
        )
