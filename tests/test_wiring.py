"""Wiring in one place: the chat's ticks and the heartbeat service, as bootstrap defines them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import cast

import pytest

from bot.bootstrap import chat_ticks
from bot.config import Settings
from bot.services.bundle import Services
from bot.services.runtime.heartbeat import HeartbeatService


class Calls:
    """Stands in for the services a tick drives; records which ran."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def method(self, name: str) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            self.ran.append(name)
            return 0

        return run


async def test_the_chat_ticks_drive_each_worker_at_its_own_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "WEEKLY_TICK_SECONDS": "7",
        "CUPOS_TICK_SECONDS": "11",
        "DAILY_TICK_SECONDS": "13",
        "GRADES_TICK_SECONDS": "60",
        "GRADES_POLL_SECONDS": "20",  # shorter than the tick: checks that often
    }.items():
        monkeypatch.setenv(name, value)
    calls = Calls()
    services = SimpleNamespace(
        weekly=SimpleNamespace(pump=calls.method("weekly")),
        cupos=SimpleNamespace(tick=calls.method("cupos")),
        daily=SimpleNamespace(pump=calls.method("daily")),
        grades=SimpleNamespace(pump=calls.method("grades")),
    )
    ticks = chat_ticks(Settings(), cast(Services, services))
    assert [(t.name, t.interval, t.begins_work) for t in ticks] == [
        ("weekly-tick", 7, True),
        ("cupos-tick", 11, True),
        ("daily-tick", 13, True),
        ("grades-tick", 20, False),
    ]
    for tick in ticks:
        await tick.run()
    assert calls.ran == ["weekly", "cupos", "daily", "grades"]


class Records:
    """The heartbeat's store, failing as told."""

    def __init__(self, *, write: bool, read: bool) -> None:
        self.write, self.read_ok = write, read

    async def beat(self, timeout: float) -> None:
        if not self.write:
            raise OSError("disk full")

    async def read(self, timeout: float) -> None:
        if not self.read_ok:
            raise ConnectionRefusedError("gone")


@pytest.mark.parametrize(
    ("write", "read", "state"),
    [(True, True, "ok"), (False, True, "read_only"), (False, False, "unreachable")],
)
async def test_the_heartbeat_tells_a_writable_database_from_a_read_only_or_gone_one(
    write: bool, read: bool, state: str
) -> None:
    heartbeat = HeartbeatService(Records(write=write, read=read))
    assert await heartbeat.database_state(0.5) == state
