"""Leases, rate events and the breaker row: coordination state shared by replicas.

Every operation is one statement, atomic on SQLite and PostgreSQL alike, and
every lease carries an expiry so a crashed replica's holds lapse by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.models import BreakerRow, LeaseRow, RateEventRow

BREAKER_ID = 1


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    failures: int
    opened_until_ts: float | None
    times_opened: int


class SharedStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    # ---- leases -------------------------------------------------------------------
    async def acquire(self, name: str, holder: str, until_ts: float, now_ts: float) -> bool:
        """Take `name` if it is free or its lease ran out."""
        statement = dialect_insert(self._engine)(LeaseRow).values(
            name=name, holder=holder, until_ts=until_ts
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": statement.excluded.holder, "until_ts": statement.excluded.until_ts},
            where=(LeaseRow.holder.is_(None)) | (LeaseRow.until_ts < now_ts),
        ).returning(LeaseRow.name)
        async with self._sessions.begin() as session:
            return (await session.execute(statement)).first() is not None

    async def create(self, names: list[str]) -> None:
        """Make sure these leases exist as rows (free), so `acquire_any` can pick among them."""
        statement = (
            dialect_insert(self._engine)(LeaseRow)
            .values([{"name": name, "holder": None, "until_ts": 0} for name in names])
            .on_conflict_do_nothing(index_elements=["name"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def acquire_any(
        self, names: list[str], holder: str, until_ts: float, now_ts: float
    ) -> str | None:
        """Take one free lease among `names` in a single statement; None when all are held."""
        free = or_(LeaseRow.holder.is_(None), LeaseRow.until_ts < now_ts)
        pick = select(LeaseRow.name).where(LeaseRow.name.in_(names), free).limit(1)
        if self._engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        statement = (
            update(LeaseRow)
            .where(LeaseRow.name == pick.scalar_subquery(), free)
            .values(holder=holder, until_ts=until_ts)
            .returning(LeaseRow.name)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            name: str | None = (await session.execute(statement)).scalar()
            return name

    async def renew(self, name: str, holder: str, until_ts: float) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .values(until_ts=until_ts)
            )
        return bool(rows_affected(result))

    async def release(self, name: str, holder: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .values(holder=None, until_ts=0)
            )

    # ---- rate events ----------------------------------------------------------------
    async def count_and_add(self, user_id: int, now_ts: float, window: float, limit: int) -> bool:
        """Record an event unless `limit` happened within `window` seconds. True if recorded."""
        async with self._sessions.begin() as session:
            await session.execute(delete(RateEventRow).where(RateEventRow.at_ts < now_ts - 3600))
            recent = await session.scalar(
                select(func.count())
                .select_from(RateEventRow)
                .where(RateEventRow.user_id == user_id, RateEventRow.at_ts > now_ts - window)
            )
            if (recent or 0) >= limit:
                return False
            session.add(RateEventRow(user_id=user_id, at_ts=now_ts))
        return True

    async def forget_user(self, user_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(RateEventRow).where(RateEventRow.user_id == user_id))
            await session.execute(delete(LeaseRow).where(LeaseRow.name == f"user:{user_id}"))

    # ---- the breaker ------------------------------------------------------------------
    async def breaker(self) -> BreakerRecord:
        async with self._sessions() as session:
            row = await session.get(BreakerRow, BREAKER_ID)
        if row is None:
            return BreakerRecord(0, None, 0)
        return BreakerRecord(row.failures, row.opened_until_ts, row.times_opened)

    async def breaker_failure(
        self, threshold: int, cooldown: float, now_ts: float, trial: bool
    ) -> None:
        """One more failure; open (or re-open, after a failed trial) when the threshold is met."""
        await self._ensure_breaker()
        b = BreakerRow
        opens = (b.failures + 1 >= threshold) | trial
        newly = opens & ((b.opened_until_ts.is_(None)) | trial)
        async with self._sessions.begin() as session:
            await session.execute(
                update(b)
                .where(b.id == BREAKER_ID)
                .values(
                    failures=b.failures + 1,
                    opened_until_ts=case((opens, now_ts + cooldown), else_=b.opened_until_ts),
                    times_opened=b.times_opened + case((newly, 1), else_=0),
                )
            )

    async def breaker_success(self) -> None:
        await self._ensure_breaker()
        async with self._sessions.begin() as session:
            await session.execute(
                update(BreakerRow)
                .where(BreakerRow.id == BREAKER_ID)
                .values(failures=0, opened_until_ts=None)
            )

    async def breaker_trial(self, now_ts: float, cooldown: float) -> bool:
        """After the cool-down, exactly one caller (on any replica) gets to try SIIAU."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(BreakerRow)
                .where(BreakerRow.id == BREAKER_ID, BreakerRow.opened_until_ts <= now_ts)
                .values(opened_until_ts=now_ts + cooldown)
            )
        return bool(rows_affected(result))

    async def _ensure_breaker(self) -> None:
        statement = (
            dialect_insert(self._engine)(BreakerRow)
            .values(id=BREAKER_ID, failures=0, opened_until_ts=None, times_opened=0)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)
