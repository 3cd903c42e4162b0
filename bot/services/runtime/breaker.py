"""Circuit breakers: SIIAU failing for everyone means stop asking for a while.

`CircuitBreaker` lives in one process; `SharedCircuitBreaker` keeps its state in
the database so every replica opens and closes together. Both are async so the
flow runner treats them alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from bot.services.runtime import metrics
from bot.store.shared import SharedStore


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker(Protocol):
    async def allow(self) -> bool: ...
    async def record_success(self) -> None: ...
    async def record_failure(self) -> None: ...
    async def release(self) -> None: ...
    async def state(self) -> BreakerState: ...
    async def openings(self) -> int: ...


class CircuitBreaker:
    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self.times_opened = 0

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    async def state(self) -> BreakerState:
        return self._state()

    async def openings(self) -> int:
        return self.times_opened

    async def allow(self) -> bool:
        """May a call go out now? In half-open, only one trial call at a time."""
        state = self._state()
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    async def record_success(self) -> None:
        metrics.BREAKER_OPEN.set(0)
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    async def record_failure(self) -> None:
        self._failures += 1
        was_trial = self._trial_running
        self._trial_running = False
        if was_trial or self._failures >= self._threshold:
            if self._opened_at is None or was_trial:
                self.times_opened += 1
                metrics.BREAKER_OPENINGS.inc()
            self._opened_at = self._clock()
            metrics.BREAKER_OPEN.set(1)

    async def release(self) -> None:
        """A trial call ended without saying anything about SIIAU's health."""
        self._trial_running = False


class SharedCircuitBreaker:
    """The same rules, with failures and the open-until time in the database."""

    def __init__(
        self,
        store: SharedStore,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._trial = False

    async def state(self) -> BreakerState:
        record = await self._store.breaker()
        if record.opened_until_ts is None:
            return BreakerState.CLOSED
        return (
            BreakerState.OPEN if record.opened_until_ts > self._clock() else BreakerState.HALF_OPEN
        )

    async def openings(self) -> int:
        return (await self._store.breaker()).times_opened

    async def allow(self) -> bool:
        state = await self.state()
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and await self._store.breaker_trial(
            self._clock(), self._cooldown
        ):
            self._trial = True
            return True
        return False

    async def record_success(self) -> None:
        self._trial = False
        metrics.BREAKER_OPEN.set(0)
        await self._store.breaker_success()

    async def record_failure(self) -> None:
        trial, self._trial = self._trial, False
        before = await self._store.breaker()
        await self._store.breaker_failure(self._threshold, self._cooldown, self._clock(), trial)
        after = await self._store.breaker()
        if after.times_opened > before.times_opened:
            metrics.BREAKER_OPENINGS.inc()
        if after.opened_until_ts is not None:
            metrics.BREAKER_OPEN.set(1)

    async def release(self) -> None:
        self._trial = False
