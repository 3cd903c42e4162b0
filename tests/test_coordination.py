"""Shared leases on both back ends: the SIIAU bound and one run per user hold across 'replicas'."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.errors import AlreadyRunning, RateLimited
from bot.services.runtime.coordination import SharedSessionSlots, SharedUserGate
from bot.store.db import create_engine, migrate
from bot.store.shared import SharedStore
from tests.helpers import PATIENCE


async def test_session_slots_bound_holds_across_processes(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    # Two "replicas": two slot objects over the same table, as two processes would have.
    first, second = (
        SharedSessionSlots(SharedStore(engine), 3),
        SharedSessionSlots(SharedStore(engine), 3),
    )
    inside, peak, entered = 0, 0, 0
    changed = asyncio.Condition()

    async def session(slots: SharedSessionSlots) -> None:
        nonlocal inside, peak, entered
        async with slots.hold(), changed:
            inside += 1
            entered += 1
            peak = max(peak, inside)
            changed.notify_all()
            # Stay until the bound is full (or nobody is left to come in): it must stop there.
            async with asyncio.timeout(PATIENCE):
                await changed.wait_for(lambda: inside >= 3 or entered == 12)
            inside -= 1

    await asyncio.gather(*(session(first if i % 2 else second) for i in range(12)))
    await engine.dispose()
    assert peak == 3


async def test_a_slot_released_here_goes_to_a_waiter_here_at_once(db_url: str) -> None:
    """With polls an hour apart, only the release's own wake-up can let the waiter in."""
    engine = create_engine(db_url)
    await migrate(engine)
    slots = SharedSessionSlots(SharedStore(engine), 1, poll=(3600, 3600))
    held, waiting, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with slots.hold():
            held.set()
            await release.wait()

    async def told_to_wait() -> None:
        waiting.set()

    async def second() -> str:
        async with slots.hold(on_wait=told_to_wait):
            return "in"

    holder = asyncio.create_task(first())
    async with asyncio.timeout(PATIENCE):
        await held.wait()
        waiter = asyncio.create_task(second())
        await waiting.wait()
        release.set()
        assert await waiter == "in"
        await holder
    await engine.dispose()


async def test_an_expired_lease_is_taken_over(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    store = SharedStore(engine)
    assert await store.acquire("user:1", "dead-replica", until_ts=100.0, now_ts=50.0)
    assert not await store.acquire("user:1", "other", until_ts=200.0, now_ts=99.0)
    assert await store.acquire("user:1", "other", until_ts=200.0, now_ts=101.0)
    await engine.dispose()


async def test_user_gate_one_run_and_rate_across_processes(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    a, b = (
        SharedUserGate(SharedStore(engine), per_minute=2),
        SharedUserGate(SharedStore(engine), per_minute=2),
    )
    async with a.admit(7):
        with pytest.raises(AlreadyRunning):
            async with b.admit(7):
                pass
    async with b.admit(7):
        pass
    with pytest.raises(RateLimited):
        async with a.admit(7):
            pass
    async with a.admit(7, count=False):  # weekly runs do not spend the allowance
        pass
    await engine.dispose()
