"""The login guard's memory in the database, so it holds across restarts and replicas.

Codes and code/NIP pairs arrive here as keyed hashes (`bot.services.login_guard`
makes them); nothing in these tables can be read back as a code or a NIP. The
rules live in the service; this module only does the counting, atomically.
"""

from __future__ import annotations

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.models import LoginEventRow, LoginGuardRow, RejectedPairRow

EVENTS_KEPT_SECONDS = 2 * 24 * 3600  # the longest window the rules look at is a day
# Kinds of login event that may have been a rejection: still in flight, refused, never answered.
MAYBE_REJECTED = ("sent", "rejected", "unanswered", "locked")


class LoginGuardStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def reserve(
        self,
        code_key: str,
        pair_key: str,
        *,
        owner: bool,
        now: float,
        max_in_a_row: int,
        per_hour: int,
        per_day: int | None,
    ) -> int | str:
        """Count one login as sent, or say why not. Returns the event id, or a refusal:

        "pair" (this pair was rejected before), "hour" (this side's hourly cap),
        "day" (`per_day` possible rejections of this side in 24 h), "held"
        (`max_in_a_row` possible rejections in a row already). The in-a-row count
        is raised here, in one conditional UPDATE, so replicas can't both pass.
        """
        insert = dialect_insert(self._engine)
        async with self._sessions.begin() as session:
            # A write first: on SQLite it takes the write lock, so the reads below are current.
            await session.execute(
                insert(LoginGuardRow)
                .values(code_key=code_key, consecutive=0, updated_ts=now)
                .on_conflict_do_nothing(index_elements=["code_key"])
            )
            await session.execute(
                delete(LoginEventRow).where(
                    LoginEventRow.code_key == code_key, LoginEventRow.at_ts < now - EVENTS_KEPT_SECONDS
                )
            )
            if await session.get(RejectedPairRow, pair_key) is not None:
                return "pair"
            in_a_row = await session.scalar(
                select(LoginGuardRow.consecutive).where(LoginGuardRow.code_key == code_key)
            )
            if (in_a_row or 0) >= max_in_a_row:
                return "held"  # said first: it is the reason that lasts
            side = and_(LoginEventRow.code_key == code_key, LoginEventRow.owner == owner)
            last_hour = await session.scalar(
                select(func.count()).select_from(LoginEventRow).where(side, LoginEventRow.at_ts > now - 3600)
            )
            if (last_hour or 0) >= per_hour:
                return "hour"
            if per_day is not None:
                last_day = await session.scalar(
                    select(func.count()).select_from(LoginEventRow).where(
                        side, LoginEventRow.at_ts > now - 24 * 3600, LoginEventRow.kind.in_(MAYBE_REJECTED)
                    )
                )
                if (last_day or 0) >= per_day:
                    return "day"
            raised = await session.execute(
                update(LoginGuardRow)
                .where(LoginGuardRow.code_key == code_key, LoginGuardRow.consecutive < max_in_a_row)
                .values(consecutive=LoginGuardRow.consecutive + 1, updated_ts=now)
            )
            if not rows_affected(raised):
                return "held"
            event = LoginEventRow(code_key=code_key, owner=owner, kind="sent", at_ts=now)
            session.add(event)
            await session.flush()
            return event.id

    async def settle(self, event_id: int, code_key: str, pair_key: str, outcome: str, now: float) -> None:
        """What SIIAU made of a reserved login: "accepted", "rejected", "unanswered" or "answered"."""
        async with self._sessions.begin() as session:
            await session.execute(update(LoginEventRow).where(LoginEventRow.id == event_id).values(kind=outcome))
            row = LoginGuardRow.consecutive
            values: dict[str, object] = {}
            if outcome == "accepted":
                values = {"consecutive": 0, "updated_ts": now}
            elif outcome == "answered":  # answered, and not a rejection: it was not one
                values = {"consecutive": case((row > 0, row - 1), else_=0), "updated_ts": now}
            if values:
                await session.execute(
                    update(LoginGuardRow).where(LoginGuardRow.code_key == code_key).values(**values)
                )
            if outcome == "accepted":  # the logins left unanswered before were not rejections
                side = select(LoginEventRow.owner).where(LoginEventRow.id == event_id).scalar_subquery()
                await session.execute(
                    update(LoginEventRow)
                    .where(LoginEventRow.code_key == code_key, LoginEventRow.owner == side,
                           LoginEventRow.kind == "unanswered")
                    .values(kind="cleared")
                )  # fmt: skip
            if outcome == "rejected":
                await session.execute(
                    dialect_insert(self._engine)(RejectedPairRow)
                    .values(pair_key=pair_key, at_ts=now)
                    .on_conflict_do_nothing(index_elements=["pair_key"])
                )

    async def in_a_row(self, code_key: str) -> int:
        async with self._sessions() as session:
            count = await session.scalar(select(LoginGuardRow.consecutive).where(LoginGuardRow.code_key == code_key))
        return int(count or 0)

    async def release(self, code_key: str, now: float) -> int:
        """An operator's release: the in-a-row count goes back to 0. Returns what it was."""
        async with self._sessions.begin() as session:
            count = await session.scalar(
                select(LoginGuardRow.consecutive).where(LoginGuardRow.code_key == code_key)
            )
            await session.execute(
                update(LoginGuardRow).where(LoginGuardRow.code_key == code_key).values(consecutive=0, updated_ts=now)
            )
        return int(count or 0)
