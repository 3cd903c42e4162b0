"""Grades behind the chat: `/calificaciones`, the kárdex PDF, and grade alerts as a background job.

A read is one recorded run ("calificaciones") through the workflow's session: the gate, the
login guard, the breaker and SIIAU's session slots, one login then logout. What it read is
stored sealed, so the next `/calificaciones` answers from it at once.

Alerts are a job of three steps (`claim`, `process`, and the release inside `process`) over the
DB-backed claims of `bot.store.grades`; `pump` is the thin adapter that runs them on a tick. A
grade is announced at least once: its posting is written "pending" before the message goes
out and "sent" after Telegram took it, so a crash between the two sends it after the restart
(only a crash after Telegram took it and before "sent" was written repeats it, once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.config import GradesSettings
from bot.core import logcontext
from bot.core.records import FlowRun, utcnow
from bot.schedule import grades as model
from bot.schedule.grades import Boleta, GradeKind, GradesReport, Posting, SurveyPending
from bot.services.errors import AlreadyRunning, CredentialsRejected, NotRegistered, RecipientGone
from bot.services.grades import window
from bot.services.runtime.background import Job, Worker
from bot.services.runtime.gate import Gate
from bot.services.runtime.login_guard import Requester
from bot.services.runtime.workflow import FlowResult, ScheduleWorkflow, StageCallback, no_stage
from bot.services.timetable.delivery import DeliveryService, run_recorded
from bot.siiau import errors as siiau_errors
from bot.siiau.errors import InvalidCredentials, LayoutChanged, SiiauError
from bot.siiau.portal import Portal
from bot.store.grades import (
    PENDING,
    SEEN,
    SENT,
    GradeClaim,
    GradesStore,
    GradeWatch,
    PendingAlert,
)
from bot.store.repository import Store, StoredCredentials

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(minutes=15)  # SIIAU down mid-check: the next check retries
BUSY_RETRY = timedelta(minutes=5)  # the student's own run holds the gate
ALERT_LEASE_SECONDS = 60
ALERTS_PER_PASS = 50
_Read = GradesReport | Boleta | None | SurveyPending


@runtime_checkable
class GradesPortal(Protocol):
    async def grades(self, career: str) -> GradesReport | SurveyPending: ...

    async def boleta(self, career: str) -> Boleta | None | SurveyPending: ...


@dataclass(frozen=True, slots=True)
class StoredGrades:
    report: GradesReport
    read_at: datetime


@dataclass(frozen=True, slots=True)
class GradesAnswer:
    """What a read found: the report, or SIIAU's survey; and what is new since the copy shown."""

    report: GradesReport | None
    survey: SurveyPending | None
    shown: StoredGrades | None
    new: tuple[Posting, ...]


@dataclass(frozen=True, slots=True)
class AlertsView:
    enabled: bool
    last_check: datetime | None
    last_outcome: str | None


class GradeNotifier(Protocol):
    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        """Raises `RecipientGone` when the chat is gone, anything else when Telegram refused."""
        ...

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        """`notice`: "rejected" (alerts stopped), "layout" (SIIAU changed), "survey"."""
        ...

    async def send_operator_notice(self, error: LayoutChanged) -> None: ...


class LoggingGradeNotifier:
    """For processes with no chat (tests, the bench): logs what would be sent."""

    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        log.info("grade alert chat=%s kind=%s", chat_id, posting.kind.value)

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        log.info("grade notice chat=%s notice=%s", chat_id, notice)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        log.warning("grades layout changed where=%s", error.where)


def posting_json(posting: Posting) -> str:
    """The posting sealed in its alert row, with its key: a key rotation re-keys the row's
    keyed hash from it (`GradesStore.rekeyed`), so nothing is announced twice after one."""
    return json.dumps({**asdict(posting), "key": posting.key}, ensure_ascii=False)


def posting_from_json(text: str) -> Posting:
    data = json.loads(text)
    return Posting(str(data["nrc"]), str(data["name"]), GradeKind(data["kind"]), str(data["value"]))


