"""Use cases behind the chat: deliver a schedule, render it again, show status, forget.

Telegram types stop above this module. A delivery is a stream of events (`events.py`)
that the chat layer consumes: the saved copy, the stages, the PDF to send (bytes to
upload, or the reference of a document Telegram already holds for the same content),
then the verdict. Nothing here calls back into the chat layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import cast

from bot.core import logcontext
from bot.core.records import FlowRun, utcnow
from bot.schedule import codec
from bot.schedule.model import Schedule
from bot.services.errors import CredentialsRejected, FlowFailed, NotRegistered
from bot.services.runtime.gate import Gate
from bot.services.runtime.login_guard import Requester
from bot.services.runtime.workflow import (
    FlowResult,
    ReadyCallback,
    ScheduleWorkflow,
    StageCallback,
    no_stage,
)
from bot.services.timetable.events import (
    Abandoned,
    Changed,
    Delivery,
    Event,
    Failed,
    Ready,
    SavedCopy,
    Stage,
    Unchanged,
    Verdict,
)
from bot.siiau.errors import InvalidCredentials
from bot.store.documents import DeliveredDocument
from bot.store.first_copies import FirstCopyStore
from bot.store.repository import Profile, Store, StoredCredentials
from bot.store.schedules import ScheduleStore
from bot.store.schedules import StoredSchedule as StoredScheduleRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    schedule: Schedule
    read_at: datetime


@dataclass(frozen=True, slots=True)
class Status:
    profile: Profile | None
    runs: list[FlowRun]


class DeliveryService:
    def __init__(
        self,
        store: Store,
        schedules: ScheduleStore,
        first_copies: FirstCopyStore,
        workflow: ScheduleWorkflow,
        gate: Gate,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`store`: users, credentials, runs, documents; `schedules`: the last schedule read;
        `first_copies`: the PDF registration rendered. `clock` dates the stored schedule (when
        it was read), which decides when it is old."""
        self._store = store
        self._schedules = schedules
        self._first_copies = first_copies
        self._workflow = workflow
        self._gate = gate
        self._clock = clock

    async def profile(self, user_id: int) -> Profile | None:
        """What registration stored about the user (never the NIP); None if not registered."""
        return await self._store.profile(user_id)

    def deliver(
        self, user_id: int, *, kind: str = "on_demand", saved_copy: bool = False
    ) -> DeliveryEvents:
        """Run the workflow for a registered user, as events. Weekly runs skip the per-minute limit.

        `saved_copy`: once admitted, and before SIIAU is asked, the saved copy (if any)
        comes first, so a slow or failing SIIAU still leaves the student their schedule.
        `Ready` comes as soon as the PDF is: while the consumer sends it, the run waits
        for it (SIIAU's logout goes on meanwhile). The verdict comes last, once the run is
        recorded and the user's turn at the gate is over. Consume it inside
        `contextlib.aclosing`: a consumer that leaves early still gets the run logged out
        and closed (see `DeliveryEvents`).
        """
        return DeliveryEvents(lambda events: self._events(events, user_id, kind, saved_copy))

    async def refresh(self, user_id: int, *, count: bool = False) -> Schedule:
        """Read the schedule from SIIAU and store it, with no PDF (everyday answers).

        It goes through the same gate, guard and breaker as a delivery; `count` also
        spends the student's per-minute allowance (a run they asked for, not a refresh).
        """
        with logcontext.bound(user_id=user_id):
            async with self._gate.admit(user_id, count=count):
                stored = await self._registered(user_id)
                if stored.profile.rejected:
                    raise CredentialsRejected()
                result = await self._run(user_id, stored, "refresh", render=False)
        assert result.schedule is not None
        return result.schedule

    async def stored_schedule(self, user_id: int) -> StoredSchedule | None:
        """The schedule last read for the user, and when; None before the first run."""
        stored = await self._schedules.load(user_id)
        return None if stored is None else _unsealed(stored)

    async def saved_copy(self, user_id: int) -> SavedCopy | None:
        """The stored schedule, when Telegram holds a PDF of exactly it; else None."""
        stored = await self._schedules.load(user_id)
        if stored is None:
            return None
        document_ref = await self._store.find_document(user_id, stored.content_hash)
        pdf = (
            None
            if document_ref is not None
            else await self._first_copies.load(user_id, stored.content_hash)
        )
        if document_ref is None and pdf is None:
            return None
        unsealed = _unsealed(stored)
        return SavedCopy(unsealed.schedule, unsealed.read_at, document_ref, pdf)

    async def remember_copy(self, user_id: int, copy: SavedCopy, document_ref: str) -> None:
        """Telegram holds registration's PDF now: keep its file id, as for every sent PDF, and
        let the bytes go. Failing costs only the next upload."""
        try:
            await self._store.record_delivered(user_id, _delivered(copy.schedule, document_ref))
            await self._first_copies.drop(user_id)
        except Exception as error:  # noqa: BLE001 - the student has the PDF already
            log.error(
                "could not keep the first copy's file id user=%s error=%s",
                user_id,
                type(error).__name__,
            )

    async def _events(
        self, events: DeliveryEvents, user_id: int, kind: str, offer_copy: bool
    ) -> AsyncGenerator[Event, None]:
        """The body of `deliver`. The workflow runs in a task of its own, its callbacks handed
        over as events (`_Handoff`), so the consumer hears each one while the run waits for it,
        as a callback's caller would, and this generator stays the one that ends the run."""
        verdict: Verdict
        try:
            async with self._gate.admit(user_id, count=kind != "weekly"):
                with logcontext.bound(user_id=user_id):
                    stored = await self._registered(user_id)
                    copy = await self.saved_copy(user_id) if offer_copy else None
                shown: SavedCopy | None = None
                if copy is not None:
                    yield copy
                    shown = copy if events.was_shown(copy) else None
                if stored.profile.rejected:
                    raise CredentialsRejected()
                handoff = _Handoff()
                chat_id = stored.profile.chat_id

                async def ready(result: FlowResult) -> None:
                    handoff.past_pdf = True
                    delivery = _delivery(result, user_id, chat_id, shown)
                    if not delivery.same_as_shown:  # else the student has it on screen already
                        await handoff.hand(Ready(delivery))

                with logcontext.bound(user_id=user_id):
                    run = asyncio.create_task(
                        self._run(user_id, stored, kind, on_stage=handoff.stage, on_ready=ready)
                    )
                try:
                    while (event := await handoff.next(run)) is not None:
                        yield event
                except BaseException:  # closed early (GeneratorExit) or cancelled
                    with logcontext.bound(user_id=user_id):  # it logs how the run ended
                        await handoff.abandon(run)
                    raise
                delivery = _delivery(run.result(), user_id, chat_id, shown)
                verdict = (
                    Unchanged(delivery)
                    if delivery.same_as_shown
                    else Changed(delivery, delivery.changes_since_shown)
                )
        except Exception as error:  # noqa: BLE001 - every failure is the verdict, told after the gate
            verdict = Failed(error)
        yield verdict

    async def _registered(self, user_id: int) -> StoredCredentials:
        stored = await self._store.credentials(user_id)
        if stored is None:
            raise NotRegistered()
        return stored

    async def _run(
        self,
        user_id: int,
        stored: StoredCredentials,
        kind: str,
        *,
        render: bool = True,
        on_stage: StageCallback = no_stage,
        on_ready: ReadyCallback | None = None,
    ) -> FlowResult:
        """One recorded workflow run with the stored NIP; what it read is kept for everyday
        answers. A NIP SIIAU rejects is marked, so it is never tried again."""

        async def known_document(content_hash: str) -> str | None:
            return await self._store.find_document(user_id, content_hash)

        async def rejected(error: Exception) -> None:
            if isinstance(error, InvalidCredentials):
                await self._store.mark_rejected(user_id)

        result = await run_recorded(
            self._store,
            user_id,
            self._workflow.run(
                stored.credentials,
                stored.profile.career,
                kind=kind,
                find_document=known_document,
                on_stage=on_stage,
                requester=Requester(user_id, owner=True),
                render=render,
                on_ready=on_ready,
            ),
            on_failure=rejected,
        )
        assert result.schedule is not None
        await self._keep_schedule(user_id, result.schedule, self._clock())
        await self._name_career(
            user_id, stored.profile.career, stored.profile.career_name, result.schedule
        )
        return result

    async def _keep_schedule(self, user_id: int, schedule: Schedule, read_at: datetime) -> None:
        """Everyday answers read this copy. Failing to keep it costs freshness, not the delivery."""
        try:
            await self._schedules.save(
                user_id, codec.dumps(schedule), schedule.content_hash, int(read_at.timestamp())
            )
        except Exception as error:  # noqa: BLE001 - the student's PDF matters more than the copy
            log.error("could not store schedule user=%s error=%s", user_id, type(error).__name__)

    async def _name_career(self, user_id: int, career: str, name: str, schedule: Schedule) -> None:
        """A career registered by its code alone (the menu named none) takes the name the
        schedule page's student block gives it (CARRERA)."""
        if (
            name != career
            or schedule.career != career
            or not schedule.career_name
            or schedule.career_name == career
        ):
            return
        try:
            await self._store.set_career(user_id, career, schedule.career_name)
        except Exception as error:  # noqa: BLE001 - a name is not worth the delivery
            log.error("could not name the career user=%s error=%s", user_id, type(error).__name__)

    async def render_again(self, delivery: Delivery) -> Ready:
        """`delivery` `Ready` again with its PDF, for when Telegram refuses the file id we
        kept for it.

        It is a recorded run of its own ("pdf", kind "rerender") through the
        workflow's one PDF task: PDFs are made in one place, with a timeout, the
        cache and a record, never on the side by the chat layer.
        """
        if delivery.pdf is not None:
            return Ready(delivery)
        with logcontext.bound(user_id=delivery.user_id):
            result = await run_recorded(
                self._store, delivery.user_id, self._workflow.render(delivery.schedule)
            )
        assert result.pdf is not None
        return Ready(replace(delivery, pdf=result.pdf, document_ref=None))

    async def remember_document(self, user_id: int, delivery: Delivery, document_ref: str) -> None:
        """Keep the file id for next time; nothing is kept for a user who has just forgotten."""
        await self._store.record_delivered(user_id, delivered_document(delivery, document_ref))

    async def status(self, user_id: int) -> Status:
        profile = await self._store.profile(user_id)
        runs = await self._store.recent_runs(user_id, limit=5) if profile else []
        return Status(profile, runs)

    async def forget(self, user_id: int) -> None:
        await self._store.forget(user_id)
        self._gate.forget(user_id)


