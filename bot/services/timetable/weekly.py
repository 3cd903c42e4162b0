"""Weekly deliveries: subscribe, claim what is due, deliver each user-week once.

The database decides who is due (see `store.weekly`). This module decides what a
claim becomes: a new PDF with what changed, the same file re-sent as unchanged,
nothing (when the student asked for changes only), a retry later in the week,
or a paused subscription when SIIAU rejects the stored NIP.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import WeeklySettings
from bot.core.records import utcnow
from bot.schedule import codec
from bot.schedule.diff import CourseChange, diff
from bot.services.errors import (
    AlreadyRunning,
    CredentialsRejected,
    LoginLimitReached,
    NotRegistered,
    RecipientGone,
)
from bot.services.runtime import metrics
from bot.services.runtime.background import Job, Worker, WorkerService
from bot.services.runtime.flow import is_transient
from bot.services.timetable.delivery import DeliveryService, delivered_document
from bot.services.timetable.events import Changed, Delivery, Failed, Unchanged
from bot.services.timetable.week_time import from_ts, iso_week, next_occurrence, spread_offset
from bot.siiau.errors import (
    AccountLocked,
    InvalidCredentials,
    NoSchedule,
    SessionAlreadyOpen,
    SurveyPending,
)
from bot.store.crypto import CredentialsUndecryptable
from bot.store.weekly import Claim, Subscription, WeeklyStore

log = logging.getLogger(__name__)
RETRY_LATER = (LoginLimitReached, SessionAlreadyOpen, SurveyPending)  # may clear up within the week
BUSY_RETRY_SECONDS = 60
UNREADABLE_RETRY_SECONDS = 600  # a row no key opens: tried again this often, until the key is back


class Notice(StrEnum):
    FAILED_THIS_WEEK = "failed_this_week"
    PAUSED_CREDENTIALS = "paused_credentials"
    PAUSED_LOCKED = "paused_locked"


class OperatorNotice(StrEnum):
    UNREADABLE_CREDENTIALS = "unreadable_credentials"  # no key in ENCRYPTION_KEYS opens stored rows


class WeeklyNotifier(Protocol):
    async def send_schedule(
        self, delivery: Delivery, changes: list[CourseChange] | None, unchanged: bool
    ) -> str:
        """Send the PDF (or re-send `delivery.document_ref`); return the document reference.

        A reference the platform refuses is not the week's failure: send a PDF
        instead, `DeliveryService.render_again` making it when `delivery.pdf` is None.
        """
        ...

    async def send_notice(
        self, chat_id: int, notice: Notice, error: BaseException | None
    ) -> None: ...

    async def send_operator_notice(self, notice: OperatorNotice, count: int) -> None:
        """Tell the operators (`ADMIN_CHAT_IDS`); `count` is how many rows it concerns so far."""
        ...


@dataclass(frozen=True, slots=True)
class WeeklyView:
    weekday: int
    hour: int
    only_if_changed: bool
    active: bool
    paused_reason: str | None
    next_due: datetime


class WeeklyService(WorkerService):
    def __init__(
        self,
        delivery: DeliveryService,
        store: WeeklyStore,
        settings: WeeklySettings,
        zone: ZoneInfo,
        *,
        notifier: WeeklyNotifier,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.delivery = delivery
        self.store = store
        self.settings = settings
        self.zone = zone
        self.clock = clock
        self.notifier = notifier
        # A claim of a user whose delivery is still under way here (its lease lapsed in a
        # stall) is left to that delivery: a second would send twice. The lease is renewed
        # every third of its length while the delivery runs.
        self._worker = Worker(
            Job(
                name="weekly delivery",
                room=settings.concurrency,
                claim=self._claim,
                run=self.process,
                clock=lambda: int(self.clock().timestamp()),
                describe=lambda claim: f"user={claim.user_id}",
                keep=self._keep_lease,
                keep_every=settings.lease_seconds / 3,
                key=lambda claim: claim.user_id,
                logger=log,
            )
        )
        self.unreadable_seen = 0  # claims skipped because no key opens their row, this process

    # ---- the student's setting --------------------------------------------------
    async def subscribe(
        self, user_id: int, weekday: int, hour: int, only_if_changed: bool
    ) -> datetime:
        due = self._next_due(user_id, weekday, hour, self.clock())
        await self.store.subscribe(user_id, weekday, hour, only_if_changed, int(due.timestamp()))
        return due

    async def unsubscribe(self, user_id: int) -> bool:
        return await self.store.unsubscribe(user_id)

    async def view(self, user_id: int) -> WeeklyView | None:
        sub = await self.store.get(user_id)
        if sub is None:
            return None
        return WeeklyView(
            sub.weekday,
            sub.hour,
            sub.only_if_changed,
            sub.active,
            sub.paused_reason,
            from_ts(sub.pending_due_ts or sub.next_due_ts),
        )

    def _next_due(self, user_id: int, weekday: int, hour: int, after: datetime) -> datetime:
        nominal = next_occurrence(weekday, hour, after, self.zone)
        return from_ts(
            int(nominal.timestamp()) + spread_offset(user_id, self.settings.spread_seconds)
        )

    # ---- claiming and delivering --------------------------------------------------
    async def _claim(self, now: int, room: int) -> list[Claim]:
        claims = await self.store.claim_due(now, self.settings.lease_seconds, room)
        metrics.LAST_TICK.set(now)
        if claims:
            metrics.QUEUE_LAG.set(max(0, now - min(c.due_ts for c in claims)))
        return claims

    async def _keep_lease(self, claim: Claim) -> None:
        until = int(self.clock().timestamp()) + self.settings.lease_seconds
        await self.store.extend_lease(claim, until)

    async def process(self, claim: Claim) -> str:
        """Turn one claim into this week's outcome. Returns the outcome recorded."""
        now = self.clock()
        week = iso_week(from_ts(claim.due_ts), self.zone)
        if await self.store.outcome(claim.user_id, week) is not None:
            return await self._finish(claim, week, "already_done")
        if iso_week(now, self.zone) != week:
            return await self._finish(claim, week, "expired", reschedule=True)
        # The PDF goes out once the run is over (not at `Ready`): a student forgotten mid-run
        # is paused, never sent to, and the week's outcome follows the run's record.
        async with contextlib.aclosing(
            self.delivery.deliver(claim.user_id, kind="weekly")
        ) as events:
            async for event in events:
                match event:
                    case Unchanged(delivery=delivery) | Changed(delivery=delivery):
                        return await self._send(claim, week, delivery)
                    case Failed(error=error):
                        return await self._not_delivered(claim, week, now, error)
        raise AssertionError("a delivery always ends with its verdict")

    async def _not_delivered(self, claim: Claim, week: str, now: datetime, error: Exception) -> str:
        match error:
            case AlreadyRunning():
                await self.store.retry_at(
                    claim, int(now.timestamp()) + BUSY_RETRY_SECONDS, count_attempt=False
                )
                return "busy"
            case InvalidCredentials() | CredentialsRejected():
                return await self._pause(
                    claim, week, "invalid_credentials", Notice.PAUSED_CREDENTIALS, error
                )
            case AccountLocked():
                return await self._pause(claim, week, "account_locked", Notice.PAUSED_LOCKED, error)
            case CredentialsUndecryptable():
                return await self._unreadable(claim, now)
            case NotRegistered():
                await self.store.pause(claim.user_id, "not_registered")
                return await self._finish(claim, week, "paused")
            case NoSchedule():
                return await self._finish(claim, week, "no_schedule")
            case _:  # any other failure is this attempt's outcome
                return await self._failed(claim, week, error)

    async def _unreadable(self, claim: Claim, now: datetime) -> str:
        """No configured key opens the row: the operator's problem, never the student's.

        The subscription stays active and the claim is tried again later without
        spending an attempt, so it is delivered once the right key is back in
        `ENCRYPTION_KEYS`. Logged as an ERROR and told to operators once per process.
        """
        self.unreadable_seen += 1
        await self.store.retry_at(
            claim, int(now.timestamp()) + UNREADABLE_RETRY_SECONDS, count_attempt=False
        )
        metrics.DELIVERIES.labels("unreadable").inc()
        if self.unreadable_seen == 1:
            log.error(
                "weekly: no key in ENCRYPTION_KEYS opens stored credentials (user=%s); subscriptions "
                "stay active and are retried every %ds until the key is back",
                claim.user_id,
                UNREADABLE_RETRY_SECONDS,
            )
            try:
                await self.notifier.send_operator_notice(
                    OperatorNotice.UNREADABLE_CREDENTIALS, self.unreadable_seen
                )
            except Exception as failure:  # noqa: BLE001 - the notice is best effort
                log.warning("operator notice failed error=%s", type(failure).__name__)
        return "unreadable"

    async def _send(self, claim: Claim, week: str, delivery: Delivery) -> str:
        previous = await self.store.snapshot(claim.user_id)
        new_hash = delivery.schedule.content_hash
        unchanged = previous is not None and previous[0] == new_hash
        if unchanged and claim.only_if_changed:
            return await self._finish(claim, week, "skipped_unchanged", content_hash=new_hash)
        changes = (
            None
            if previous is None or unchanged
            else diff(codec.loads(previous[1]), delivery.schedule)
        )
        try:
            document_ref = await self.notifier.send_schedule(delivery, changes, unchanged)
        except RecipientGone:
            await self.store.pause(claim.user_id, "recipient_gone")
            return await self._finish(claim, week, "paused")
        except Exception as error:  # noqa: BLE001 - any other failure is this attempt's outcome
            return await self._failed(claim, week, error)
        outcome = "resent_unchanged" if unchanged else "sent"
        return await self._finish(
            claim,
            week,
            outcome,
            content_hash=new_hash,
            delivered=delivered_document(delivery, document_ref),
        )

    async def _failed(self, claim: Claim, week: str, error: BaseException) -> str:
        attempts = claim.attempts + 1
        retryable = is_transient(error) or isinstance(error, RETRY_LATER)
        if retryable and attempts < self.settings.max_attempts:
            delay = self.settings.retry_base_seconds * 2 ** (attempts - 1)
            await self.store.retry_at(claim, int(self.clock().timestamp()) + delay)
            log.info(
                "weekly retry user=%s attempt=%d error=%s in=%ds",
                claim.user_id,
                attempts,
                type(error).__name__,
                delay,
            )
            metrics.DELIVERIES.labels("retry").inc()
            return "retry"
        await self._notify(claim.user_id, Notice.FAILED_THIS_WEEK, error)
        return await self._finish(claim, week, "failed")

    async def _pause(
        self, claim: Claim, week: str, reason: str, notice: Notice, error: BaseException
    ) -> str:
        await self.store.pause(claim.user_id, reason)
        await self._notify(claim.user_id, notice, error)
        return await self._finish(claim, week, "paused")

    async def _notify(self, user_id: int, notice: Notice, error: BaseException | None) -> None:
        profile = await self.delivery.profile(user_id)
        if profile is None:
            return
        try:
            await self.notifier.send_notice(profile.chat_id, notice, error)
        except Exception as failure:  # noqa: BLE001 - a lost notice must not block the week's record
            log.warning("weekly notice failed user=%s error=%s", user_id, type(failure).__name__)

    async def _finish(
        self, claim: Claim, week: str, outcome: str, *, reschedule: bool = False, **record: object
    ) -> str:
        next_due = None
        if reschedule:
            sub: Subscription | None = await self.store.get(claim.user_id)
            if sub is not None:
                next_due = int(
                    self._next_due(claim.user_id, sub.weekday, sub.hour, self.clock()).timestamp()
                )
        await self.store.finish(claim, week, outcome, next_due_ts=next_due, **record)  # type: ignore[arg-type]
        metrics.DELIVERIES.labels(outcome).inc()
        return outcome
