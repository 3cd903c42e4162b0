"""Work a service starts in the background and answers for, and the one loop that feeds it.

`Background` is a set of tasks in flight. `Worker` is the claim → lease → pump → drain loop
that weekly deliveries, the daily digest and the seat watcher share (and every later poller):
the database leases due rows to one process (`claim`), the worker runs each in a task while
keeping its lease, and claims again as slots free up rather than waiting for the next tick.
A job says only what is particular to it (`Job`); the loop is written here once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.core.worktime import fresh_context

log = logging.getLogger(__name__)

C = TypeVar("C")


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


def always(result: object, running: int) -> bool:
    """The default refill policy: every finished claim frees a slot worth claiming for now."""
    return True


def epoch_seconds() -> int:
    return int(time.time())


def no_detail(claim: object) -> str:
    """The default `describe`: a claim may carry personal data, so logs name none of it."""
    return ""


@dataclass(frozen=True, slots=True)
class Job(Generic[C]):
    """What a `Worker` does; `C` is one claim (a row the database leased to this process).

    - `name`: how log lines call it ("weekly delivery crashed user=…").
    - `room`: an int, at most that many claims in flight at once; or an async callable that,
      given how many are in flight, says how many more may start now (0 or less: none).
    - `claim(now, room)`: lease up to `room` due rows at `now` (`clock()`), and return them.
    - `run(claim)`: the work of one claim. What it returns goes to `refill`; what it raises
      is logged, and the slot is freed all the same (the claim's lease runs out or was released).
    - `clock`: now, in epoch seconds as the store counts leases.
    - `describe(claim)`: the claim in a log line (ids only, never a secret; default: nothing).
    - `keep(claim)`, every `keep_every` seconds while the claim runs: renew its lease.
    - `key(claim)`: a claim whose key is still in flight in this process is refused. Its lease
      ran out while this process works on it (a stalled event loop or database), so the
      database handed it out again: the run under way keeps it, a second would do it twice.
    - `refill(result, running)`: after a claim finishes (`result` is what `run` returned, None
      when it crashed; `running` how many are still in flight), claim again now rather than at
      the next tick? Not after a cancellation: the worker is closing.
    - `logger`: where the loop's lines go (the job's module, so they read as the job's).
    """

    name: str
    room: int | Callable[[int], Awaitable[int]]
    claim: Callable[[int, int], Awaitable[Sequence[C]]]
    run: Callable[[C], Awaitable[object]]
    clock: Callable[[], int] = epoch_seconds
    describe: Callable[[C], str] = no_detail
    keep: Callable[[C], Awaitable[None]] | None = None
    keep_every: float = 60.0
    key: Callable[[C], Hashable] | None = None
    refill: Callable[[object, int], bool] = always
    logger: logging.Logger = log


class Worker(Generic[C]):
    """Claims, runs and refills one `Job`: `pump` on each tick, `drain` to finish what is due,
    `aclose` on shutdown. `sleep` paces the lease keeper (tests hand in one they control)."""

    def __init__(
        self, job: Job[C], *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.job = job
        self._sleep = sleep
        self._tasks = Background()
        self._claiming = asyncio.Lock()  # one claim at a time: room is counted, then filled
        self._in_flight: set[Hashable] = set()
        self._refills: set[asyncio.Task[int]] = set()
        self._closed = False

    def __len__(self) -> int:
        """Claims in flight here."""
        return len(self._tasks)

    async def pump(self) -> int:
        """Claim as many due rows as there is room for and start them. Returns how many the
        database handed out (a refused one in flight here counts: it was claimed)."""
        job = self.job
        async with self._claiming:
            if self._closed:
                return 0
            running = len(self._tasks)
            room = job.room - running if isinstance(job.room, int) else await job.room(running)
            if room <= 0:
                return 0
            claims = await job.claim(job.clock(), room)
            if self._closed:  # closed while claiming: the leases run out, a later run takes them
                return 0
            for claim in claims:
                key = None if job.key is None else job.key(claim)
                if key is not None:
                    if key in self._in_flight:
                        job.logger.warning(
                            "%s claimed while still under way here %s",
                            job.name,
                            job.describe(claim),
                        )
                        continue
                    self._in_flight.add(key)
                self._tasks.start(self._run(claim, key))
        return len(claims)

    async def drain(self) -> None:
        """Run everything due now: pump until nothing is claimable or running."""
        await self._tasks.drain(self.pump)

    async def aclose(self) -> None:
        """Stop: no more claims, in-flight work cancelled (its leases run out, a later run
        or another replica takes it over)."""
        self._closed = True
        for refill in list(self._refills):
            refill.cancel()
        await self._tasks.cancel()
        await asyncio.gather(*self._refills, return_exceptions=True)

    async def _run(self, claim: C, key: Hashable | None) -> None:
        job = self.job
        keeper = None if job.keep is None else asyncio.create_task(self._keep(job.keep, claim))
        result: object = None
        try:
            result = await job.run(claim)
        except Exception:
            job.logger.exception("%s crashed %s", job.name, job.describe(claim))
        finally:
            if keeper is not None:
                keeper.cancel()
            if key is not None:
                self._in_flight.discard(key)
            self._tasks.done_with_current()
        # Not reached when cancelled. A slot just freed up: claim the next now, not at the next tick.
        if job.refill(result, len(self._tasks)):
            self._pump_soon()

    async def _keep(self, keep: Callable[[C], Awaitable[None]], claim: C) -> None:
        while True:
            await self._sleep(self.job.keep_every)
            try:
                await keep(claim)
            except Exception as error:  # noqa: BLE001 - tried again next time; the key guards a lapse
                self.job.logger.warning(
                    "%s lease not renewed %s error=%s",
                    self.job.name,
                    self.job.describe(claim),
                    type(error).__name__,
                )

    def _pump_soon(self) -> None:
        task = asyncio.create_task(self.pump())
        # Held, so it is neither collected mid-run nor left behind by aclose.
        self._refills.add(task)
        task.add_done_callback(self._pumped)

    def _pumped(self, task: asyncio.Task[int]) -> None:
        self._refills.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.job.logger.error(
                "%s pump failed: %s", self.job.name, type(task.exception()).__name__
            )


class WorkerService:
    """A service whose background work is one `Worker` (set `self._worker` in `__init__`):
    `pump` on each tick, `drain` to finish what is due now, `aclose` on shutdown."""

    _worker: Worker[Any]

    async def pump(self) -> int:
        """Claim as many due rows as there is room for, and start them."""
        return await self._worker.pump()

    async def drain(self) -> None:
        """Run everything due now (pump until nothing is claimable or running)."""
        await self._worker.drain()

    async def aclose(self) -> None:
        """Stop in-flight work; its leases run out and a later run takes it over."""
        await self._worker.aclose()
