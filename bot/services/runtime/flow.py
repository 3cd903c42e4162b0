"""The task runner: timeout, retries with backoff for transient errors, breaker, records.

A task is a plain async callable. The runner tries it, records every attempt in
the run's `TaskRun`, and retries only errors that say they are `transient`.
A rejected NIP (`InvalidCredentials`) is permanent and so is never retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.core.records import FlowRun, State, utcnow
from bot.services.errors import CircuitOpen
from bot.services.runtime import metrics
from bot.services.runtime.breaker import Breaker

log = logging.getLogger(__name__)
T = TypeVar("T")


class TaskTimedOut(Exception):
    transient = True


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int
    backoff_base: float
    backoff_max: float

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff with 'equal jitter': half fixed, half random."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


def is_transient(error: BaseException) -> bool:
    return bool(getattr(error, "transient", False))


class FlowRunner:
    def __init__(
        self,
        policy: RetryPolicy,
        breaker: Breaker,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`sleep` and `rand` (the backoff jitter, in [0, 1)) are injectable so tests can be exact."""
        self.policy = policy
        self.breaker = breaker
        self._sleep = sleep
        self._rand = rand

    async def task(
        self,
        run: FlowRun,
        name: str,
        action: Callable[[], Awaitable[T]],
        *,
        timeout: float,
        retry: bool = True,
        guarded: bool = False,
        on_timeout: Callable[[], Exception] = lambda: TaskTimedOut("task timed out"),
        before_retry: Callable[[], Awaitable[None]] | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run `action` as task `name` of `run`. `guarded` tasks talk to SIIAU."""
        policy = policy or self.policy
        record = run.task(name)
        record.state = State.RUNNING
        record.started_at = utcnow()
        started = time.perf_counter()
        try:
            while True:
                if guarded and not await self.breaker.allow():
                    raise CircuitOpen("SIIAU circuit breaker is open")
                record.attempts += 1
                try:
                    result = await self._attempt(action, timeout, on_timeout)
                except Exception as error:
                    if guarded:
                        await self._tell_breaker(error)
                    if not (retry and is_transient(error)) or record.attempts > policy.retries:
                        raise
                    metrics.RETRIES.labels(name).inc()
                    delay = policy.delay(record.attempts, self._rand)
                    log.info(
                        "task retry run=%s task=%s attempt=%d error=%s delay=%.2fs",
                        run.id,
                        name,
                        record.attempts,
                        type(error).__name__,
                        delay,
                    )
                    await self._sleep(delay)
                    if before_retry is not None:
                        await before_retry()
                    continue
                if guarded:
                    await self.breaker.record_success()
                record.state = State.COMPLETED
                return result
        except BaseException as error:
            if guarded and isinstance(error, asyncio.CancelledError):
                await self.breaker.release()
            record.state = State.FAILED
            record.error_class = type(error).__name__
            raise
        finally:
            record.duration_ms = int((time.perf_counter() - started) * 1000)

    async def _attempt(
        self,
        action: Callable[[], Awaitable[T]],
        timeout: float,
        on_timeout: Callable[[], Exception],
    ) -> T:
        try:
            return await asyncio.wait_for(action(), timeout)
        except TimeoutError:
            raise on_timeout() from None

    async def _tell_breaker(self, error: BaseException) -> None:
        if getattr(error, "counts_against_breaker", False):
            await self.breaker.record_failure()
        else:
            # The portal answered (a wrong NIP, a survey…): SIIAU itself is up.
            await self.breaker.record_success()


def skip(run: FlowRun, name: str, state: State = State.SKIPPED) -> None:
    """Record a task that did not need to run (a cache hit, a step not wanted)."""
    record = run.task(name)
    record.state = state
    record.started_at = utcnow()
