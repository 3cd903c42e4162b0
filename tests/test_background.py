"""The one claim → lease → pump → drain loop (`bot.services.runtime.background.Worker`), on an
in-memory table of leased rows, a clock the test moves and a lease keeper the test paces."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from bot.services.runtime.background import Job, Worker, always

LEASE = 10
PATIENCE = 30  # seconds; a bound on a wait, never a pace
T = TypeVar("T")
log = logging.getLogger("tests.background")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


@dataclass
class Table:
    """Due rows leased like the stores lease them: a free row is one whose lease is over."""

    clock: Clock
    due: set[int] = field(default_factory=set)
    leases: dict[int, int] = field(default_factory=dict)
    claims: list[int] = field(default_factory=list)  # the room asked for, call by call
    fail_next: int = 0  # this many next claims raise, as a database that went away would
    hold: asyncio.Event | None = None  # set: claims wait for it (a slow database)
    claiming: asyncio.Event = field(default_factory=asyncio.Event)

    async def claim(self, now: int, room: int) -> list[int]:
        self.claims.append(room)
        self.claiming.set()
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(0)  # a round trip: other pumps get a turn meanwhile
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("database went away")
        free = sorted(r for r in self.due if self.leases.get(r, 0) <= now)[:room]
        for row in free:
            self.leases[row] = now + LEASE
        return free

    def done(self, row: int) -> None:
        self.due.discard(row)
        self.leases.pop(row, None)

    async def renew(self, row: int) -> None:
        self.leases[row] = self.clock() + LEASE


@dataclass
class Work:
    """What each claim does: waits for its gate when one is set, records what happened."""

    table: Table
    gates: dict[int, asyncio.Event] = field(default_factory=dict)
    started: dict[int, asyncio.Event] = field(default_factory=dict)
    crash: set[int] = field(default_factory=set)
    result: object = "done"
    ran: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    running: int = 0
    peak: int = 0

    def gate(self, *rows: int) -> None:
        for row in rows:
            self.gates[row] = asyncio.Event()
            self.started[row] = asyncio.Event()

    async def __call__(self, row: int) -> object:
        self.ran.append(row)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            if row in self.gates:
                self.started[row].set()
                await self.gates[row].wait()
            await asyncio.sleep(0)  # one turn of the loop: runs overlap as real work does
            if row in self.crash:
                raise RuntimeError(f"bug in row {row}")
            self.table.done(row)
            self.finished.append(row)
            return self.result
        except asyncio.CancelledError:
            self.cancelled.append(row)
            raise
        finally:
            self.running -= 1


def make(
    rows: range,
    room: int | Callable[[int], Awaitable[int]] = 2,
    *,
    key: Callable[[int], Hashable] | None = None,
    refill: Callable[[object, int], bool] = always,
) -> tuple[Worker[int], Table, Work, Clock]:
    clock = Clock()
    table = Table(clock, due=set(rows))
    work = Work(table)
    job = Job(
        name="test job",
        room=room,
        claim=table.claim,
        run=work,
        clock=clock,
        describe=lambda row: f"row={row}",
        key=key,
        refill=refill,
        logger=log,
    )
    return Worker(job), table, work, clock


class Tasks:
    """The tasks started during a test. `settle` waits until they are all over (refills
    included): then what did not happen will not happen either. No timer decides it; the bound
    only turns a hang (a bug) into a failure."""

    def __init__(self) -> None:
        self.before = asyncio.all_tasks()

    def left(self) -> set[asyncio.Task[Any]]:
        current = asyncio.current_task()
        return {t for t in asyncio.all_tasks() - self.before if t is not current}

    async def settle(self) -> None:
        async with asyncio.timeout(PATIENCE):
            while True:
                while others := self.left():
                    await asyncio.wait(others)
                # A task that just ended may have its done-callbacks queued still: one turn of
                # the loop runs them (they may start tasks: look again).
                await asyncio.sleep(0)
                if not self.left():
                    return


@pytest.fixture
async def tasks() -> Tasks:
    return Tasks()


async def within(awaitable: Awaitable[T]) -> T:
    async with asyncio.timeout(PATIENCE):
        return await awaitable


# ---- draining ------------------------------------------------------------------------------
async def test_drain_runs_everything_due_within_the_room_and_leaves_nothing_in_flight() -> None:
    worker, table, work, _ = make(range(1, 8), room=3)
    await worker.drain()
    assert sorted(work.finished) == list(range(1, 8)) and work.peak == 3
    assert len(worker) == 0 and table.due == set()
    assert all(room <= 3 for room in table.claims)


async def test_pumps_at_once_never_start_more_than_the_room(tasks: Tasks) -> None:
    """The tick, a refill and a drain may pump together: room is counted and filled as one."""
    worker, table, work, _ = make(range(1, 9), room=2)
    await within(asyncio.gather(worker.drain(), worker.pump(), worker.pump(), worker.drain()))
    await tasks.settle()
    assert sorted(work.finished) == list(range(1, 9)) and work.peak == 2


async def test_an_async_room_decides_how_many_start(tasks: Tasks) -> None:
    """As the seat watcher's: none while the breaker is open, one trial while it is half open."""
    state = {"room": 0}
    seen: list[int] = []

    async def room(running: int) -> int:
        seen.append(running)
        return state["room"]

    worker, table, work, _ = make(range(1, 4), room=room)
    assert await worker.pump() == 0 and table.claims == [], "no room: the database is not asked"
    state["room"] = 1
    work.gate(1)
    assert await worker.pump() == 1 and table.claims == [1]
    assert await worker.pump() == 1, "the room is the callable's, however many run"
    assert seen == [0, 0, 1], "it is told how many are in flight"
    work.gates[1].set()
    state["room"] = 0
    await tasks.settle()
    assert sorted(work.finished) == [1, 2] and table.due == {3}


