"""/horario as a stream of events: their order, the verdicts, and a consumer that leaves early."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.bootstrap import build_delivery, build_registration, build_stores
from bot.config import PdfSettings
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.pdf.renderer import PdfRenderer, RenderError
from bot.schedule.diff import CourseChange
from bot.schedule.model import Schedule
from bot.services.errors import AlreadyRunning, CircuitOpen, CredentialsRejected, NotRegistered
from bot.services.runtime.gate import UserGate
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.services.timetable.delivery import DeliveryEvents, DeliveryService
from bot.services.timetable.events import (
    Changed,
    Delivery,
    Event,
    Failed,
    Ready,
    SavedCopy,
    Stage,
    Unchanged,
)
from bot.siiau.errors import InvalidCredentials
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from tests.helpers import until
from tests.workflow_kit import make_workflow

USER = 4242
KEY = CredentialCipher.generate_key()


class QuickRenderer(PdfRenderer):
    """A PDF's bytes without wkhtmltopdf: these tests are about what happens around it."""

    broken = False  # then it fails as wkhtmltopdf may

    async def render(self, schedule: Schedule) -> bytes:
        self.renders += 1
        if self.broken:
            raise RenderError("wkhtmltopdf died")
        return b"%PDF-1.4 " + schedule.content_hash.encode()


@dataclass
class Kit:
    service: DeliveryService
    store: Store
    workflow: ScheduleWorkflow
    siiau: SiiauSimulator
    registered_logouts: int  # registration's own session

    @property
    def logouts(self) -> int:
        """SIIAU sessions closed since registration."""
        return self.siiau.logouts - self.registered_logouts


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=3) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "every run logged out"


@pytest.fixture
async def kit(tmp_path: Path, siiau: SiiauSimulator) -> AsyncIterator[Kit]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'events.db'}")
    await migrate(engine)
    stores = build_stores(engine, CredentialCipher([KEY]))
    workflow = make_workflow(siiau.url, renderer=QuickRenderer(PdfSettings()))
    await build_registration(stores, workflow).register(
        USER, USER, Credentials(DEMO_CODE, DEMO_NIP)
    )
    service = build_delivery(stores, workflow, UserGate(100))
    yield Kit(service, stores.users, workflow, siiau, siiau.logouts)
    await engine.dispose()


def named(events: list[Event]) -> list[str]:
    return [f"Stage:{e.name}" if isinstance(e, Stage) else type(e).__name__ for e in events]


async def heard(events: DeliveryEvents, *, show: bool = True) -> list[Event]:
    """Every event, as a handler hears them; a saved copy reaches the student when `show`."""
    seen: list[Event] = []
    async with aclosing(events) as stream:
        async for event in stream:
            seen.append(event)
            if isinstance(event, SavedCopy) and show:
                stream.shown(event)
    return seen


async def sent_once(kit: Kit) -> Delivery:
    """A first /horario whose PDF Telegram keeps as "file-1": the next one has a saved copy."""
    seen = await heard(kit.service.deliver(USER, saved_copy=True))
    ready = next(e for e in seen if isinstance(e, Ready))
    await kit.service.remember_document(USER, ready.delivery, "file-1")
    return ready.delivery


async def runs(kit: Kit) -> list[FlowRun]:
    return [r for r in await kit.store.recent_runs(USER, limit=10) if r.name == "horario"]


