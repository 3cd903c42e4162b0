"""Morning digest (`/diario`) and class reminders (`/recordatorio`) on a DB-backed tick.

The database decides who is due (`store.daily`): each student's setting row carries the
next digest time and the next reminder time, claimed with a lease. This module turns a
claim into at most one message and the next due time:

- a digest goes out at the chosen hour (plus a stable per-user offset within
  `DAILY_SPREAD_SECONDS`) only on a day with classes held: not on a day off, not on a
  day without classes, not after the cycle ended, not without a stored schedule;
- a reminder goes out N minutes before each class held, and never once the class has
  started (a tick that finds it later than that drops it); no spread.

Both read the stored schedule only (`ScheduleBook.stored`): never a SIIAU login in the
foreground; an old copy starts the usual background refresh.

At most once: the `daily_sent` key (user, kind, local day, slot) is written before the
message is sent. A crash between that row and Telegram's answer loses that one message
rather than sending it twice; a replica or a restart that takes the claim over finds the
key and sends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import DailySettings
from bot.core.records import utcnow
from bot.schedule.agenda import Agenda, Meeting, minutes_until
from bot.services.errors import RecipientGone
from bot.services.runtime import metrics
from bot.services.runtime.background import Job, Worker, WorkerService
from bot.services.timetable.schedule_book import ScheduleBook
from bot.services.timetable.week_time import spread_offset
from bot.store.daily import DailyClaim, DailyStore, Kind

log = logging.getLogger(__name__)

DIGEST_HOURS = range(5, 13)  # 05:00 … 12:00
REMINDER_MINUTES = (10, 15, 30, 60)
RECHECK_SECONDS = 3600  # reminders look at the stored schedule at least this often (it may change)
DIGEST_LATE_SECONDS = 3 * 3600  # a digest found later than this (the bot was down) is dropped
KEEP_SENT_DAYS = 7
PRUNE_EVERY_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Digest:
    user_id: int
    day: date
    meetings: tuple[Meeting, ...]


@dataclass(frozen=True, slots=True)
class Reminder:
    user_id: int
    meeting: Meeting
    minutes: int  # until the class starts, when sent


@dataclass(frozen=True, slots=True)
class DailyView:
    digest_hour: int | None
    reminder_minutes: int | None
    has_schedule: bool


class DailyNotifier(Protocol):
    """The way out to the chat. Raises `RecipientGone` when the student blocked the bot or the
    chat is gone (their daily settings are then turned off), `SendFailed` otherwise."""

    async def send_digest(self, chat_id: int, digest: Digest) -> None: ...

    async def send_reminder(self, chat_id: int, reminder: Reminder) -> None: ...


class LoggingDailyNotifier:
    """Sends nothing (tools built without a chat): logs that a message would go out."""

    async def send_digest(self, chat_id: int, digest: Digest) -> None:
        log.info(
            "daily digest not sent (no chat) user=%s classes=%d",
            digest.user_id,
            len(digest.meetings),
        )

    async def send_reminder(self, chat_id: int, reminder: Reminder) -> None:
        log.info("daily reminder not sent (no chat) user=%s", reminder.user_id)


def next_digest_due(
    user_id: int, hour: int, after: datetime, zone: ZoneInfo, spread_seconds: int
) -> datetime:
    """The first local `hour`:00 plus the user's offset strictly after `after`, in UTC."""
    offset = timedelta(seconds=spread_offset(user_id, spread_seconds))
    day = after.astimezone(zone).date() - timedelta(
        days=1
    )  # yesterday's slot may still be ahead (offset)
    for _ in range(4):
        candidate = datetime.combine(day, time(hour), zone) + offset
        if candidate > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("an hour of the day always comes within two days")