# ---- leases ----------------------------------------------------------------------------------
async def test_a_claim_whose_lease_lapsed_in_flight_is_not_run_twice(
    tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """A stall lets the lease run out while the run goes on: the database hands the row out
    again, and the worker leaves it to the run under way."""
    caplog.set_level(logging.INFO, logger=log.name)
    worker, table, work, clock = make(range(1, 2), key=lambda row: row)
    work.gate(1)
    assert await worker.pump() == 1
    await within(work.started[1].wait())
    clock.now += LEASE + 1
    assert await worker.pump() == 1, "the database hands the lapsed claim out again"
    assert work.ran == [1] and len(worker) == 1
    assert "test job claimed while still under way here row=1" in caplog.text
    work.gates[1].set()
    await tasks.settle()
    assert work.ran == [1] and work.finished == [1]
    # Once it is over, its key is free: the row due again (next week) runs again.
    table.due.add(1)
    await worker.drain()
    assert work.ran == [1, 1]


async def test_the_lease_is_kept_while_the_claim_runs_and_no_longer(
    tasks: Tasks,
) -> None:
    ticks: asyncio.Queue[None] = asyncio.Queue()
    asked: list[float] = []
    renewed = asyncio.Event()

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        await ticks.get()

    clock = Clock()
    table = Table(clock, due={1})
    work = Work(table)

    async def keep(row: int) -> None:
        await table.renew(row)
        renewed.set()

    job = Job(
        name="kept",
        room=2,
        claim=table.claim,
        run=work,
        clock=clock,
        keep=keep,
        keep_every=LEASE / 3,
    )
    worker = Worker(job, sleep=sleep)
    work.gate(1)
    await worker.pump()
    await within(work.started[1].wait())
    clock.now += LEASE - 1
    ticks.put_nowait(None)
    await within(renewed.wait())
    assert table.leases[1] == clock.now + LEASE
    clock.now += LEASE - 1  # past the first lease, within the renewed one
    assert await worker.pump() == 0, "a kept lease is not handed out again"
    work.gates[1].set()
    await tasks.settle()  # the keeper was cancelled with its run, or this would wait forever
    assert work.finished == [1] and asked == [LEASE / 3, LEASE / 3]


async def test_a_renewal_that_fails_is_logged_and_tried_again(
    tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    ticks: asyncio.Queue[None] = asyncio.Queue()
    calls: list[int] = []
    second = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await ticks.get()

    async def keep(row: int) -> None:
        calls.append(row)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        second.set()

    clock = Clock()
    table = Table(clock, due={1})
    work = Work(table)
    job = Job(
        name="kept",
        room=1,
        claim=table.claim,
        run=work,
        clock=clock,
        keep=keep,
        logger=log,
        describe=lambda row: f"row={row}",
    )
    worker = Worker(job, sleep=sleep)
    work.gate(1)
    await worker.pump()
    ticks.put_nowait(None)
    ticks.put_nowait(None)
    await within(second.wait())
    assert "kept lease not renewed row=1 error=ConnectionError" in caplog.text
    work.gates[1].set()
    await tasks.settle()
    assert work.finished == [1]


# ---- failures ----------------------------------------------------------------------------------
async def test_a_crash_is_logged_frees_its_slot_and_the_next_claim_runs(
    tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    worker, table, work, _ = make(range(1, 4), room=1, key=lambda row: row)
    work.crash.add(1)
    assert await worker.pump() == 1
    await tasks.settle()  # no second pump from the test: the crash's freed slot claims the next
    assert work.ran == [1, 2, 3] and work.finished == [2, 3] and len(worker) == 0
    [crash] = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert crash.getMessage() == "test job crashed row=1" and crash.levelno == logging.ERROR
    assert crash.exc_info is not None and "bug in row 1" in str(crash.exc_info[1])
    assert table.due == {1}, "a crashed claim stays due; its lease runs out and it is claimed again"


async def test_a_failing_refill_pump_is_logged_not_raised_and_the_next_pump_works(
    tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    worker, table, work, _ = make(range(1, 3), room=1)
    assert await worker.pump() == 1
    table.fail_next = 1  # the pump row 1's freed slot starts
    await tasks.settle()
    assert work.finished == [1] and table.claims == [1, 1]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == ["test job pump failed: ConnectionError"]
    # A pump the caller awaits (the tick) raises to it, and leaves the worker fit to pump again.
    table.fail_next = 1
    with pytest.raises(ConnectionError):
        await worker.pump()
    assert await worker.pump() == 1
    await tasks.settle()
    assert work.finished == [1, 2]


# ---- refills -----------------------------------------------------------------------------------
async def test_a_finished_claim_refills_its_slot_at_once(
    tasks: Tasks,
) -> None:
    worker, table, work, _ = make(range(1, 6), room=2)
    assert await worker.pump() == 2
    await tasks.settle()
    assert sorted(work.finished) == [1, 2, 3, 4, 5], (
        "one pump, and each freed slot claimed the next"
    )
    assert table.due == set()


async def test_the_refill_policy_sees_the_result(tasks: Tasks) -> None:
    """As the seat watcher's: a freed slot is claimed again only after a real poll."""
    asked: list[tuple[object, int]] = []

    def refill(result: object, running: int) -> bool:
        asked.append((result, running))
        return result == "polled"

    worker, table, work, _ = make(range(1, 4), room=1, refill=refill)
    work.result = "paused"
    assert await worker.pump() == 1
    await tasks.settle()
    assert asked == [("paused", 0)] and table.claims == [1], "a paused poll claims nothing more"
    work.result = "polled"
    assert await worker.pump() == 1
    await tasks.settle()
    assert work.finished == [1, 2, 3] and table.claims == [1, 1, 1, 1]
    table.due.add(4)
    work.crash.add(4)
    assert await worker.pump() == 1
    await tasks.settle()
    assert asked[-1] == (None, 0), "a crash hands None"


async def test_the_refill_policy_sees_how_many_still_run(
    tasks: Tasks,
) -> None:
    """As the digest's: freed slots are claimed in batches, once half the room is free."""
    running_when_asked: list[int] = []

    def refill(result: object, running: int) -> bool:
        running_when_asked.append(running)
        return running <= 1

    worker, table, work, _ = make(range(1, 5), room=4, refill=refill)
    work.gate(1, 2, 3, 4)
    assert await worker.pump() == 4
    for row in (1, 2, 3, 4):
        work.gates[row].set()
    await tasks.settle()
    assert sorted(running_when_asked) == [0, 1, 2, 3]
    assert len(table.claims) == 3, (
        "the first pump, then one for each finish that left at most one running"
    )


# ---- shutting down -----------------------------------------------------------------------------
async def test_aclose_cancels_in_flight_work_and_claims_no_more(
    tasks: Tasks,
) -> None:
    worker, table, work, clock = make(range(1, 4), room=2, key=lambda row: row)
    work.gate(1, 2)
    assert await worker.pump() == 2
    await within(work.started[1].wait())
    await within(work.started[2].wait())
    await worker.aclose()
    assert sorted(work.cancelled) == [1, 2] and work.finished == [] and len(worker) == 0
    assert await worker.pump() == 0 and table.claims == [2], "closed: nothing more is claimed"
    await worker.drain()
    await tasks.settle()
    assert table.claims == [2], "no refill after a cancellation"
    # The cancelled claims' leases run out; another process takes them over.
    clock.now += LEASE
    work.gates.clear()
    replica: Worker[int] = Worker(
        Job(name="replica", room=2, claim=table.claim, run=work, clock=clock)
    )
    await replica.drain()
    assert sorted(work.finished) == [1, 2, 3] and table.due == set()


async def test_a_worker_closed_while_a_tick_claims_starts_nothing(tasks: Tasks) -> None:
    worker, table, work, _ = make(range(1, 4), room=1)
    table.hold = asyncio.Event()
    ticking = asyncio.create_task(worker.pump())
    await within(table.claiming.wait())
    await worker.aclose()
    table.hold.set()
    assert await within(ticking) == 0, "the leases run out; a later run takes the rows"
    await tasks.settle()
    assert work.ran == [] and table.claims == [1]


async def test_aclose_stops_a_refill_under_way(tasks: Tasks) -> None:
    worker, table, work, _ = make(range(1, 4), room=1)
    assert await worker.pump() == 1
    table.hold = asyncio.Event()
    table.claiming.clear()
    await within(table.claiming.wait())  # row 1 is over; its refill waits on the database
    await within(worker.aclose())
    assert tasks.left() == set(), "nothing is left running after aclose"
    assert work.ran == [1] and table.claims == [1, 1]
