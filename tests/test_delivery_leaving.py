"""A /horario consumer that leaves or is cancelled after SIIAU's page was read: the session's
logout is never cut, and the run is over (logged out, on the record or not) when the consumer is.

SIIAU's logout here waits for the test (`HeldLogouts`), so each test puts the consumer's
cancellation exactly where it means to: while the run logs out. No sleeps: futures order it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import build_delivery, build_registration, build_stores
from bot.config import PdfSettings, SiiauSettings
from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.pdf.renderer import PdfRenderer
from bot.schedule.model import Schedule
from bot.services.runtime.breaker import CircuitBreaker
from bot.services.runtime.flow import FlowRunner, RetryPolicy
from bot.services.runtime.gate import UserGate
from bot.services.runtime.workflow import FlowResult, ReadyCallback, ScheduleWorkflow
from bot.services.timetable.delivery import DeliveryService
from bot.services.timetable.events import Changed, Event, Ready, SavedCopy, Stage
from bot.siiau.client import SiiauClientFactory
from bot.siiau.portal import Career, Portal, SchedulePage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from tests import workflow_kit

USER = 4343
KEY = CredentialCipher.generate_key()


class QuickRenderer(PdfRenderer):
    async def render(self, schedule: Schedule) -> bytes:
        self.renders += 1
        return b"%PDF-1.4 " + schedule.content_hash.encode()


@dataclass
class HeldLogouts:
    """Every logout waits for `go` while `held`; `started` resolves when one is waiting."""

    held: bool = False
    go: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Future[None] | None = None
    done: int = 0  # held logouts SIIAU answered
    cut: int = 0  # held logouts cancelled before SIIAU answered

    def hold(self) -> asyncio.Future[None]:
        self.held = True
        self.started = asyncio.get_running_loop().create_future()
        return self.started

    def release_soon(self) -> None:
        """Let the logout go at the loop's next turn: after whatever the caller just set off."""
        asyncio.get_running_loop().call_soon(self.go.set)


class HeldPortal:
    """The real portal, whose logout waits for the test when `logouts.held`."""

    def __init__(self, inner: Portal, logouts: HeldLogouts) -> None:
        self._inner = inner
        self._logouts = logouts

    @property
    def unanswered_logins(self) -> int:
        return self._inner.unanswered_logins

    @unanswered_logins.setter
    def unanswered_logins(self, count: int) -> None:
        self._inner.unanswered_logins = count

    async def login(
        self, credentials: Credentials, on_accepted: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        await self._inner.login(credentials, on_accepted)

    async def careers(self) -> list[Career]:
        return await self._inner.careers()

    async def schedule_page(self, career: str, cycle: str | None = None) -> SchedulePage:
        return await self._inner.schedule_page(career, cycle)

    async def logout(self) -> None:
        logouts = self._logouts
        if not logouts.held:  # registration's, before the test holds them
            await self._inner.logout()
            return
        if logouts.started is not None and not logouts.started.done():
            logouts.started.set_result(None)
        try:
            await logouts.go.wait()
            await self._inner.logout()
        except asyncio.CancelledError:
            logouts.cut += 1
            raise
        logouts.done += 1

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Kit:
    service: DeliveryService
    store: Store
    workflow: TailedWorkflow
    logouts: HeldLogouts


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=4) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "every run logged out"


@dataclass
class Tail:
    """What a run does after its `Ready` was answered, held until `go`."""

    reached: asyncio.Future[None]
    go: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: bool = False


class TailedWorkflow(ScheduleWorkflow):
    """The real workflow; once armed, its next run waits for the test after its `Ready`."""

    tail: Tail | None = None

    def arm_tail(self) -> Tail:
        self.tail = Tail(asyncio.get_running_loop().create_future())
        return self.tail

    async def run(
        self, *args: Any, on_ready: ReadyCallback | None = None, **options: Any
    ) -> FlowResult:
        tail, handed, self.tail = self.tail, on_ready, None  # one run only
        if tail is None or handed is None:
            return await super().run(*args, on_ready=on_ready, **options)

        async def ready(result: FlowResult) -> None:
            await handed(result)
            tail.reached.set_result(None)
            try:
                await tail.go.wait()
            except asyncio.CancelledError:
                tail.cancelled = True
                raise

        return await super().run(*args, on_ready=ready, **options)