class GradesService:
    def __init__(
        self,
        store: Store,
        grades: GradesStore,
        workflow: ScheduleWorkflow,
        gate: Gate,
        delivery: DeliveryService,
        settings: GradesSettings,
        *,
        survey_link: str,
        notifier: GradeNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store  # credentials and run records
        self._grades = grades
        self._workflow = workflow
        self._gate = gate
        self._delivery = delivery
        self.settings = settings
        self.survey_link = survey_link
        self.notifier: GradeNotifier = notifier or LoggingGradeNotifier()
        self.clock = clock
        self._rng = rng or random.Random()
        # Two jobs on the shared worker: the checks (a student due, leased until released) and the
        # outbox (alerts written "pending" and not yet taken by Telegram, e.g. after a crash).
        epoch = lambda: int(self.clock().timestamp())  # noqa: E731 - the store counts leases in epoch seconds
        self._checks: Worker[GradeClaim] = Worker(
            Job(
                name="grade check",
                room=settings.concurrency,
                claim=self.claim,
                run=self.process,
                clock=epoch,
                describe=lambda c: f"user={c.user_id}",
                key=lambda c: c.user_id,
                logger=log,
            )
        )
        self._outbox: Worker[PendingAlert] = Worker(
            Job(
                name="grade alert",
                room=ALERTS_PER_PASS,
                claim=self.claim_alerts,
                run=self.send_alert,
                clock=epoch,
                describe=lambda a: f"alert={a.id} user={a.user_id}",
                key=lambda a: a.id,
                logger=log,
            )
        )
        self.outcomes: Counter[str] = Counter()  # this process's checks and alerts, by outcome

    # ---- /calificaciones ---------------------------------------------------------------
    async def stored(self, user_id: int) -> StoredGrades | None:
        stored = await self._grades.load(user_id)
        if stored is None:
            return None
        return StoredGrades(
            model.loads(stored.grades_json), datetime.fromtimestamp(stored.fetched_ts, UTC)
        )

    async def check(
        self,
        user_id: int,
        on_stage: StageCallback = no_stage,
        *,
        on_saved_copy: Callable[[StoredGrades], Awaitable[None]] | None = None,
    ) -> GradesAnswer:
        """Read the student's grades now (counted against their per-minute allowance). The
        stored copy, if any, goes to `on_saved_copy` first, once the gate let the run in."""
        with logcontext.bound(user_id=user_id):
            async with self._gate.admit(user_id, count=True):
                stored = await self._store.credentials(user_id)
                if stored is None:
                    raise NotRegistered()
                shown = await self.stored(user_id)
                if shown is not None and on_saved_copy is not None:
                    await on_saved_copy(shown)
                if stored.profile.rejected:
                    raise CredentialsRejected()
                read = await self._read(stored, "on_demand", on_stage)
            now = self.clock()
            if isinstance(read, SurveyPending):
                await self._grades.checked(user_id, "survey", int(now.timestamp()))
                return GradesAnswer(None, read, shown, ())
            await self._keep(user_id, read, now)
            postings = model.postings(read)
            # Seen here: never announced by an alert afterwards.
            await self._grades.record(
                user_id, [(p.key, posting_json(p)) for p in postings], SEEN, int(now.timestamp())
            )
            await self._grades.checked(user_id, "ok", int(now.timestamp()))
            before = {p.key for p in model.postings(shown.report)} if shown is not None else set()
            new = tuple(p for p in postings if p.key not in before) if shown is not None else ()
            return GradesAnswer(read, None, shown, new)

    async def kardex_pdf(self, user_id: int) -> bytes | None:
        """The stored kárdex as a PDF (a recorded run "kardex", kind "pdf"); None before a read."""
        stored = await self.stored(user_id)
        if stored is None:
            return None
        renderer = self._workflow.renderer
        run = FlowRun(name="kardex", kind="pdf")
        made: list[bytes] = []

        async def body() -> str:
            generated = self.clock().astimezone(UTC)
            html = renderer.template_html(
                "kardex.html.j2",
                report=stored.report,
                read_at=stored.read_at,
                generated_at=generated,
            )
            async with asyncio.timeout(renderer.timeout + 5):
                made.append(await renderer.html_to_pdf(html))
            return "rendered"

        async def flow() -> FlowResult:
            await self._workflow.recorded(run, body)
            return FlowResult(run=run)

        with logcontext.bound(user_id=user_id):
            await run_recorded(self._store, user_id, flow())
        return made[0]

    async def _read(
        self, stored: StoredCredentials, kind: str, on_stage: StageCallback
    ) -> GradesReport | SurveyPending:
        read = await self._read_with(
            stored, kind, on_stage, lambda portal, career: portal.grades(career)
        )
        assert isinstance(read, GradesReport | SurveyPending)
        return read

    async def _read_boleta(self, stored: StoredCredentials) -> Boleta | None | SurveyPending:
        """An alert check reads only the boleta: login, menu, boleta, logout."""
        read = await self._read_with(
            stored, "grades_poll", no_stage, lambda portal, career: portal.boleta(career)
        )
        assert not isinstance(read, GradesReport)
        return read

    async def _read_with(
        self,
        stored: StoredCredentials,
        kind: str,
        on_stage: StageCallback,
        reading: Callable[[GradesPortal, str], Awaitable[_Read]],
    ) -> _Read:
        user_id, career = stored.profile.user_id, stored.profile.career
        run = FlowRun(name="calificaciones", kind=kind)
        found: list[_Read] = []

        async def action(portal: Portal) -> _Read:
            if not isinstance(portal, GradesPortal):
                raise SiiauError("this portal adapter cannot read grades")
            return await reading(portal, career)

        async def body() -> str:
            try:
                read = await self._workflow.in_session(
                    run,
                    stored.credentials,
                    Requester(user_id, owner=True),
                    "grades",
                    action,
                    on_stage,
                )
            except siiau_errors.SurveyPending:  # shown at login already: the same state
                read = SurveyPending(self.survey_link)
            if isinstance(read, SurveyPending):
                read = SurveyPending(
                    self.survey_link
                )  # the login page students use, not a session URL
            found.append(read)
            return "survey" if isinstance(read, SurveyPending) else "read"

        async def flow() -> FlowResult:
            await self._workflow.recorded(run, body)
            return FlowResult(run=run)

        async def rejected(error: Exception) -> None:
            if isinstance(error, InvalidCredentials):
                await self._store.mark_rejected(user_id)

        await run_recorded(self._store, user_id, flow(), on_failure=rejected)
        return found[0]

    async def _keep(self, user_id: int, report: GradesReport, read_at: datetime) -> None:
        try:
            await self._grades.save(
                user_id, model.dumps(report), model.content_hash(report), int(read_at.timestamp())
            )
        except Exception as error:  # noqa: BLE001 - the answer matters more than the copy
            log.error("could not store grades user=%s error=%s", user_id, type(error).__name__)

    # ---- alerts: the student's setting ----------------------------------------------------
    async def alerts(self, user_id: int) -> AlertsView:
        watch = await self._grades.watch(user_id)
        if watch is None:
            return AlertsView(False, None, None)
        last = (
            datetime.fromtimestamp(watch.last_check_ts, UTC)
            if watch.last_check_ts is not None
            else None
        )
        return AlertsView(watch.enabled, last, watch.last_outcome)

    async def set_alerts(self, user_id: int, enabled: bool) -> AlertsView:
        """On: the first check is due soon; the grades already shown are not announced. Off: no
        more checks. False-y for a user who is not registered (raises NotRegistered)."""
        profile = await self._store.profile(user_id)
        if profile is None:
            raise NotRegistered()
        if enabled and profile.rejected:
            raise CredentialsRejected()  # no check could log in: say so now, not at the first poll
        now = self.clock()
        if enabled:
            shown = await self.stored(user_id)
            if shown is not None:
                postings = model.postings(shown.report)
                await self._grades.record(
                    user_id,
                    [(p.key, posting_json(p)) for p in postings],
                    SEEN,
                    int(now.timestamp()),
                )
        due: int | None = None
        if enabled:
            schedule = await self._delivery.stored_schedule(user_id)
            end = window.cycle_end(schedule.schedule if schedule is not None else None)
            due = int(window.first_due(now, end, self.settings, self._rng).timestamp())
        await self._grades.set_enabled(user_id, enabled, due)
        return await self.alerts(user_id)

    # ---- alerts: the job -------------------------------------------------------------------
    async def claim(self, now_ts: int, limit: int) -> list[GradeClaim]:
        return await self._grades.claim_due(now_ts, self.settings.lease_seconds, limit)

    async def process(self, claim: GradeClaim) -> str:
        """One check: read the boleta, record new postings durably, send them, release."""
        with logcontext.bound(user_id=claim.user_id):
            outcome, next_due, layout_told = await self._check(claim)
            checked = int(self.clock().timestamp())
            due_ts = int(next_due.timestamp()) if next_due is not None else None
            if due_ts is not None:
                await self._grades.release(claim, due_ts, outcome, checked, layout_told=layout_told)
            else:
                await self._grades.disable(claim.user_id)
            self.outcomes[f"check:{outcome}"] += 1
            return outcome

    async def _check(self, claim: GradeClaim) -> tuple[str, datetime | None, bool | None]:
        now = self.clock()
        watch = await self._grades.watch(claim.user_id)
        stored = await self._store.credentials(claim.user_id)
        if stored is None or watch is None:
            return "gone", None, None
        if stored.profile.rejected:
            return "rejected", None, None
        try:
            async with self._gate.admit(claim.user_id, count=False):
                read = await self._read_boleta(stored)
        except AlreadyRunning:
            return "busy", now + BUSY_RETRY, None
        except NotRegistered:
            return "gone", None, None
        except InvalidCredentials:
            await self._notice(claim.chat_id, "rejected")
            return "rejected", None, None
        except LayoutChanged as error:
            await self.notifier.send_operator_notice(error)
            if not watch.layout_told:  # once, not at every poll
                await self._notice(claim.chat_id, "layout")
            return "layout_changed", self._after_failure(now), True
        except Exception as error:  # noqa: BLE001 - SIIAU down, the breaker open…: the next check retries
            log.info("grade check failed user=%s error=%s", claim.user_id, type(error).__name__)
            return "unavailable", self._after_failure(now), None
        return await self._settle(claim, watch, read, now)

    async def _settle(
        self,
        claim: GradeClaim,
        watch: GradeWatch,
        read: Boleta | None | SurveyPending,
        now: datetime,
    ) -> tuple[str, datetime | None, bool | None]:
        """What a check read: the survey told once; new postings written pending, then sent."""
        schedule = await self._delivery.stored_schedule(claim.user_id)
        end = window.cycle_end(schedule.schedule if schedule is not None else None)
        if isinstance(read, SurveyPending):
            if watch.last_outcome != "survey":
                await self._notice(claim.chat_id, "survey", read.link)
            return "survey", now + timedelta(seconds=self.settings.poll_seconds), False
        report = await self._with_boleta(claim.user_id, read)
        if report is not None:
            await self._keep(claim.user_id, report, now)
        postings = model.postings(GradesReport(model.Kardex(()), None, read))
        await self._grades.record(
            claim.user_id,
            [(p.key, posting_json(p)) for p in postings],
            PENDING,
            int(now.timestamp()),
        )
        await self.send_pending(claim.user_id)
        return "ok", window.next_due(now, end, read, self.settings, self._rng), False

    async def ride(self, requester: Requester, portal: Portal) -> None:
        """A schedule run (/horario, weekly, a refresh) is logged in for this student: when their
        grade check is due (or due within a quarter of the interval), read the boleta in that
        session instead of logging in again. Registered on the workflow by `bootstrap`."""
        user_id = requester.user_id
        if user_id is None or not requester.owner or not isinstance(portal, GradesPortal):
            return
        now = self.clock()
        horizon = now + timedelta(seconds=self.settings.poll_seconds // 4)
        claim = await self._grades.claim_user(
            user_id, int(now.timestamp()), int(horizon.timestamp()), self.settings.lease_seconds
        )
        if claim is None:
            return
        watch = await self._grades.watch(user_id)
        stored = await self._store.credentials(user_id)
        if watch is None or stored is None:
            return
        try:
            read = await portal.boleta(stored.profile.career)
        except BaseException:
            # Left due: the job checks on its own soon (a failure here is not the schedule's).
            await self._grades.release(claim, claim.due_ts, "unavailable", int(now.timestamp()))
            raise
        outcome, next_due, layout_told = await self._settle(claim, watch, read, now)
        due_ts = int(next_due.timestamp()) if next_due is not None else None
        await self._grades.release(
            claim, due_ts, outcome, int(now.timestamp()), layout_told=layout_told
        )
        self.outcomes[f"ride:{outcome}"] += 1

    async def _with_boleta(self, user_id: int, boleta: Boleta | None) -> GradesReport | None:
        """The stored copy with this boleta in it (None with no copy: /calificaciones reads it all)."""
        shown = await self.stored(user_id)
        if shown is None or shown.report.boleta == boleta:
            return None
        return replace(shown.report, boleta=boleta)

    def _after_failure(self, now: datetime) -> datetime:
        return now + min(RETRY_AFTER_FAILURE, timedelta(seconds=self.settings.poll_seconds))

    async def _notice(self, chat_id: int, notice: str, link: str = "") -> None:
        try:
            await self.notifier.send_notice(chat_id, notice, link)
        except Exception as error:  # noqa: BLE001 - a notice lost costs less than the check's record
            log.warning("grade notice failed notice=%s error=%s", notice, type(error).__name__)

    async def send_pending(self, user_id: int | None = None) -> int:
        """Send alerts still pending (this student's, or anyone's after a crash); how many went."""
        sent = 0
        for alert in await self.claim_alerts(
            int(self.clock().timestamp()), ALERTS_PER_PASS, user_id
        ):
            sent += await self.send_alert(alert)
        return sent

    async def claim_alerts(
        self, now_ts: int, limit: int, user_id: int | None = None
    ) -> list[PendingAlert]:
        """The outbox job's claim: pending alerts with a free lease, leased to this process."""
        lease = min(ALERT_LEASE_SECONDS, self.settings.lease_seconds)
        return await self._grades.claim_pending(now_ts, lease, limit, user_id)

    async def send_alert(self, alert: PendingAlert) -> int:
        """The outbox job's run: send one claimed alert; 1 when Telegram took it."""
        try:
            await self.notifier.send_grade(alert.chat_id, posting_from_json(alert.posting_json))
        except RecipientGone:
            await self._grades.settle(alert.id, SENT)  # nobody to tell; never retried
            await self._grades.disable(alert.user_id)
            self.outcomes["alert:gone"] += 1
            return 0
        except Exception as error:  # noqa: BLE001 - stays pending; the next pass sends it
            await self._grades.settle(alert.id, PENDING)
            log.warning(
                "grade alert not sent user=%s error=%s", alert.user_id, type(error).__name__
            )
            self.outcomes["alert:failed"] += 1
            return 0
        await self._grades.settle(alert.id, SENT)
        self.outcomes["alert:sent"] += 1
        return 1

    # ---- both jobs on the shared worker ---------------------------------------------------------
    async def pump(self) -> int:
        """Each tick: send what is pending (after a crash), then claim due checks as room allows."""
        return await self._outbox.pump() + await self._checks.pump()

    async def drain(self) -> None:
        """Run every due check and send every pending alert (tests, the bench)."""
        await self._outbox.drain()
        await self._checks.drain()
        await self._outbox.drain()

    async def aclose(self) -> None:
        """Stop checks and sends in flight; their leases run out and a later run takes them over."""
        await self._checks.aclose()
        await self._outbox.aclose()
