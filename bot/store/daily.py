"""Morning digests and class reminders: settings, atomic claims, and the log of what was sent.

A claim is one `UPDATE … RETURNING` that picks due rows whose lease is free and sets a
lease, so two ticks (or two replicas) never hold the same row at once; PostgreSQL adds
`FOR UPDATE SKIP LOCKED` to the pick. A lease that runs out (a crash) frees the row again.

What makes each message at most once is not the lease but `daily_sent`: its unique key
(user, kind, local day, slot) is written *before* the message goes out, and a second
writer (a replica whose lease ran out, a restart) finds it taken and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.records import utcnow
from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.leases import lease_due
from bot.store.models import DailySentRow, DailySettingRow


class Kind(StrEnum):
    DIGEST = "digest"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class DailySetting:
    user_id: int
    digest_hour: int | None
    digest_due_ts: int | None
    reminder_minutes: int | None
    reminder_due_ts: int | None


@dataclass(frozen=True, slots=True)
class DailyClaim:
    kind: Kind
    user_id: int
    chat_id: int
    due_ts: int
    value: int  # the digest's hour, or the reminder's minutes before class


class DailyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    # ---- settings -----------------------------------------------------------------
    async def get(self, user_id: int) -> DailySetting | None:
        async with self._sessions() as session:
            row = await session.get(DailySettingRow, user_id)
        if row is None:
            return None
        return DailySetting(
            row.user_id,
            row.digest_hour,
            row.digest_due_ts,
            row.reminder_minutes,
            row.reminder_due_ts,
        )

    async def set_digest(self, user_id: int, hour: int | None, due_ts: int | None) -> None:
        await self._upsert(
            user_id, {"digest_hour": hour, "digest_due_ts": due_ts, "digest_lease_ts": None}
        )

    async def set_reminder(self, user_id: int, minutes: int | None, due_ts: int | None) -> None:
        await self._upsert(
            user_id,
            {"reminder_minutes": minutes, "reminder_due_ts": due_ts, "reminder_lease_ts": None},
        )

    async def turn_off(self, user_id: int) -> None:
        """Both off (a blocked bot, a chat gone): nothing is claimed for the user any more."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(DailySettingRow)
                .where(DailySettingRow.user_id == user_id)
                .values(
                    digest_hour=None,
                    digest_due_ts=None,
                    digest_lease_ts=None,
                    reminder_minutes=None,
                    reminder_due_ts=None,
                    reminder_lease_ts=None,
                    updated_at=utcnow(),
                )
            )

    async def _upsert(self, user_id: int, values: dict[str, object]) -> None:
        row = {"user_id": user_id, "updated_at": utcnow(), **values}
        statement = dialect_insert(self._engine)(DailySettingRow).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: statement.excluded[k] for k in row if k != "user_id"},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    # ---- claims ---------------------------------------------------------------------
    async def claim_due(
        self, kind: Kind, now_ts: int, lease_seconds: int, limit: int
    ) -> list[DailyClaim]:
        """Take up to `limit` rows due by `now_ts` whose lease is free, earliest first."""
        if limit <= 0:
            return []
        d = DailySettingRow
        if kind is Kind.DIGEST:
            due_col, lease_col, value_col = d.digest_due_ts, d.digest_lease_ts, d.digest_hour
        else:
            due_col, lease_col, value_col = (
                d.reminder_due_ts,
                d.reminder_lease_ts,
                d.reminder_minutes,
            )
        due = and_(
            value_col.is_not(None), due_col <= now_ts, or_(lease_col.is_(None), lease_col <= now_ts)
        )
        rows, chats = await lease_due(
            self._engine,
            self._sessions,
            d.user_id,
            due,
            due_col,
            limit,
            {lease_col: now_ts + lease_seconds},
            (d.user_id, due_col, value_col),
            chats_of=0,
        )
        return [
            DailyClaim(kind, user_id, chats[user_id], int(due_ts), int(value))
            for user_id, due_ts, value in rows
            if user_id in chats and due_ts is not None and value is not None
        ]

    async def release(
        self,
        claim: DailyClaim,
        next_due_ts: int | None,
        settled: tuple[str, str, str] | None = None,
    ) -> bool:
        """Done with the claim: the next due time, lease freed. False when the student changed
        the setting meanwhile (their new due time stands). `settled` (day, slot, outcome): the
        sent-log row's outcome, written in the same transaction."""
        d = DailySettingRow
        if claim.kind is Kind.DIGEST:
            due_col, lease_col = d.digest_due_ts, d.digest_lease_ts
        else:
            due_col, lease_col = d.reminder_due_ts, d.reminder_lease_ts
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(d)
                .where(d.user_id == claim.user_id, due_col == claim.due_ts)
                .values({due_col: next_due_ts, lease_col: None})
            )
            if settled is not None:
                day, slot, outcome = settled
                await session.execute(
                    update(DailySentRow)
                    .where(
                        DailySentRow.user_id == claim.user_id,
                        DailySentRow.kind == claim.kind.value,
                        DailySentRow.day == day,
                        DailySentRow.slot == slot,
                    )
                    .values(outcome=outcome)
                )
        return bool(rows_affected(result))

    # ---- the log of what was sent -------------------------------------------------
    async def mark(
        self, user_id: int, kind: Kind, day: str, slot: str = "", outcome: str = "sending"
    ) -> bool:
        """Take the (user, kind, day, slot) key before sending. False: it was taken already
        (or the user is gone), so nothing must be sent."""
        statement = (
            dialect_insert(self._engine)(DailySentRow)
            .values(user_id=user_id, kind=kind.value, day=day, slot=slot, outcome=outcome)
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "day", "slot"])
        )
        try:
            async with self._sessions.begin() as session:
                result = await session.execute(statement)
        except IntegrityError:  # the user row is gone (/olvidar while a claim was in flight)
            return False
        return bool(rows_affected(result))

    async def settle(self, user_id: int, kind: Kind, day: str, slot: str, outcome: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(DailySentRow)
                .where(
                    DailySentRow.user_id == user_id,
                    DailySentRow.kind == kind.value,
                    DailySentRow.day == day,
                    DailySentRow.slot == slot,
                )
                .values(outcome=outcome)
            )

    async def sent(
        self, user_id: int | None = None, kind: Kind | None = None
    ) -> list[tuple[int, str, str, str, str]]:
        """(user, kind, day, slot, outcome) rows, for tests, the bench and operators."""
        query = select(
            DailySentRow.user_id,
            DailySentRow.kind,
            DailySentRow.day,
            DailySentRow.slot,
            DailySentRow.outcome,
        ).order_by(DailySentRow.id)
        if user_id is not None:
            query = query.where(DailySentRow.user_id == user_id)
        if kind is not None:
            query = query.where(DailySentRow.kind == kind.value)
        async with self._sessions() as session:
            return [tuple(r) for r in (await session.execute(query)).all()]  # type: ignore[misc]

    async def prune(self, before_day: str) -> int:
        """Forget what was sent before `before_day` (ISO dates sort as text)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(DailySentRow).where(DailySentRow.day < before_day)
            )
        return rows_affected(result)
