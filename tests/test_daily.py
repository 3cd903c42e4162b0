"""Morning digest and class reminders: due times in Guadalajara on an injected clock, each
message at most once across replicas and restarts, days off and the cycle's end honoured."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from telegram import Bot

from bot.bootstrap import build_delivery, build_stores
from bot.config import DailySettings
from bot.core.credentials import Credentials
from bot.core.zones import zone
from bot.schedule import codec
from bot.schedule.days_off import DayOff, DaysOff, Source
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.errors import RecipientGone
from bot.services.runtime.gate import UserGate
from bot.services.timetable.daily import (
    DailyNotifier,
    DailyService,
    Digest,
    Reminder,
    next_digest_due,
)
from bot.services.timetable.schedule_book import ScheduleBook
from bot.sim.botapi import BotApiStandIn
from bot.store.crypto import CredentialCipher
from bot.store.daily import Kind
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from bot.store.schedules import ScheduleStore
from bot.telegram.daily_notifier import TelegramDailyNotifier
from tests.helpers import TEST_TOKEN
from tests.weekly_kit import Clock
from tests.workflow_kit import make_workflow

GDL = zone("America/Mexico_City")
KEY = CredentialCipher.generate_key()
FIRST, LAST = date(2026, 8, 17), date(2026, 12, 5)
USER = 4100
INDEPENDENCE = DayOff(date(2026, 9, 16), "Día de la Independencia", Source.OFFICIAL)
MONDAY = date(2026, 9, 14)  # a school Monday; Wednesday the 16th is a day off


def session(days: tuple[Day, ...], start: str, end: str, room: str = "A002") -> Session:
    return Session(
        days,
        time.fromisoformat(start),
        time.fromisoformat(end),
        "DEDX",
        room,
        "LOPEZ, ANA",
        FIRST,
        LAST,
    )


SCHEDULE = Schedule(
    "202620",
    "2026-B",
    "ANA",
    "219294382",
    "INCO",
    "INGENIERIA",
    (
        Course(
            "100001",
            "I0001",
            "REDES",
            "D01",
            8,
            (session((Day.MONDAY, Day.WEDNESDAY), "07:00", "08:55"),),
        ),
        Course(
            "100002",
            "I0002",
            "SISTEMAS OPERATIVOS",
            "D02",
            8,
            (session((Day.MONDAY,), "11:00", "12:55", room=""),),
        ),
        Course(
            "100003", "I0003", "MADRUGADA", "D03", 8, (session((Day.SATURDAY,), "00:05", "01:00"),)
        ),
    ),
)


def local(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), GDL)


@dataclass
class Recorder:
    digests: list[tuple[int, Digest]] = field(default_factory=list)
    reminders: list[tuple[int, Reminder]] = field(default_factory=list)
    gone: set[int] = field(default_factory=set)

    async def send_digest(self, chat_id: int, digest: Digest) -> None:
        if chat_id in self.gone:
            raise RecipientGone("blocked")
        self.digests.append((chat_id, digest))

    async def send_reminder(self, chat_id: int, reminder: Reminder) -> None:
        if chat_id in self.gone:
            raise RecipientGone("blocked")
        self.reminders.append((chat_id, reminder))


OPEN: list[tuple[DailyService, Store]] = []


async def make(db: Path, clock: Clock, notifier: DailyNotifier, **settings: Any) -> DailyService:
    """A daily service on a SQLite file; SIIAU unreachable (the service must never need it).
    `settings` are DailySettings fields, of mixed types: pydantic checks them."""
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    await migrate(engine)
    stores = build_stores(engine, CredentialCipher([KEY]))
    store = stores.users
    delivery = build_delivery(
        stores, make_workflow("http://127.0.0.1:9"), UserGate(100), clock=clock
    )
    book = ScheduleBook(delivery, DaysOff([INDEPENDENCE]), GDL, timedelta(days=365), clock=clock)
    options = {"spread_seconds": 0, "lease_seconds": 120, "concurrency": 4, **settings}
    service = DailyService(
        book,
        stores.daily,
        DailySettings(**options),
        GDL,
        b"k" * 32,
        notifier=notifier,
        clock=clock,
    )
    OPEN.append((service, store))
    return service


async def close_all() -> None:
    while OPEN:
        service, store = OPEN.pop()
        await service.aclose()
        await service.book.aclose()
        await store.engine.dispose()


async def student(
    service: DailyService, user: int, *, schedule: Schedule | None = SCHEDULE
) -> None:
    store = OPEN[[s for s, _ in OPEN].index(service)][1]
    await store.save_credentials(
        user, user, Credentials("219294382", "abc123"), "INCO", "INGENIERIA"
    )
    if schedule is not None:
        await ScheduleStore(store.engine, store.cipher).save(
            user, codec.dumps(schedule), schedule.content_hash, int(service.clock().timestamp())
        )


def clock_at(moment: datetime) -> Clock:
    return Clock(moment.astimezone(UTC))


async def test_digest_at_the_chosen_hour_once_a_day_even_with_two_replicas(tmp_path: Path) -> None:
    clock = clock_at(local(MONDAY - timedelta(days=1), 12))
    sent = Recorder()
    a = await make(tmp_path / "d.db", clock, sent)
    b = await make(tmp_path / "d.db", clock, sent)
    await student(a, USER)
    view = await a.set_digest(USER, 7)
    assert view.digest_hour == 7 and view.has_schedule

    async def both_tick() -> None:
        await asyncio.gather(a.drain(), b.drain(), a.drain(), b.drain())

    clock.now = local(MONDAY, 6, 59, 59).astimezone(UTC)
    await both_tick()
    assert sent.digests == []
    clock.now = local(MONDAY, 7).astimezone(UTC)
    await both_tick()
    [(chat, digest)] = sent.digests
    assert chat == USER and digest.day == MONDAY
    assert [m.course.name for m in digest.meetings] == ["REDES", "SISTEMAS OPERATIVOS"]
    clock.advance(hours=3)
    await both_tick()
    assert len(sent.digests) == 1, "one digest per user-day"
    # Tuesday: no classes; Wednesday: a day off; Thursday, Friday: none; Saturday's class
    # is at 00:30, before 07:00, but still held that day; Sunday: none.
    for offset in range(1, 7):
        clock.now = local(MONDAY + timedelta(days=offset), 7, 1).astimezone(UTC)
        await both_tick()
    assert [d.day for _, d in sent.digests] == [MONDAY, MONDAY + timedelta(days=5)]
    clock.now = local(MONDAY + timedelta(days=7), 7).astimezone(UTC)
    await both_tick()
    assert [d.day for _, d in sent.digests][-1] == MONDAY + timedelta(days=7)
    outcomes = a.outcomes + b.outcomes
    assert (
        outcomes["digest:sent"] == 3
        and outcomes["digest:day_off"] == 1
        and outcomes["digest:no_classes"] == 4
    )
    rows = await a.store.sent(USER, Kind.DIGEST)
    assert [(day, outcome) for _, _, day, _, outcome in rows] == [
        ("2026-09-14", "sent"),
        ("2026-09-19", "sent"),
        ("2026-09-21", "sent"),
    ]
    await close_all()


async def test_no_digest_after_the_cycle_ended_or_without_a_stored_schedule(tmp_path: Path) -> None:
    clock = clock_at(local(LAST + timedelta(days=1), 12))
    sent = Recorder()
    service = await make(tmp_path / "d.db", clock, sent)
    await student(service, USER)
    await student(service, USER + 1, schedule=None)
    await service.set_digest(USER, 7)
    view = await service.set_digest(USER + 1, 7)
    assert not view.has_schedule, "the reply tells them to ask for /horario once"
    clock.now = local(LAST + timedelta(days=2), 7, 30).astimezone(UTC)  # the Monday after the cycle
    await service.drain()
    assert sent.digests == []
    assert service.outcomes == Counter({"digest:ended": 1, "digest:no_schedule": 1})
    await close_all()


async def test_a_reminder_n_minutes_before_each_class_exactly_once_across_a_restart(
    tmp_path: Path,
) -> None:
    clock = clock_at(local(MONDAY, 6))
    sent = Recorder()
    service = await make(tmp_path / "d.db", clock, sent)
    await student(service, USER)
    await service.set_reminder(USER, 15)
    await service.drain()
    clock.now = local(MONDAY, 6, 44, 59).astimezone(UTC)
    await service.drain()
    assert sent.reminders == []
    clock.now = local(MONDAY, 6, 45).astimezone(UTC)
    await service.drain()
    await service.drain()
    [(chat, first)] = sent.reminders
    assert chat == USER and first.meeting.course.name == "REDES" and first.minutes == 15
    setting = await service.store.get(USER)
    # The next look is the next class's reminder, or within the hour (the schedule may change).
    assert setting is not None and setting.reminder_due_ts == int(local(MONDAY, 7, 45).timestamp())
    [(_, _, _, slot, outcome)] = await service.store.sent(USER, Kind.REMINDER)
    assert outcome == "sent" and len(slot) == 32 and "100001" not in slot, (
        "a class is a keyed hash in the log"
    )

    # A crash after the send and before the release: the claim comes back once its lease
    # is over, on a new process; the sent log keeps it from going out twice.
    await service.aclose()
    with sqlite3.connect(tmp_path / "d.db") as db:
        db.execute(
            "UPDATE daily_settings SET reminder_due_ts = ?, reminder_lease_ts = ?",
            (int(local(MONDAY, 6, 45).timestamp()), int(local(MONDAY, 6, 47).timestamp())),
        )
    clock.now = local(MONDAY, 6, 48).astimezone(UTC)
    restarted = await make(tmp_path / "d.db", clock, sent)
    await restarted.drain()
    assert len(sent.reminders) == 1 and restarted.outcomes == Counter({"reminder:already": 1})
    clock.now = local(MONDAY, 10, 45).astimezone(UTC)
    await restarted.drain()
    assert [r.meeting.course.name for _, r in sent.reminders] == ["REDES", "SISTEMAS OPERATIVOS"]
    # Wednesday is a day off: no reminder for its class. Saturday 00:05 is reminded on Friday night.
    clock.now = local(MONDAY + timedelta(days=2), 6, 50).astimezone(UTC)
    await restarted.drain()
    assert len(sent.reminders) == 2
    clock.now = local(MONDAY + timedelta(days=4), 23, 49, 59).astimezone(UTC)
    await restarted.drain()
    assert len(sent.reminders) == 2
    clock.now = local(MONDAY + timedelta(days=4), 23, 50).astimezone(UTC)
    await restarted.drain()
    last = sent.reminders[-1][1]
    assert last.meeting.course.name == "MADRUGADA" and last.meeting.day == MONDAY + timedelta(
        days=5
    )
    assert last.minutes == 15
    await close_all()


async def test_a_late_tick_drops_a_reminder_whose_class_started_and_sends_one_still_in_time(
    tmp_path: Path,
) -> None:
    clock = clock_at(local(MONDAY, 5))
    sent = Recorder()
    service = await make(tmp_path / "d.db", clock, sent)
    await student(service, USER)
    await student(service, USER + 1)
    await service.set_reminder(USER, 15)
    await service.set_reminder(USER + 1, 60)
    await service.drain()
    clock.now = local(MONDAY, 7, 1).astimezone(UTC)  # the bot was stopped from 05:00 to 07:01
    await service.drain()
    assert sent.reminders == [], "never a reminder after the class started"
    late = await service.store.sent(kind=Kind.REMINDER)
    assert sorted((user, outcome) for user, _, _, _, outcome in late) == [
        (USER, "late"),
        (USER + 1, "late"),
    ]
    clock2 = clock_at(local(MONDAY, 5))
    service2 = await make(tmp_path / "d2.db", clock2, sent)
    await student(service2, USER + 2)
    await service2.set_reminder(USER + 2, 60)
    await service2.drain()
    clock2.now = local(MONDAY, 6, 50).astimezone(UTC)
    await service2.drain()  # 50 min late, class not started: still worth it
    [(_, reminder)] = sent.reminders
    assert reminder.meeting.course.name == "REDES" and reminder.minutes == 10
    await close_all()


async def test_a_blocked_bot_turns_the_daily_settings_off(tmp_path: Path) -> None:
    clock = clock_at(local(MONDAY, 6))
    sent = Recorder(gone={USER})
    service = await make(tmp_path / "d.db", clock, sent)
    await student(service, USER)
    await service.set_digest(USER, 7)
    await service.set_reminder(USER, 60)
    await service.drain()
    view = await service.view(USER)
    assert (view.digest_hour, view.reminder_minutes) == (None, None)
    clock.now = local(MONDAY, 7).astimezone(UTC)
    await service.drain()
    assert service.outcomes == Counter({"reminder:gone": 1})
    await close_all()


async def test_forget_erases_the_settings_and_the_sent_log(tmp_path: Path) -> None:
    clock = clock_at(local(MONDAY, 6))
    service = await make(tmp_path / "d.db", clock, Recorder())
    await student(service, USER)
    await service.set_digest(USER, 7)
    await service.set_reminder(USER, 60)
    clock.now = local(MONDAY, 7).astimezone(UTC)
    await service.drain()
    assert await service.store.sent(USER) != []
    await service.book.delivery.forget(USER)
    await close_all()
    with sqlite3.connect(tmp_path / "d.db") as db:
        for table in ("daily_settings", "daily_sent"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_a_10000_student_wave_is_spread_over_the_window_with_stable_offsets() -> None:
    after = local(MONDAY - timedelta(days=1), 12)
    start = local(MONDAY, 7)
    dues = [next_digest_due(user, 7, after, GDL, 600) for user in range(1_000_000, 1_010_000)]
    offsets = [int((due - start).total_seconds()) for due in dues]
    assert min(offsets) >= 0 and max(offsets) <= 600
    per_minute = Counter(offset // 60 for offset in offsets if offset < 600)
    assert (
        len(per_minute) == 10
        and min(per_minute.values()) >= 800
        and max(per_minute.values()) <= 1200
    )
    again = [next_digest_due(user, 7, after, GDL, 600) for user in range(1_000_000, 1_010_000)]
    assert again == dues, "a user's offset is the same every day"
    # Just past one's own slot, the next is the same offset a day later (also at 23:59→00:00).
    first = dues[0]
    assert next_digest_due(1_000_000, 7, first, GDL, 600) == first + timedelta(days=1)
    assert next_digest_due(1, 7, local(MONDAY, 23, 59, 59), GDL, 0) == local(
        MONDAY + timedelta(days=1), 7
    )


async def test_digest_and_reminder_as_telegram_shows_them(
    tmp_path: Path, botapi: BotApiStandIn
) -> None:
    async with Bot(TEST_TOKEN, base_url=botapi.base_url) as telegram:
        clock = clock_at(local(MONDAY, 6))
        service = await make(tmp_path / "d.db", clock, TelegramDailyNotifier(telegram))
        await student(service, USER)
        await service.set_digest(USER, 9)
        await service.set_reminder(USER, 10)
        clock.now = local(MONDAY, 10, 50).astimezone(UTC)
        await service.drain()
        texts = sorted(m.text for m in botapi.bot_messages(USER))
        assert texts == [
            "⏰ En 10 min: SISTEMAS OPERATIVOS (11:00–12:55)\nDEDX · LOPEZ, ANA",
            "☀️ Buenos días. Hoy, lunes 14/09, tienes 2 clases:\n"
            "• 07:00–08:55 REDES\n   DEDX A002 · LOPEZ, ANA\n"
            "• 11:00–12:55 SISTEMAS OPERATIVOS\n   DEDX · LOPEZ, ANA",
        ], "the 07:00 class's reminder was due at 06:50: dropped, not sent at 10:50"
        await close_all()
