"""A circuit breaker shared by every run: SIIAU failing for all means stop asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from bot.services import metrics


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


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

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one trial call at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        metrics.BREAKER_OPEN.set(0)
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        was_trial = self._trial_running
        self._trial_running = False
        if was_trial or self._failures >= self._threshold:
            if self._opened_at is None or was_trial:
                self.times_opened += 1
                metrics.BREAKER_OPENINGS.inc()
            self._opened_at = self._clock()
            metrics.BREAKER_OPEN.set(1)

    def release(self) -> None:
        """A trial call ended without saying anything about SIIAU's health."""
        self._trial_running = False
