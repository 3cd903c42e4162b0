"""Per-user admission: one run at a time, and a few runs per minute."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from bot.services.errors import AlreadyRunning, RateLimited


class Gate(Protocol):
    def admit(self, user_id: int, *, count: bool = True) -> AbstractAsyncContextManager[None]: ...

    def forget(self, user_id: int) -> None: ...


class UserGate:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._running: set[int] = set()
        self._recent: dict[int, deque[float]] = {}

    @asynccontextmanager
    async def admit(self, user_id: int, *, count: bool = True) -> AsyncIterator[None]:
        """One run per user at a time; `count` runs also spend the per-minute allowance."""
        if user_id in self._running:
            raise AlreadyRunning()
        if count:
            now = self._clock()
            recent = self._recent.setdefault(user_id, deque())
            while recent and now - recent[0] > 60:
                recent.popleft()
            if len(recent) >= self._per_minute:
                raise RateLimited()
            recent.append(now)
        self._running.add(user_id)
        try:
            yield
        finally:
            self._running.discard(user_id)

    def forget(self, user_id: int) -> None:
        self._running.discard(user_id)
        self._recent.pop(user_id, None)