class DeliveryEvents:
    """One delivery as it happens: an async iterator of `Event`s (`DeliveryService.deliver`).

    Its consumer answers a `SavedCopy` with `shown` when the copy reached the student, and
    closes the stream with `contextlib.aclosing`. Leaving early never leaves a session open:
    - a consumer that stops at a `Ready` (its send failed) lets the run end as it would have:
      logged out, recorded as delivered, what it read kept;
    - one that stops at a `Stage` fails the run with `Abandoned`, after its logout, on the
      record;
    - a cancelled consumer cancels the run, which still logs out; as every cancelled run,
      it is not recorded (cancelling is not a failure of the run). A run past its PDF (its
      `Ready` taken, or none needed) is left to end on the record instead: all it has left
      is its logout and its record.
    Either way the consumer is over only once the run is (a second cancellation waits too),
    so the student's turn at the gate never ends while the run still holds SIIAU's session.
    """

    def __init__(self, stream: Callable[[DeliveryEvents], AsyncGenerator[Event, None]]) -> None:
        self._shown: SavedCopy | None = None
        self._events = stream(self)

    def __aiter__(self) -> DeliveryEvents:
        return self

    async def __anext__(self) -> Event:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        await self._events.aclose()

    def shown(self, copy: SavedCopy) -> None:
        """`copy` reached the student: SIIAU's answer is compared with it. A copy not shown
        (Telegram refused its file id) is not, and the run's PDF is sent whatever it says."""
        self._shown = copy

    def was_shown(self, copy: SavedCopy) -> bool:
        return self._shown is copy


