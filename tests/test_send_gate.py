"""The send gate: a send from work begun before the student's erase is dropped, on every replica."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import BaseRateLimiter

from bot.core.worktime import begin_work, work_started
from bot.services.runtime.background import Background
from bot.services.runtime.erasure import EraseLedger
from bot.store.db import create_engine, migrate
from bot.store.erasures import ErasureStore
from bot.telegram.send_gate import Erased, SendGate

USER = 4242
KEY = b"k" * 32


class Passthrough(BaseRateLimiter[int]):
    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def process_request(
        self, callback: Any, args: Any, kwargs: Any, endpoint: str, data: Any, rate_limit_args: Any
    ) -> Any:
        return await callback(*args, **kwargs)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ErasureStore]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/e.db")
    await migrate(engine)
    yield ErasureStore(engine)
    await engine.dispose()


class GateOver(SendGate):
    """The gate over `ledger`, with `send`: one request through it, as PTB makes it; `sent`
    keeps the endpoints that passed."""

    def __init__(self, ledger: EraseLedger) -> None:
        super().__init__(Passthrough())
        self.ledger = ledger
        self.sent: list[str] = []

    async def post(self, endpoint: str, data: dict[str, Any]) -> bool:
        self.sent.append(endpoint)
        return True

    async def send(self, endpoint: str, chat_id: int | str) -> None:
        data = {"chat_id": chat_id}
        await self.process_request(self.post, (endpoint, data), {}, endpoint, data, None)


def gate_over(ledger: EraseLedger) -> tuple[GateOver, list[str]]:
    gate = GateOver(ledger)
    return gate, gate.sent


async def test_work_begun_before_the_erase_sends_nothing_after_it_on_any_replica(
    store: ErasureStore,
) -> None:
    clock = Clock()
    here, there = EraseLedger(store, KEY, clock=clock), EraseLedger(store, KEY, clock=clock)
    gate_here, sent_here = gate_over(here)
    gate_there, sent_there = gate_over(there)
    begin_work(clock.now)
    await gate_there.send("sendMessage", USER)
    clock.now += 1
    erased = await here.mark(USER)
    for gate in (gate_here, gate_there):  # this process, and another replica that never saw it
        with pytest.raises(Erased):
            await gate.send("sendDocument", USER)
        with pytest.raises(Erased):
            await gate.send("editMessageText", str(USER))
    await gate_there.send("sendMessage", -100123)  # groups: not a student's chat
    await gate_there.send("sendMessage", USER + 1)  # someone else
    begin_work(erased)  # the confirmation itself, and what the student asks from now on
    await gate_here.send("editMessageText", USER)
    clock.now += 5
    begin_work(clock.now)
    await gate_there.send("sendMessage", USER)
    assert sent_here == ["editMessageText"]
    assert sent_there == ["sendMessage", "sendMessage", "sendMessage", "sendMessage"]
    assert gate_here.dropped == 2 and gate_there.dropped == 2


async def test_the_database_keeps_a_keyed_hash_never_the_id(
    store: ErasureStore, tmp_path: Path
) -> None:
    await EraseLedger(store, KEY).mark(USER)
    for file in tmp_path.glob("e.db*"):
        assert str(USER).encode() not in file.read_bytes()


async def test_background_work_begins_when_it_is_started() -> None:
    begin_work(1.0)
    seen: list[float | None] = []

    async def job() -> None:
        seen.append(work_started())

    background = Background()
    background.start(job())
    await background.drain(_none)
    assert seen and seen[0] is not None and seen[0] > 1.0
    assert work_started() == 1.0, "the caller's own start is untouched"


async def _none() -> int:
    return 0