def held_workflow(base_url: str, logouts: HeldLogouts) -> TailedWorkflow:
    settings = SiiauSettings(
        base_url=base_url,
        retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
        read_timeout=2.0,
        connect_timeout=2.0,
        task_timeout=10.0,
        breaker_threshold=5,
        breaker_cooldown=0.5,
        max_logins_per_hour=50,
    )
    factory = SiiauClientFactory(settings)
    workflow = TailedWorkflow(
        lambda: HeldPortal(factory(), logouts),
        QuickRenderer(PdfSettings()),
        FlowRunner(
            RetryPolicy(settings.retries, settings.backoff_base, settings.backoff_max),
            CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown),
            rand=random.Random(workflow_kit.JITTER_SEED).random,
        ),
        settings,
    )
    workflow_kit.CREATED.append(workflow)  # closed by conftest after the test
    return workflow


@pytest.fixture
async def kit(tmp_path: Path, siiau: SiiauSimulator) -> AsyncIterator[Kit]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'leaving.db'}")
    await migrate(engine)
    stores = build_stores(engine, CredentialCipher([KEY]))
    logouts = HeldLogouts()
    workflow = held_workflow(siiau.url, logouts)
    await build_registration(stores, workflow).register(
        USER, USER, Credentials(DEMO_CODE, DEMO_NIP)
    )
    service = build_delivery(stores, workflow, UserGate(100))
    yield Kit(service, stores.users, workflow, logouts)
    await engine.dispose()


async def runs(kit: Kit) -> list[tuple[str | None, str | None]]:
    recorded: list[FlowRun] = await kit.store.recent_runs(USER, limit=10)
    return [(r.outcome, r.error_class) for r in recorded if r.name == "horario"]


async def a_fresh_run_is_delivered(kit: Kit) -> None:
    """The student's turn is free and SIIAU's session too: the next run goes through."""
    seen: list[Event] = []
    async with aclosing(kit.service.deliver(USER)) as events:
        async for event in events:
            seen.append(event)
    assert isinstance(seen[-1], Changed)


def stuck_at(
    kit: Kit, stop: Callable[[Event], bool]
) -> tuple[asyncio.Task[None], asyncio.Future[None]]:
    """A consumer that stays forever at the first event `stop` picks (a send that hangs), and
    the future that says it got there."""
    arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def consume() -> None:
        async with aclosing(kit.service.deliver(USER)) as events:
            async for event in events:
                if stop(event):
                    arrived.set_result(None)
                    await asyncio.get_running_loop().create_future()  # never resolved

    return asyncio.create_task(consume()), arrived


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda e: isinstance(e, Ready), id="at-ready"),
        pytest.param(lambda e: e == Stage("pdf"), id="at-the-pdf-stage"),
    ],
)
async def test_a_consumer_cancelled_while_the_run_logs_out_never_cuts_the_logout(
    kit: Kit, siiau: SiiauSimulator, where: Callable[[Event], bool]
) -> None:
    started = kit.logouts.hold()
    consumer, arrived = stuck_at(kit, where)
    await asyncio.wait({arrived, started})  # the page was read: SIIAU's logout is under way
    assert not consumer.done()
    consumer.cancel()
    kit.logouts.release_soon()  # once the cancellation has reached the run
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert (kit.logouts.cut, kit.logouts.done) == (0, 1), "SIIAU heard the logout"
    assert siiau.open_sessions() == []
    assert await runs(kit) == [], "a cancelled run is not recorded"
    await a_fresh_run_is_delivered(kit)