@dataclass(slots=True)
class _Handed:
    event: Event
    answer: asyncio.Future[None]  # set when the consumer asks for the next event


class _Handoff:
    """A run's callbacks, called in the run's task, handed to the generator as events.

    Each callback waits until the consumer has dealt with its event and asked for the
    next one: the run goes on exactly when it did with callbacks awaited inline.
    """

    def __init__(self) -> None:
        # One event at a time: the run waits for the consumer before it can hand another.
        self._next: asyncio.Future[_Handed] = asyncio.get_running_loop().create_future()
        self._waiting: _Handed | None = None  # with the consumer, not answered yet
        # The run called its `on_ready`: past its PDF, it has only its logout and record left.
        self.past_pdf = False
        self._left = False

    async def hand(self, event: Event) -> None:
        if self._left:  # nobody listens: a PDF needs no one to go on, a stage stops the run
            if isinstance(event, Ready):
                return
            raise Abandoned()
        handed = _Handed(event, asyncio.get_running_loop().create_future())
        self._next.set_result(handed)
        await handed.answer

    async def stage(self, name: str) -> None:
        await self.hand(Stage(name))

    async def next(self, run: asyncio.Task[FlowResult]) -> Event | None:
        """Answer the event handed before, then wait for the next one; None once `run` is over."""
        self._answer()
        either = cast(set[asyncio.Future[object]], {self._next, run})
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not self._next.done():
            return None
        self._waiting = self._next.result()
        self._next = asyncio.get_running_loop().create_future()
        return self._waiting.event

    def _answer(self, error: Exception | None = None) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is None or waiting.answer.done():
            return
        if error is None:
            waiting.answer.set_result(None)
        else:
            waiting.answer.set_exception(error)

    async def abandon(self, run: asyncio.Task[FlowResult]) -> None:
        """The consumer left before the run ended: end the run without it (`DeliveryEvents`),
        and wait for its end, logout included.

        The consumer's turn at the gate lasts until then, so the wait outlasts a second
        cancellation (the bot stopping while a run logs out), which is raised after it: a
        run left behind would hold SIIAU's session while the next one for the student logs
        in, and nobody would hear how it ended.
        """
        self._left = True
        task = asyncio.current_task()
        if self._waiting is None and self.past_pdf:
            pass  # only its logout and its record are left: cutting them helps nobody
        elif (task is not None and task.cancelling()) or self._waiting is None:
            run.cancel()  # the workflow's own way out: it stops, then logs out
        elif isinstance(self._waiting.event, Ready):
            self._answer()  # the PDF was handed over: the run ends as delivered
        else:
            self._answer(Abandoned())
        cancelled_again = await _outlast(run)
        if not run.cancelled() and (error := run.exception()) is not None:
            log.info("delivery ended after its consumer left error=%s", type(error).__name__)
        if cancelled_again:
            raise asyncio.CancelledError()


