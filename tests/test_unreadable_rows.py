"""A row no configured key opens is the operator's problem: nothing is paused, it waits for the key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.bootstrap import build_delivery, build_stores
from bot.config import WeeklySettings
from bot.services.runtime.gate import UserGate
from bot.services.timetable.weekly import OperatorNotice, WeeklyService
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine
from tests.weekly_kit import ZONE, Clock, RecordingNotifier, close, make_weekly, parts, register

pytestmark = pytest.mark.render

USER = 100
MONDAY_7 = datetime(2026, 11, 30, 7, 0)


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=3) as simulator:
        yield simulator
        assert simulator.open_sessions() == []


async def test_a_wrong_key_pauses_nothing_tells_operators_once_and_the_right_key_delivers(
    tmp_path: Path, siiau: SiiauSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(datetime(2026, 1, 1))
    clock.set_local(datetime(2026, 11, 29, 12, 0))
    right, right_notifier = await make_weekly(tmp_path / "w.db", siiau.url, clock)
    await register(right, USER, DEMO_CODE, DEMO_NIP)
    await right.subscribe(USER, 0, 7, False)

    # The same database, started with a wrong ENCRYPTION_KEYS.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    wrong_store = build_stores(engine, CredentialCipher([CredentialCipher.generate_key()]))
    wrong_notifier = RecordingNotifier()
    wrong = WeeklyService(
        build_delivery(wrong_store, parts(right).workflow, UserGate(100)),
        wrong_store.weekly,
        WeeklySettings(spread_seconds=0, retry_base_seconds=600, max_attempts=3),
        ZONE,
        notifier=wrong_notifier,
        clock=clock,
    )
    clock.set_local(MONDAY_7)
    caplog.set_level(logging.INFO, logger="bot.services.timetable.weekly")
    for _ in range(3):  # three ticks' worth of retries: each claim is skipped and tried later
        await wrong.drain()
        clock.advance(minutes=11)
    assert wrong.unreadable_seen == 3
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "ENCRYPTION_KEYS" in errors[0].getMessage()
    assert wrong_notifier.operator_notices == [(OperatorNotice.UNREADABLE_CREDENTIALS, 1)]
    assert (
        wrong_notifier.notices == [] and wrong_notifier.sent == []
    )  # the student is not told anything
    view = await wrong.view(USER)
    assert view is not None and view.active and view.paused_reason is None
    await wrong.aclose()
    await engine.dispose()

    await right.drain()  # the right key is back
    assert len(right_notifier.to(USER)) == 1 and right_notifier.sent[0].uploaded
    view = await right.view(USER)
    assert view is not None and view.active
    await close(right)
