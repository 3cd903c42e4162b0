"""Use cases behind the chat: deliver a schedule, render it again, show status, forget.

Telegram types stop above this module. A delivery hands back bytes to upload,
or the reference of a document Telegram already holds for the same content.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.core import logcontext
from bot.core.records import FlowRun, utcnow
from bot.schedule import codec
from bot.schedule.diff import CourseChange, diff
from bot.schedule.model import Schedule
from bot.services.errors import CredentialsRejected, FlowFailed, NotRegistered
from bot.services.runtime.gate import Gate
from bot.services.runtime.login_guard import Requester
from bot.services.runtime.workflow import FlowResult, ScheduleWorkflow, StageCallback, no_stage
from bot.siiau.errors import InvalidCredentials
from bot.store.documents import DeliveredDocument
from bot.store.first_copies import FirstCopyStore
from bot.store.repository import Profile, Store
from bot.store.schedules import ScheduleStore
from bot.store.schedules import StoredSchedule as StoredScheduleRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedCopy:
    """The last schedule read for the student and the PDF of it Telegram already holds
    (`document_ref`), or, right after registration, the PDF registration rendered (`pdf`),
    which the first /horario uploads at once."""

    schedule: Schedule
    read_at: datetime
    document_ref: str | None
    pdf: bytes | None = None

    @property
    def document(self) -> str | bytes:
        assert self.document_ref is not None or self.pdf is not None
        return self.document_ref if self.document_ref is not None else self.pdf or b""

    @property
    def filename(self) -> str:
        return f"horario_{self.schedule.term}.pdf"


@dataclass(frozen=True, slots=True)
class Delivery:
    schedule: Schedule
    pdf: bytes | None
    document_ref: str | None
    run: FlowRun
    user_id: int
    chat_id: int
    shown_copy: SavedCopy | None = None  # what the student was shown while SIIAU answered

    @property
    def filename(self) -> str:
        return f"horario_{self.schedule.term}.pdf"

    @property
    def same_as_shown(self) -> bool:
        return (
            self.shown_copy is not None
            and self.shown_copy.schedule.content_hash == self.schedule.content_hash
        )

    @property
    def changes_since_shown(self) -> list[CourseChange] | None:
        return None if self.shown_copy is None else diff(self.shown_copy.schedule, self.schedule)


# Shows the saved copy to the student; True when it reached them.
SavedCopyCallback = Callable[[SavedCopy], Awaitable[bool]]
# Hands a delivery to the student the moment its PDF is ready (SIIAU's logout may still run).
DeliveryCallback = Callable[[Delivery], Awaitable[None]]


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

    async def deliver(
        self,
        user_id: int,
        on_stage: StageCallback = no_stage,
        *,
        kind: str = "on_demand",
        on_saved_copy: SavedCopyCallback | None = None,
        on_ready: DeliveryCallback | None = None,
    ) -> Delivery:
        """Run the workflow for a registered user. Weekly runs skip the per-minute limit.

        `on_saved_copy`: once admitted, and before SIIAU is asked, the saved copy (if any)
        goes to the student at once, so a slow or failing SIIAU still leaves them their
        schedule. `on_ready`: the delivery goes to the student as soon as its PDF is
        ready, before the run (and its logout) ends; an error it raises is raised here,
        after the run is recorded. Without it the caller sends after this returns.
        """
        with logcontext.bound(user_id=user_id):
            return await self._deliver(
                user_id, on_stage, kind, on_saved_copy=on_saved_copy, on_ready=on_ready
            )

    async def refresh(self, user_id: int, *, count: bool = False) -> Schedule:
        """Read the schedule from SIIAU and store it, with no PDF (everyday answers).

        It goes through the same gate, guard and breaker as a delivery; `count` also
        spends the student's per-minute allowance (a run they asked for, not a refresh).
        """
        with logcontext.bound(user_id=user_id):
            delivery = await self._deliver(user_id, no_stage, "refresh", render=False, count=count)
        return delivery.schedule

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

    async def _deliver(
        self,
        user_id: int,
        on_stage: StageCallback,
        kind: str,
        *,
        render: bool = True,
        count: bool | None = None,
        on_saved_copy: SavedCopyCallback | None = None,
        on_ready: DeliveryCallback | None = None,
    ) -> Delivery:
        async with self._gate.admit(user_id, count=kind != "weekly" if count is None else count):
            stored = await self._store.credentials(user_id)
            if stored is None:
                raise NotRegistered()
            shown: SavedCopy | None = None
            if on_saved_copy is not None:
                copy = await self.saved_copy(user_id)
                if copy is not None and await on_saved_copy(copy):
                    shown = copy
            if stored.profile.rejected:
                raise CredentialsRejected()

            async def known_document(content_hash: str) -> str | None:
                return await self._store.find_document(user_id, content_hash)

            async def rejected(error: Exception) -> None:
                if isinstance(error, InvalidCredentials):
                    await self._store.mark_rejected(user_id)

            chat_id = stored.profile.chat_id
            handing_failed: list[Exception] = []

            async def ready(result: FlowResult) -> None:
                assert on_ready is not None and result.schedule is not None
                try:
                    await on_ready(_delivery(result, user_id, chat_id, shown))
                except Exception as error:  # noqa: BLE001 - raised below, once the run is on record
                    handing_failed.append(error)

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
                    on_ready=ready if on_ready is not None else None,
                ),
                on_failure=rejected,
            )
            assert result.schedule is not None
            await self._keep_schedule(user_id, result.schedule, self._clock())
            await self._name_career(
                user_id, stored.profile.career, stored.profile.career_name, result.schedule
            )
            if handing_failed:
                raise handing_failed[0]
            return _delivery(result, user_id, chat_id, shown)

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

    async def render_again(self, delivery: Delivery) -> bytes:
        """The PDF of `delivery`, for when Telegram refuses the file id we kept for it.

        It is a recorded run of its own ("pdf", kind "rerender") through the
        workflow's one PDF task: PDFs are made in one place, with a timeout, the
        cache and a record, never on the side by the chat layer.
        """
        if delivery.pdf is not None:
            return delivery.pdf
        with logcontext.bound(user_id=delivery.user_id):
            result = await run_recorded(
                self._store, delivery.user_id, self._workflow.render(delivery.schedule)
            )
        assert result.pdf is not None
        return result.pdf

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