async def _outlast(run: asyncio.Task[FlowResult]) -> bool:
    """Wait for `run` to end, through cancellations; True when one came meanwhile."""
    cancelled = False
    while not run.done():
        try:
            await asyncio.wait({run})
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


async def run_recorded(
    store: Store,
    user_id: int,
    flow: Awaitable[FlowResult],
    *,
    on_failure: Callable[[Exception], Awaitable[None]] | None = None,
    record_success: bool = True,
    anonymous_if_new: bool = False,
) -> FlowResult:
    """Await a workflow call and record its run as the user's, whether it failed or not.

    A failure (`FlowFailed`) raises its domain error, so callers above match on
    `InvalidCredentials`, `NoSchedule`… It is raised outside the `except` block so
    it keeps its own cause and context. A failed run that cannot be recorded is
    logged: the user's answer matters more than the record. `record_success`
    False leaves a successful run for the caller to record.

    A user who ran `/olvidar` while the run went on is gone: the run ends
    quietly, its record dropped, as `NotRegistered` (nothing to tell them but
    that). `anonymous_if_new`: a failed first registration has no user row yet;
    its run is kept with no user.
    """
    try:
        result = await flow
    except FlowFailed as failure:
        failed = failure
    else:
        if record_success and not await store.record_run(user_id, result.run):
            raise _forgotten(user_id, result.run)
        return result
    if on_failure is not None:
        await on_failure(failed.cause)
    try:
        recorded = await store.record_run(
            user_id, failed.run, anonymous_if_missing=anonymous_if_new
        )
    except Exception as error:  # noqa: BLE001 - the user's answer matters more than the record
        log.error("could not record run %s error=%s", failed.run.id, type(error).__name__)
        recorded = True
    if not recorded:
        raise _forgotten(user_id, failed.run) from None
    raise failed.cause


def _forgotten(user_id: int, run: FlowRun) -> NotRegistered:
    log.info("user forgotten mid-run user=%s run=%s: its record is dropped", user_id, run.id)
    return NotRegistered()


def _unsealed(stored: StoredScheduleRecord) -> StoredSchedule:
    return StoredSchedule(
        codec.loads(stored.schedule_json), datetime.fromtimestamp(stored.fetched_ts, UTC)
    )


def _delivery(result: FlowResult, user_id: int, chat_id: int, shown: SavedCopy | None) -> Delivery:
    assert result.schedule is not None
    return Delivery(
        result.schedule, result.pdf, result.reused_document, result.run, user_id, chat_id, shown
    )


def delivered_document(delivery: Delivery, document_ref: str) -> DeliveredDocument:
    """What to keep of a sent schedule: courses for next week's diff, not who the student is."""
    return _delivered(delivery.schedule, document_ref)


def _delivered(schedule: Schedule, document_ref: str) -> DeliveredDocument:
    anonymous = replace(schedule, student_code="", student_name="")
    return DeliveredDocument(
        schedule.content_hash, document_ref, schedule.term, codec.dumps(anonymous)
    )