class DailyService(WorkerService):
    def __init__(
        self,
        book: ScheduleBook,
        store: DailyStore,
        settings: DailySettings,
        zone: ZoneInfo,
        slot_key: bytes,
        *,
        notifier: DailyNotifier,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`slot_key` keys the hash that names a class in the sent log (never its NRC in clear)."""
        self.book = book
        self.store = store
        self.settings = settings
        self.zone = zone
        self.notifier = notifier
        self.clock = clock
        self._slot_key = slot_key
        # Freed slots are claimed again at once, in batches of half the room, so a wave costs a
        # claim per few messages, not one per message.
        half = settings.concurrency // 2
        self._worker = Worker(
            Job(
                name="daily",
                room=settings.concurrency,
                claim=self._claim,
                run=self._run,
                clock=lambda: int(self.clock().timestamp()),
                describe=lambda claim: f"{claim.kind.value} user={claim.user_id}",
                refill=lambda _outcome, running: running <= half,
                logger=log,
            )
        )
        self._pruned_ts = 0
        self.outcomes: Counter[str] = Counter()  # this process, by kind:outcome

    # ---- the student's settings -------------------------------------------------------
    async def view(self, user_id: int) -> DailyView:
        setting = await self.store.get(user_id)
        has_schedule = await self.book.delivery.stored_schedule(user_id) is not None
        if setting is None:
            return DailyView(None, None, has_schedule)
        return DailyView(setting.digest_hour, setting.reminder_minutes, has_schedule)

    async def set_digest(self, user_id: int, hour: int | None) -> DailyView:
        """`hour` in 5…12, or None to stop the digest."""
        if hour is not None and hour not in DIGEST_HOURS:
            raise ValueError(f"digest hour out of range: {hour}")
        due = None
        if hour is not None:
            due = int(
                next_digest_due(
                    user_id, hour, self.clock(), self.zone, self.settings.spread_seconds
                ).timestamp()
            )
        await self.store.set_digest(user_id, hour, due)
        return await self.view(user_id)

    async def set_reminder(self, user_id: int, minutes: int | None) -> DailyView:
        """`minutes` one of 10, 15, 30, 60, or None to stop reminders. The first tick works
        out the next class from the stored schedule."""
        if minutes is not None and minutes not in REMINDER_MINUTES:
            raise ValueError(f"reminder lead out of range: {minutes}")
        due = int(self.clock().timestamp()) if minutes is not None else None
        await self.store.set_reminder(user_id, minutes, due)
        return await self.view(user_id)

    def next_digest(self, user_id: int, hour: int) -> datetime:
        return next_digest_due(user_id, hour, self.clock(), self.zone, self.settings.spread_seconds)

    # ---- the tick -----------------------------------------------------------------------
    async def _claim(self, now_ts: int, room: int) -> list[DailyClaim]:
        """What is due, reminders first (they are the ones with a deadline), as many as there is
        room for under `DAILY_CONCURRENCY`. Old sent-log rows are pruned on the way."""
        await self._prune(now_ts)
        claims: list[DailyClaim] = []
        for kind in (Kind.REMINDER, Kind.DIGEST):
            lease = self.settings.lease_seconds
            wave = await self.store.claim_due(kind, now_ts, lease, room - len(claims))
            if wave:  # how late the wave runs: the operators' "digest lag" alert
                metrics.DAILY_LAG.labels(kind.value).set(
                    max(0, now_ts - min(c.due_ts for c in wave))
                )
            claims += wave
        metrics.DAILY_LAST_TICK.set(now_ts)
        return claims

    async def _run(self, claim: DailyClaim) -> str:
        outcome = await self.process(claim)
        self.outcomes[f"{claim.kind.value}:{outcome}"] += 1
        return outcome

    async def _prune(self, now_ts: int) -> None:
        if now_ts - self._pruned_ts < PRUNE_EVERY_SECONDS:
            return
        self._pruned_ts = now_ts
        before = datetime.fromtimestamp(now_ts, self.zone).date() - timedelta(days=KEEP_SENT_DAYS)
        await self.store.prune(before.isoformat())

    async def process(self, claim: DailyClaim) -> str:
        if claim.kind is Kind.DIGEST:
            return await self._digest(claim)
        return await self._reminders(claim)

    # ---- the digest -----------------------------------------------------------------------
    async def _digest(self, claim: DailyClaim) -> str:
        now = self.clock()
        due = datetime.fromtimestamp(claim.due_ts, UTC)
        day = due.astimezone(self.zone).date()
        next_due = next_digest_due(
            claim.user_id, claim.value, max(now, due), self.zone, self.settings.spread_seconds
        )
        outcome = await self._digest_outcome(claim, now, due, day)
        settled = (day.isoformat(), "", outcome) if outcome in ("sent", "failed") else None
        await self.store.release(claim, int(next_due.timestamp()), settled)
        return outcome

    async def _digest_outcome(
        self, claim: DailyClaim, now: datetime, due: datetime, day: date
    ) -> str:
        if (now - due).total_seconds() > DIGEST_LATE_SECONDS or now.astimezone(
            self.zone
        ).date() != day:
            return "late"
        known = await self.book.stored(claim.user_id)
        if known is None:
            return "no_schedule"
        agenda = known.agenda
        if agenda.ended(day):
            return "ended"
        meetings = agenda.on(day)
        held = tuple(m for m in meetings if m.held)
        if not held:
            return "day_off" if meetings else "no_classes"
        return await self._send(
            claim, Kind.DIGEST, day, "", Digest(claim.user_id, day, held), settle=False
        )

    # ---- reminders ------------------------------------------------------------------------
    async def _reminders(self, claim: DailyClaim) -> str:
        now = self.clock()
        now_ts = int(now.timestamp())
        lead = timedelta(minutes=claim.value)
        known = await self.book.stored(claim.user_id)
        if known is None:
            await self.store.release(claim, now_ts + RECHECK_SECONDS)
            return "no_schedule"
        agenda = known.agenda
        outcomes = []
        for meeting in self._around(agenda, now):
            remind_at = meeting.starts - lead
            if remind_at <= now < meeting.starts:
                reminder = Reminder(claim.user_id, meeting, minutes_until(now, meeting.starts))
                outcomes.append(
                    await self._send(
                        claim, Kind.REMINDER, meeting.day, self._slot(meeting), reminder
                    )
                )
            elif meeting.starts <= now and claim.due_ts <= remind_at.timestamp():
                # Due during this claim's wait, but the class has started: too late to remind.
                if await self.store.mark(
                    claim.user_id,
                    Kind.REMINDER,
                    meeting.day.isoformat(),
                    self._slot(meeting),
                    outcome="late",
                ):
                    log.info(
                        "daily reminder dropped, class started user=%s late_by=%ds",
                        claim.user_id,
                        int((now - remind_at).total_seconds()),
                    )
                    outcomes.append("late")
        if "gone" not in outcomes:
            following = agenda.next_meeting(now + lead)
            next_ts = now_ts + RECHECK_SECONDS
            if following is not None:
                next_ts = min(next_ts, int((following.starts - lead).timestamp()))
            await self.store.release(claim, max(next_ts, now_ts + 1))
        return ",".join(outcomes) if outcomes else "none_due"

    def _around(self, agenda: Agenda, now: datetime) -> list[Meeting]:
        """Held classes from yesterday to tomorrow: enough for any lead and midnight."""
        today = now.astimezone(self.zone).date()
        return [
            m for offset in (-1, 0, 1) for m in agenda.on(today + timedelta(days=offset)) if m.held
        ]

    def _slot(self, meeting: Meeting) -> str:
        """The class in the sent log: a keyed hash of NRC and start time, never the NRC itself."""
        start = meeting.starts.astimezone(self.zone)
        name = f"{meeting.course.nrc}|{start:%H:%M}"
        return hmac.new(self._slot_key, name.encode(), hashlib.sha256).hexdigest()[:32]

    # ---- sending, at most once ----------------------------------------------------------
    async def _send(
        self,
        claim: DailyClaim,
        kind: Kind,
        day: date,
        slot: str,
        message: Digest | Reminder,
        *,
        settle: bool = True,
    ) -> str:
        """`settle=False`: the caller writes a sent or failed outcome with its release (one write less)."""
        key = day.isoformat()
        if not await self.store.mark(claim.user_id, kind, key, slot):
            return "already"
        try:
            if isinstance(message, Digest):
                await self.notifier.send_digest(claim.chat_id, message)
            else:
                await self.notifier.send_reminder(claim.chat_id, message)
        except RecipientGone:
            await self.store.settle(claim.user_id, kind, key, slot, "gone")
            await self.store.turn_off(claim.user_id)
            log.info("daily settings turned off: chat gone user=%s", claim.user_id)
            return "gone"
        except Exception as error:  # noqa: BLE001 - this message's outcome; the next one is unaffected
            if settle:
                await self.store.settle(claim.user_id, kind, key, slot, "failed")
            log.warning(
                "daily %s failed user=%s error=%s", kind.value, claim.user_id, type(error).__name__
            )
            return "failed"
        if settle:
            await self.store.settle(claim.user_id, kind, key, slot, "sent")
        return "sent"
