"""Weekly subscriptions, claimed atomically, and what each user-week came to.

The database is the source of truth: a claim moves `next_due_ts` a week ahead
and sets a lease in the same UPDATE that picks the rows, so two ticks (or two
processes) never take the same subscription. A claim whose lease expires
(a crash mid-delivery) becomes claimable again and is retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.records import utcnow
from bot.store.crypto import CredentialCipher
from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.documents import DeliveredDocument, open_snapshot, record_delivered
from bot.store.leases import lease_due
from bot.store.models import SnapshotRow, SubscriptionRow, UserRow, WeeklyDeliveryRow

WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Subscription:
    user_id: int
    weekday: int
    hour: int
    only_if_changed: bool
    active: bool
    paused_reason: str | None
    next_due_ts: int
    pending_due_ts: int | None


@dataclass(frozen=True, slots=True)
class Claim:
    user_id: int
    due_ts: int
    attempts: int
    only_if_changed: bool


class WeeklyStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._sessions = session_factory(engine)

    async def subscribe(
        self, user_id: int, weekday: int, hour: int, only_if_changed: bool, next_due_ts: int
    ) -> None:
        values = {
            "user_id": user_id,
            "weekday": weekday,
            "hour": hour,
            "only_if_changed": only_if_changed,
            "active": True,
            "paused_reason": None,
            "next_due_ts": next_due_ts,
            "pending_due_ts": None,
            "lease_until_ts": None,
            "attempts": 0,
            "updated_at": utcnow(),
        }
        statement = dialect_insert(self._engine)(SubscriptionRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: statement.excluded[k] for k in values if k != "user_id"},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def unsubscribe(self, user_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(SubscriptionRow).where(SubscriptionRow.user_id == user_id)
            )
        return bool(rows_affected(result))

    async def get(self, user_id: int) -> Subscription | None:
        async with self._sessions() as session:
            row = await session.get(SubscriptionRow, user_id)
        if row is None:
            return None
        return Subscription(
            row.user_id,
            row.weekday,
            row.hour,
            row.only_if_changed,
            row.active,
            row.paused_reason,
            row.next_due_ts,
            row.pending_due_ts,
        )

    async def claim_due(self, now_ts: int, lease_seconds: int, limit: int) -> list[Claim]:
        """Take up to `limit` due subscriptions: fresh ones, and ones whose lease ran out."""
        s = SubscriptionRow
        due = and_(
            s.active,
            or_(
                and_(s.pending_due_ts.is_(None), s.next_due_ts <= now_ts),
                and_(s.pending_due_ts.is_not(None), s.lease_until_ts <= now_ts),
            ),
        )
        fresh = s.pending_due_ts.is_(None)
        leased = {
            s.pending_due_ts: case((fresh, s.next_due_ts), else_=s.pending_due_ts),
            s.next_due_ts: case((fresh, s.next_due_ts + WEEK_SECONDS), else_=s.next_due_ts),
            s.lease_until_ts: now_ts + lease_seconds,
        }
        rows, _ = await lease_due(
            self._engine,
            self._sessions,
            s.user_id,
            due,
            s.next_due_ts,
            limit,
            leased,
            (s.user_id, s.pending_due_ts, s.attempts, s.only_if_changed),
        )
        claims = []
        for user_id, due_ts, attempts, only_if_changed in rows:
            if due_ts is None:  # the statement above sets it on every row it claims
                raise RuntimeError("a claimed subscription has no pending due time")
            claims.append(Claim(user_id, int(due_ts), attempts, only_if_changed))
        return claims

    async def outcome(self, user_id: int, iso_week: str) -> str | None:
        async with self._sessions() as session:
            outcome: str | None = await session.scalar(
                select(WeeklyDeliveryRow.outcome).where(
                    WeeklyDeliveryRow.user_id == user_id, WeeklyDeliveryRow.iso_week == iso_week
                )
            )
        return outcome

    async def finish(
        self,
        claim: Claim,
        iso_week: str,
        outcome: str,
        *,
        content_hash: str | None = None,
        next_due_ts: int | None = None,
        delivered: DeliveredDocument | None = None,
    ) -> None:
        """Record the week's outcome (once) and release the claim, in one transaction.
        Nothing to record when the user was erased meanwhile (`/olvidar` mid-delivery)."""
        row = (
            dialect_insert(self._engine)(WeeklyDeliveryRow)
            .values(
                user_id=claim.user_id,
                iso_week=iso_week,
                outcome=outcome,
                content_hash=content_hash,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "iso_week"])
        )
        release: dict[str, object] = {"pending_due_ts": None, "lease_until_ts": None, "attempts": 0}
        if next_due_ts is not None:
            release["next_due_ts"] = next_due_ts
        try:
            async with self._sessions.begin() as session:
                await session.execute(row)
                await session.execute(
                    update(SubscriptionRow)
                    .where(
                        SubscriptionRow.user_id == claim.user_id,
                        SubscriptionRow.pending_due_ts == claim.due_ts,
                    )
                    .values(**release)
                )
                if delivered is not None:
                    await record_delivered(
                        session, self._engine, self._cipher, claim.user_id, delivered
                    )
        except IntegrityError:
            async with self._sessions() as session:
                if await session.get(UserRow, claim.user_id) is not None:
                    raise

    async def retry_at(self, claim: Claim, retry_ts: int, *, count_attempt: bool = True) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.user_id == claim.user_id,
                    SubscriptionRow.pending_due_ts == claim.due_ts,
                )
                .values(
                    lease_until_ts=retry_ts,
                    attempts=SubscriptionRow.attempts + (1 if count_attempt else 0),
                )
            )

    async def extend_lease(self, claim: Claim, until_ts: int) -> None:
        """Still working on it: keep other ticks from taking this claim over."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.user_id == claim.user_id,
                    SubscriptionRow.pending_due_ts == claim.due_ts,
                    SubscriptionRow.lease_until_ts < until_ts,
                )
                .values(lease_until_ts=until_ts)
            )

    async def pause(self, user_id: int, reason: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.user_id == user_id)
                .values(
                    active=False,
                    paused_reason=reason,
                    pending_due_ts=None,
                    lease_until_ts=None,
                    attempts=0,
                    updated_at=utcnow(),
                )
            )

    async def snapshot(self, user_id: int) -> tuple[str, str] | None:
        async with self._sessions() as session:
            row = await session.get(SnapshotRow, user_id)
        return (
            (row.content_hash, open_snapshot(self._cipher, row.schedule_json, user_id=user_id))
            if row
            else None
        )

    async def deliveries_in_week(self, iso_week: str) -> dict[int, str]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(WeeklyDeliveryRow.user_id, WeeklyDeliveryRow.outcome).where(
                    WeeklyDeliveryRow.iso_week == iso_week
                )
            )
            return {user_id: outcome for user_id, outcome in rows}