async def test_a_fresh_run_hands_the_pdf_before_its_logout_ends_then_its_verdict(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    siiau.hold(path_contains="salir")
    seen: list[Event] = []
    at_ready: tuple[list[str], bool] | None = None
    async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
        async for event in events:
            seen.append(event)
            if isinstance(event, Ready):
                at_ready = (siiau.open_sessions(), await runs(kit) == [])
                siiau.release()
    assert named(seen) == ["Stage:login", "Stage:fetch", "Stage:pdf", "Ready", "Changed"]
    assert at_ready == ([DEMO_CODE], True), "handed over while SIIAU still logged out"
    ready, verdict = seen[3], seen[4]
    assert isinstance(ready, Ready) and isinstance(verdict, Changed)
    assert ready.delivery.pdf is not None and ready.delivery.pdf.startswith(b"%PDF")
    assert verdict.changes is None, "nothing was shown to compare with"
    assert [r.outcome for r in await runs(kit)] == ["delivered"] and kit.logouts == 1


async def test_a_saved_copy_comes_first_and_an_unchanged_schedule_is_not_sent_again(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    await sent_once(kit)
    logins = sum(siiau.logins.values())
    seen: list[Event] = []
    async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
        async for event in events:
            seen.append(event)
            if isinstance(event, SavedCopy):
                assert sum(siiau.logins.values()) == logins, "shown before SIIAU is asked"
                events.shown(event)
    assert named(seen) == ["SavedCopy", "Stage:login", "Stage:fetch", "Unchanged"]
    copy, verdict = seen[0], seen[-1]
    assert isinstance(copy, SavedCopy) and copy.document == "file-1"
    assert isinstance(verdict, Unchanged) and verdict.delivery.shown_copy is copy
    assert [r.outcome for r in await runs(kit)] == ["reused", "delivered"]


async def test_a_saved_copy_that_never_reached_the_student_is_not_what_siiau_confirms(
    kit: Kit,
) -> None:
    await sent_once(kit)
    seen = await heard(kit.service.deliver(USER, saved_copy=True), show=False)
    assert named(seen) == ["SavedCopy", "Stage:login", "Stage:fetch", "Ready", "Changed"]
    ready = seen[3]
    assert isinstance(ready, Ready) and ready.delivery.document_ref == "file-1"


async def test_a_changed_schedule_is_handed_over_with_what_changed(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    await sent_once(kit)
    courses = siiau.student(DEMO_CODE).careers[0].courses
    courses.remove(next(c for c in courses if c.name == "INGLES IV"))
    seen = await heard(kit.service.deliver(USER, saved_copy=True))
    assert named(seen) == [
        "SavedCopy",
        "Stage:login",
        "Stage:fetch",
        "Stage:pdf",
        "Ready",
        "Changed",
    ]
    verdict = seen[-1]
    assert isinstance(verdict, Changed) and verdict.changes is not None
    assert [(c.kind, c.name) for c in verdict.changes] == [("removed", "INGLES IV")]
    assert all(isinstance(c, CourseChange) for c in verdict.changes)


async def test_a_wrong_nip_is_a_failed_verdict_and_never_tried_again(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    siiau.student(DEMO_CODE).nip = "nuevo123"
    seen = await heard(kit.service.deliver(USER, saved_copy=True))
    assert named(seen) == ["Stage:login", "Failed"]
    verdict = seen[-1]
    assert isinstance(verdict, Failed) and isinstance(verdict.error, InvalidCredentials)
    again = await heard(kit.service.deliver(USER, saved_copy=True))
    assert named(again) == ["Failed"]
    assert isinstance(again[0], Failed) and isinstance(again[0].error, CredentialsRejected)
    assert siiau.wrong_nips[DEMO_CODE] == 1, "a rejected NIP must not be tried again"
    assert [(r.outcome, r.error_class) for r in await runs(kit)] == [
        ("failed", "InvalidCredentials")
    ]


async def test_the_gate_and_registration_answer_as_verdicts(kit: Kit) -> None:
    async with aclosing(kit.service.deliver(USER)) as first:
        assert isinstance(await anext(first), Stage)  # the first run holds the user's turn
        busy = await heard(kit.service.deliver(USER))
    assert len(busy) == 1 and isinstance(busy[0], Failed)
    assert isinstance(busy[0].error, AlreadyRunning)
    stranger = await heard(kit.service.deliver(USER + 1))
    assert len(stranger) == 1 and isinstance(stranger[0], Failed)
    assert isinstance(stranger[0].error, NotRegistered)


async def test_a_consumer_whose_send_fails_at_ready_leaves_the_run_to_end_as_delivered(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    siiau.hold(path_contains="salir")
    with pytest.raises(ConnectionError, match="telegram down"):
        async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
            async for event in events:
                if isinstance(event, Ready):
                    assert siiau.open_sessions() == [DEMO_CODE]
                    # Let the logout go only now (a release that polled for the held logout
                    # could come before the Ready), then leave: the stream waits for the run.
                    siiau.release()
                    raise ConnectionError("telegram down")
    # Once the consumer's error comes out, the run is over: logged out, on the record.
    assert siiau.open_sessions() == [] and kit.logouts == 1
    assert [r.outcome for r in await runs(kit)] == ["delivered"]
    assert await kit.service.stored_schedule(USER) is not None, "what it read is kept"
    assert named(await heard(kit.service.deliver(USER)))[-1] == "Changed", "the turn is free"


@pytest.mark.parametrize("leaves_at", ["login", "fetch", "pdf"])
async def test_a_consumer_that_leaves_mid_way_still_gets_the_run_logged_out_and_recorded(
    kit: Kit, siiau: SiiauSimulator, leaves_at: str
) -> None:
    seen: list[Event] = []
    async with aclosing(kit.service.deliver(USER)) as events:
        async for event in events:
            seen.append(event)
            if event == Stage(leaves_at):
                break
    assert named(seen)[-1] == f"Stage:{leaves_at}"
    assert siiau.open_sessions() == [] and kit.logouts == 1
    assert [(r.outcome, r.error_class) for r in await runs(kit)] == [("failed", "Abandoned")]
    assert kit.workflow.renderer.renders == 0, "nothing more is done for nobody"
    assert named(await heard(kit.service.deliver(USER)))[-1] == "Changed", "the turn is free"


async def test_a_cancelled_consumer_cancels_the_run_which_still_logs_out(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    siiau.hold(path_contains="horario")  # the schedule page, once logged in
    stages: list[str] = []

    async def consume() -> None:
        async with aclosing(kit.service.deliver(USER)) as events:
            async for event in events:
                if isinstance(event, Stage):
                    stages.append(event.name)

    consumer = asyncio.create_task(consume())
    await until(lambda: siiau.held() == 1, "the run never asked for the schedule")
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    siiau.release()
    assert stages == ["login", "fetch"]
    await until(lambda: siiau.open_sessions() == [], "the cancelled run never logged out")
    assert kit.logouts == 1
    assert await runs(kit) == [], "a cancelled run is not a failure, and is not recorded"
    assert named(await heard(kit.service.deliver(USER)))[-1] == "Changed", "the turn is free"


async def test_render_again_hands_back_a_ready_with_the_pdf(kit: Kit) -> None:
    delivery = await sent_once(kit)
    kept = Delivery(
        delivery.schedule, None, "file-1", delivery.run, delivery.user_id, delivery.chat_id
    )
    again = await kit.service.render_again(kept)
    assert isinstance(again, Ready) and again.delivery.document_ref is None
    assert again.delivery.pdf is not None and again.delivery.pdf.startswith(b"%PDF")
    rerenders = [r for r in await kit.store.recent_runs(USER, limit=10) if r.kind == "rerender"]
    assert [r.outcome for r in rerenders] == ["rendered"]


def verdicts(seen: list[Event]) -> list[Event]:
    return [e for e in seen if isinstance(e, Unchanged | Changed | Failed)]


async def test_a_render_that_fails_is_one_failed_verdict_after_the_logout_on_the_record(
    kit: Kit,
) -> None:
    renderer = kit.workflow.renderer
    assert isinstance(renderer, QuickRenderer)
    renderer.broken = True
    seen = await heard(kit.service.deliver(USER, saved_copy=True))
    assert named(seen) == ["Stage:login", "Stage:fetch", "Stage:pdf", "Failed"]
    assert len(verdicts(seen)) == 1
    verdict = seen[-1]
    assert isinstance(verdict, Failed) and isinstance(verdict.error, RenderError)
    assert [(r.outcome, r.error_class) for r in await runs(kit)] == [("failed", "RenderError")]
    assert kit.logouts == 1


async def test_an_open_breaker_is_one_failed_verdict_and_no_login(
    kit: Kit, siiau: SiiauSimulator
) -> None:
    for _ in range(5):  # the kit's threshold
        await kit.workflow.breaker.record_failure()
    logins = sum(siiau.logins.values())
    seen = await heard(kit.service.deliver(USER, saved_copy=True))
    assert len(verdicts(seen)) == 1
    verdict = seen[-1]
    assert isinstance(verdict, Failed) and isinstance(verdict.error, CircuitOpen)
    assert sum(siiau.logins.values()) == logins
    assert [r.error_class for r in await runs(kit)] == ["CircuitOpen"]


async def test_a_student_forgotten_mid_run_hears_one_not_registered_and_leaves_no_record(
    kit: Kit,
) -> None:
    seen: list[Event] = []
    async with aclosing(kit.service.deliver(USER, saved_copy=True)) as events:
        async for event in events:
            seen.append(event)
            if event == Stage("fetch"):
                await kit.service.forget(USER)  # /olvidar while SIIAU is read
    assert named(seen)[-1] == "Failed" and len(verdicts(seen)) == 1
    verdict = seen[-1]
    assert isinstance(verdict, Failed) and isinstance(verdict.error, NotRegistered)
    assert await kit.store.recent_runs(USER, limit=10) == []
    assert kit.logouts == 1
