"""Weekly deliveries on a controllable clock: timing, claims, caching, changes, failures."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.schedule.diff import CourseChange
from bot.services.runtime import metrics
from bot.services.timetable.delivery import DeliveryService
from bot.services.timetable.events import Delivery
from bot.services.timetable.week_time import iso_week
from bot.services.timetable.weekly import Notice, WeeklyService
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import SimCourse, SimSession, generated_student
from bot.telegram.notifier import TelegramNotifier
from tests.helpers import TEST_TOKEN, until
from tests.weekly_kit import ZONE, Clock, RecordingNotifier, close, make_weekly, parts, register

pytestmark = pytest.mark.render

USER = 100
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0)  # local, Mexico City (UTC-6 all year)
MONDAY_7 = datetime(2026, 11, 30, 7, 0)


async def demo_subscribed(
    tmp_path: Path,
    simulator: SiiauSimulator,
    clock: Clock,
    /,
    *,
    only_if_changed: bool = False,
    **settings: Any,
) -> tuple[WeeklyService, RecordingNotifier]:
    """The demo student, registered and subscribed for Mondays at 07:00."""
    weekly, notifier = await make_weekly(tmp_path / "w.db", simulator.url, clock, **settings)
    await register(weekly, USER, DEMO_CODE, DEMO_NIP)
    await weekly.subscribe(USER, 0, 7, only_if_changed)
    return weekly, notifier


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=3) as simulator:
        yield simulator
        assert simulator.open_sessions() == []


@pytest.fixture
def clock() -> Clock:
    clock = Clock(datetime(2026, 1, 1))
    clock.set_local(SUNDAY_NOON)
    return clock


async def test_due_at_the_chosen_local_time(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await make_weekly(tmp_path / "w.db", siiau.url, clock)
    await register(weekly, USER, DEMO_CODE, DEMO_NIP)
    due = await weekly.subscribe(USER, weekday=0, hour=7, only_if_changed=False)
    assert due.astimezone(ZONE).replace(tzinfo=None) == MONDAY_7
    assert due.hour == 13  # 07:00 in Guadalajara is 13:00 UTC: no DST since 2022
    clock.set_local(datetime(2026, 11, 30, 6, 59))
    await weekly.drain()
    assert notifier.sent == []
    clock.set_local(MONDAY_7)
    await weekly.drain()
    assert len(notifier.to(USER)) == 1 and notifier.sent[0].uploaded
    view = await weekly.view(USER)
    assert view is not None and view.next_due.astimezone(ZONE).day == 7  # next Monday, 7 Dec
    await close(weekly)


async def test_spread_keeps_each_user_within_the_window(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, _ = await make_weekly(tmp_path / "w.db", siiau.url, clock, spread_seconds=1800)
    offsets = set()
    for user in range(1, 40):
        await register(weekly, user, DEMO_CODE, DEMO_NIP) if user == 1 else None
        due = weekly._next_due(user, 0, 7, clock())
        local = due.astimezone(ZONE)
        assert local.date() == MONDAY_7.date() and local.hour == 7 and local.minute < 31
        offsets.add(local.minute)
    assert len(offsets) > 10, "due times should spread, not pile up on 07:00"
    await close(weekly)


async def test_two_tick_loops_on_one_db_never_deliver_twice(
    db_url: str, siiau: SiiauSimulator, clock: Clock
) -> None:
    first, notifier_a = await make_weekly(db_url, siiau.url, clock)
    second, notifier_b = await make_weekly(db_url, siiau.url, clock)
    students = [generated_student(i) for i in range(30)]
    for user, student in enumerate(students, start=1):
        siiau.add_student(student)
        await register(first, user, student.code, student.nip)
        await first.subscribe(user, 0, 7, False)
    clock.set_local(MONDAY_7)
    await asyncio.gather(first.drain(), second.drain(), first.pump(), second.pump())
    await asyncio.gather(first.drain(), second.drain())
    per_user = Counter(s.chat_id for s in notifier_a.sent + notifier_b.sent)
    assert per_user == Counter({user: 1 for user in range(1, 31)})
    assert notifier_a.sent and notifier_b.sent, "both loops should have taken a share"
    week = iso_week(clock(), ZONE)
    assert len(await first.store.deliveries_in_week(week)) == 30
    await close(first)
    await close(second)


async def test_unchanged_schedule_resends_the_file_id_without_rendering(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock)
    clock.set_local(MONDAY_7)
    await weekly.drain()
    renders = parts(weekly).workflow.renderer.renders
    clock.advance(days=7)
    await weekly.drain()
    first, second = notifier.to(USER)
    assert first.uploaded and not second.uploaded and second.unchanged and second.pdf is None
    assert parts(weekly).workflow.renderer.renders == renders
    await close(weekly)


async def test_only_if_changed_skips_an_unchanged_week(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock, only_if_changed=True)
    clock.set_local(MONDAY_7)
    await weekly.drain()
    clock.advance(days=7)
    await weekly.drain()
    assert len(notifier.to(USER)) == 1
    assert await weekly.store.outcome(USER, iso_week(clock(), ZONE)) == "skipped_unchanged"
    await close(weekly)


async def test_changed_schedule_says_what_changed(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock)
    clock.set_local(MONDAY_7)
    await weekly.drain()
    career = siiau.student(DEMO_CODE).careers[0]
    by_nrc = {c.nrc: c for c in career.courses}
    moved = by_nrc["179961"]
    career.courses = [
        by_nrc["180245"],
        by_nrc["181002"],
        SimCourse(
            moved.nrc,
            moved.key,
            moved.name,
            moved.section,
            moved.credits,
            (SimSession("1100-1255", "V", "DEDX", "A-12", "LOPEZ FRANCO, CARLOS ALBERTO"),),
        ),
        SimCourse(
            "199999",
            "I9999",
            "CALCULO DIFERENCIAL",
            "D01",
            "8",
            (SimSession("0700-0855", "LI", "DEDT", "B-3", "RUIZ, ANA"),),
        ),
    ]
    clock.advance(days=7)
    await weekly.drain()
    second = notifier.to(USER)[1]
    assert second.uploaded and not second.unchanged
    from bot.telegram.texts import schedule as schedule_words

    lines = schedule_words.weekly_changes(second.changes or []).splitlines()
    assert sorted(lines) == sorted(
        [
            "• Nueva: CALCULO DIFERENCIAL (NRC 199999)",
            "• Quitada: INGLES IV (NRC 182310)",
            "• Cambió horario/aula: COMPUTACION TOLERANTE A FALLAS — L 11:00, I 11:00, DEDX A002 → V 11:00, DEDX A-12",
        ]
    )
    await close(weekly)


async def test_invalid_credentials_pause_the_subscription(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock)
    siiau.student(DEMO_CODE).nip = "cambiado1"
    clock.set_local(MONDAY_7)
    await weekly.drain()
    view = await weekly.view(USER)
    assert view is not None and not view.active and view.paused_reason == "invalid_credentials"
    assert notifier.notices == [(USER, Notice.PAUSED_CREDENTIALS)]
    for _ in range(3):
        clock.advance(days=7)
        await weekly.drain()
    assert siiau.wrong_nips[DEMO_CODE] == 1, "a paused subscription must not try the NIP again"
    assert notifier.sent == []
    await close(weekly)


async def test_missed_delivery_is_caught_up_within_the_week_only(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock)
    clock.set_local(datetime(2026, 12, 2, 18, 0))  # "down" until Wednesday evening
    await weekly.drain()
    assert len(notifier.to(USER)) == 1
    clock.set_local(datetime(2026, 12, 15, 9, 0))  # down through Monday 7 and 14 Dec
    await weekly.drain()
    assert len(notifier.to(USER)) == 1, "a past week's delivery is not sent late"
    view = await weekly.view(USER)
    assert view is not None and view.next_due.astimezone(ZONE).replace(tzinfo=None) == datetime(
        2026, 12, 21, 7, 0
    )
    await close(weekly)


async def test_transient_failure_retries_later_then_tells_the_user_once(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    weekly, notifier = await demo_subscribed(
        tmp_path, siiau, clock, max_attempts=3, siiau={"retries": 0}
    )
    siiau.faults.maintenance = True
    clock.set_local(MONDAY_7)
    retries_before = metrics.totals(metrics.DELIVERIES).get("retry", 0)
    await weekly.drain()
    assert (
        metrics.totals(metrics.DELIVERIES).get("retry", 0) - retries_before == 1
        and notifier.notices == []
    )
    for minutes in (10, 20):  # retry_base 600 s, then doubled
        clock.advance(minutes=minutes)
        await parts(weekly).workflow.breaker.record_success()
        await weekly.drain()
    assert notifier.notices == [(USER, Notice.FAILED_THIS_WEEK)]
    clock.advance(hours=5)
    await weekly.drain()
    assert notifier.notices == [(USER, Notice.FAILED_THIS_WEEK)]
    assert await weekly.store.outcome(USER, iso_week(clock(), ZONE)) == "failed"
    await close(weekly)


async def test_send_failure_is_retried(tmp_path: Path, siiau: SiiauSimulator, clock: Clock) -> None:
    weekly, notifier = await demo_subscribed(tmp_path, siiau, clock)
    notifier.fail_next = 1
    clock.set_local(MONDAY_7)
    await weekly.drain()
    assert notifier.sent == []
    clock.advance(minutes=10)
    await weekly.drain()
    assert len(notifier.to(USER)) == 1
    await close(weekly)


async def test_thirty_percent_faults_everyone_still_served_within_bound(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock
) -> None:
    """Each student's faults come from their own seeded stream: the same every run.

    A reset at the login step may hide a wrong NIP, so after three logins SIIAU left
    unanswered our login budget stops trying that code for the day. That is the one
    way a student may miss this week's schedule, and then they are told, once.
    """
    weekly, notifier = await make_weekly(
        tmp_path / "w.db",
        siiau.url,
        clock,
        max_attempts=8,
        retry_base_seconds=300,
        siiau={"retries": 3, "breaker_threshold": 1000},
    )
    students = [generated_student(i) for i in range(40)]
    for user, student in enumerate(students, start=1):
        siiau.add_student(student)
        await register(weekly, user, student.code, student.nip)
        await weekly.subscribe(user, 0, 7, False)
    siiau.reset_stats()
    siiau.faults.failure_rate = 0.3
    clock.set_local(MONDAY_7)
    for _ in range(12):
        await weekly.drain()
        clock.advance(hours=1)
    served = Counter(s.chat_id for s in notifier.sent)
    told = Counter(chat for chat, _ in notifier.notices)
    assert set(served.values()) == {1} and set(told.values()) <= {1}, "one outcome per student-week"
    assert set(served) | set(told) == set(range(1, 41)) and not set(served) & set(told)
    assert set(notifier.notice_errors) <= {"LoginLimitReached"}, notifier.notice_errors
    assert len(served) >= 36, f"only {len(served)} of 40 served"
    assert siiau.faults_served["500"] + siiau.faults_served["reset"] > 20
    assert sum(siiau.wrong_nips.values()) == 0
    assert siiau.peak_sessions <= 4
    assert siiau.overlapping_logins == 0
    siiau.faults.failure_rate = 0
    await close(weekly)


async def test_a_refused_file_id_is_rendered_again_on_the_record_and_uploaded(
    tmp_path: Path, siiau: SiiauSimulator, clock: Clock, botapi: BotApiStandIn
) -> None:
    async with Bot(TEST_TOKEN, base_url=botapi.base_url) as telegram:

        def notifier(delivery: DeliveryService) -> TelegramNotifier:
            return TelegramNotifier(telegram, render_again=delivery.render_again)

        weekly, _ = await make_weekly(tmp_path / "w.db", siiau.url, clock, notifier)
        await register(weekly, USER, DEMO_CODE, DEMO_NIP)
        await weekly.subscribe(USER, 0, 7, False)
        clock.set_local(MONDAY_7)
        await weekly.drain()
        assert botapi.uploads == 1
        botapi.forget_files()  # Telegram no longer takes the file id we kept
        clock.advance(days=7)
        await weekly.drain()
        assert await weekly.store.outcome(USER, iso_week(clock(), ZONE)) == "resent_unchanged"
        assert botapi.uploads == 2
        sent = botapi.documents(USER)
        assert len(sent) == 2 and (sent[1].document or b"").startswith(b"%PDF")
        runs = await parts(weekly).store.recent_runs(USER, limit=10)
        [rerender] = [r for r in runs if r.kind == "rerender"]
        assert (rerender.name, rerender.outcome) == ("pdf", "rendered")
        assert [(t.name, t.state.value) for t in rerender.tasks] in (
            [("pdf", "completed")],
            [("pdf", "cached")],
        )
        clock.advance(days=7)
        await weekly.drain()
        assert botapi.uploads == 2, "the new upload's file id is the one kept"
        assert len(botapi.documents(USER)) == 3
        await close(weekly)


class GatedNotifier(RecordingNotifier):
    """Holds every send until `opened` is set, as a slow Telegram would."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = asyncio.Event()
        self.waiting = 0

    async def send_schedule(
        self, delivery: Delivery, changes: list[CourseChange] | None, unchanged: bool
    ) -> str:
        self.waiting += 1
        await self.opened.wait()
        return await super().send_schedule(delivery, changes, unchanged)


async def test_a_lease_that_lapses_mid_send_is_not_delivered_twice(
    tmp_path: Path, siiau: SiiauSimulator
) -> None:
    """A stalled process lets its claim's lease run out while it sends: its next tick takes
    the claim again, and must leave the delivery under way to finish alone."""
    clock = Clock(SUNDAY_NOON)
    gated = GatedNotifier()
    weekly, _ = await make_weekly(
        tmp_path / "w.db", siiau.url, clock, notifier=lambda _: gated, lease_seconds=60
    )
    await register(weekly, USER, DEMO_CODE, DEMO_NIP)
    await weekly.subscribe(USER, 0, 7, False)
    clock.set_local(MONDAY_7)
    clock.advance(hours=1)
    assert await weekly.pump() == 1
    await until(lambda: gated.waiting == 1, "the delivery never reached its send")
    clock.advance(seconds=61)  # the lease is over on the clock: the claim is free again
    assert await weekly.pump() == 1, "the claim is taken again"
    gated.opened.set()
    await weekly.drain()
    assert gated.waiting == 1 and len(gated.sent) == 1
    assert await weekly.store.outcome(USER, iso_week(clock(), ZONE)) == "sent"
    await close(weekly)