@pytest.mark.parametrize("answer", ["changed", "unchanged"])
async def test_a_consumer_cancelled_once_the_run_is_past_its_pdf_lets_it_end_on_the_record(
    kit: Kit, siiau: SiiauSimulator, answer: str
) -> None:
    if answer == "unchanged":  # a saved copy the student is shown, which SIIAU confirms
        seen = [e async for e in kit.service.deliver(USER)]
        ready = next(e for e in seen if isinstance(e, Ready))
        await kit.service.remember_document(USER, ready.delivery, "file-1")
    # The run goes on past its PDF for a while (`tail`), as the workflow does while it waits
    # for its logout: a cancellation that reached the run there would cut the logout, or be
    # swallowed by that wait and leave the session's task behind, the student's turn free.
    tail = kit.workflow.arm_tail()

    async def consume() -> None:
        async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
            async for event in events:
                if isinstance(event, SavedCopy):
                    events.shown(event)

    consumer = asyncio.create_task(consume())
    await tail.reached  # the consumer took what there was and waits for the verdict
    consumer.cancel()
    asyncio.get_running_loop().call_soon(tail.go.set)
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert not tail.cancelled, "the run was cancelled past its PDF"
    assert siiau.open_sessions() == []
    outcome = "delivered" if answer == "changed" else "reused"
    assert (await runs(kit))[0] == (outcome, None), "over, and on the record"
    await a_fresh_run_is_delivered(kit)


async def test_a_consumer_cancelled_again_while_its_run_ends_still_outlasts_the_run(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    started = kit.logouts.hold()
    left: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def consume() -> None:
        async with aclosing(kit.service.deliver(USER)) as events:
            async for event in events:
                if event == Stage("login"):
                    left.set_result(None)
                    break  # the run fails with Abandoned, after its logout

    consumer = asyncio.create_task(consume())
    await asyncio.wait({left, started})  # closing the stream waits for the run's logout
    assert not consumer.done()
    consumer.cancel()  # e.g. the bot stops now
    kit.logouts.release_soon()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    # Nothing of the run is left behind the consumer: no task still running, no exception
    # never retrieved, and the student's turn held until the run is over.
    assert (kit.logouts.cut, kit.logouts.done) == (0, 1)
    assert siiau.open_sessions() == []
    assert await runs(kit) == [("failed", "Abandoned")]
    await a_fresh_run_is_delivered(kit)


class ContextLines(logging.Handler):
    """Each line's message with the log context it would be written with (`bot.logs`)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[str, dict[str, object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), logcontext.current()))


async def test_what_a_run_says_after_its_consumer_left_names_the_student(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "bot.services.timetable.delivery")
    lines = ContextLines()
    delivery_log = logging.getLogger("bot.services.timetable.delivery")
    delivery_log.addHandler(lines)
    try:
        async with aclosing(kit.service.deliver(USER)) as events:
            async for event in events:
                if event == Stage("login"):
                    break
    finally:
        delivery_log.removeHandler(lines)
    left = [fields for message, fields in lines.lines if "consumer left" in message]
    assert left == [{"user_id": USER}]


async def test_a_consumer_cancelled_before_siiau_is_asked_leaves_nothing_behind(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    # A first run leaves a saved copy; the next consumer is cancelled while it sends it.
    seen = [e async for e in kit.service.deliver(USER)]
    ready = next(e for e in seen if isinstance(e, Ready))
    await kit.service.remember_document(USER, ready.delivery, "file-1")
    logins = sum(siiau.logins.values())
    arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def consume() -> None:
        async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
            async for event in events:
                assert isinstance(event, SavedCopy), "the copy comes before SIIAU is asked"
                arrived.set_result(None)
                await asyncio.get_running_loop().create_future()  # a send that hangs

    consumer = asyncio.create_task(consume())
    await arrived
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert sum(siiau.logins.values()) == logins, "no run was started for nobody"
    assert [o for o, _ in await runs(kit)] == ["delivered"], "only the first run"
    await a_fresh_run_is_delivered(kit)  # the student's turn was given back
