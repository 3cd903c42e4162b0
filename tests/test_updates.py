"""The update processor: users concurrently, each user's own updates in order, a running cap."""

from __future__ import annotations

import asyncio
import itertools

from telegram import Update

from bot.telegram.updates import PerUserUpdateProcessor
from tests.helpers import until

IDS = itertools.count(1)


def update_from(user_id: int | None) -> Update:
    message = {
        "message_id": next(IDS),
        "date": 0,
        "chat": {"id": user_id or -5, "type": "private"},
        "text": "x",
    }
    if user_id is not None:
        message["from"] = {"id": user_id, "is_bot": False, "first_name": "A"}
    return Update.de_json({"update_id": next(IDS), "message": message}, None)


async def test_each_users_updates_run_in_order_and_users_run_side_by_side() -> None:
    processor = PerUserUpdateProcessor(running=8)
    log: list[str] = []
    gate = asyncio.Event()

    async def handle(name: str, wait: bool = False) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        log.append(f"end {name}")

    tasks = [
        asyncio.create_task(processor.process_update(update_from(1), handle("a1", wait=True))),
        asyncio.create_task(processor.process_update(update_from(1), handle("a2"))),
        asyncio.create_task(processor.process_update(update_from(2), handle("b1"))),
        asyncio.create_task(processor.process_update(update_from(None), handle("anon"))),
    ]
    await until(lambda: "end b1" in log and "end anon" in log, "other users waited for user 1")
    assert "start a2" not in log, "a user's second update started before their first ended"
    gate.set()
    await asyncio.gather(*tasks)
    assert log.index("end a1") < log.index("start a2")
    assert processor._users == {}, "no per-user state is kept once a user's updates are done"


async def test_running_updates_are_capped_and_waiting_users_hold_no_slot() -> None:
    processor = PerUserUpdateProcessor(running=2)
    running = peak = 0
    started: list[int] = []
    gate = asyncio.Event()

    async def handle(user: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        started.append(user)
        await gate.wait()
        running -= 1

    # Ten updates from one user, then two from others: the one user takes one slot at most.
    tasks = [
        asyncio.create_task(processor.process_update(update_from(1), handle(1))) for _ in range(10)
    ]
    others = [
        asyncio.create_task(processor.process_update(update_from(u), handle(u))) for u in (2, 3)
    ]
    await until(lambda: running == 2, "the cap was never reached")
    for _ in range(10):  # give a wrongly admitted update every chance to start
        await asyncio.sleep(0)
    assert started == [1, 2], "user 1's queued updates must not keep user 2 waiting"
    gate.set()
    await asyncio.gather(*tasks, *others)
    assert peak == 2
