"""Updates run concurrently, but each user's own updates run one at a time, in order.

PTB's default handles one update at a time, so one student waiting on SIIAU made
everybody wait. With `PerUserUpdateProcessor`, a student's code never races their
NIP, and nobody waits for another student's SIIAU work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.core.worktime import begin_work

# PTB counts an update from the moment it is taken from the queue, including the time it
# waits behind the same user's earlier updates; that bound is only a backstop. The cap
# that matters is `running`: updates actually being handled at once.
BACKLOG = 1 << 16


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """At most `running` updates handled at once; one at a time per user, in arrival order.

    Updates without a user (none of the kinds the bot asks for) run freely. An update
    queued behind the same user's earlier update takes no running slot while it waits,
    so one user sending many messages delays only themself.
    """

    def __init__(self, running: int = 256) -> None:
        super().__init__(max(BACKLOG, running))
        self._running = asyncio.BoundedSemaphore(running)
        self._users: dict[int, _Turns] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            async with self._running:
                begin_work()
                await coroutine
            return
        # Nothing is awaited before the turn is taken: PTB starts update tasks in arrival
        # order, so the turns are taken in arrival order too (asyncio.Lock is first come, first served).
        turns = self._users.setdefault(user.id, _Turns())
        turns.waiting += 1
        try:
            async with turns.lock, self._running:
                # The update's work begins when its turn comes: what it sends after an
                # erase that came later is dropped (`bot/telegram/send_gate.py`).
                begin_work()
                await coroutine
        finally:
            turns.waiting -= 1
            if turns.waiting == 0:
                self._users.pop(user.id, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class _Turns:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0
