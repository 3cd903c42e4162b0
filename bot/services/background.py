"""Work a service starts in the background and answers for (weekly deliveries, seat polls)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.core.worktime import fresh_context


class Background:
    """The tasks in flight: counted for room, waited for by `drain`, cancelled by `cancel`."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        # Each task's work begins now: a send it makes after its student's erase is dropped.
        task = asyncio.create_task(work, context=fresh_context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def done_with_current(self) -> None:
        """The running task's work is over (its slot is free) though it has not returned yet."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)

    async def drain(self, pump: Callable[[], Awaitable[int]]) -> None:
        """Start and finish everything there is: pump until it starts nothing and none runs."""
        while await pump() or self._tasks:
            if self._tasks:
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
