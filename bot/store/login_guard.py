"""The login guard's memory in the database, so it holds across restarts and replicas.

Codes and code/NIP pairs arrive here as keyed hashes (`bot.services.runtime.login_guard`
makes them); nothing in these tables can be read back as a code or a NIP. The
rules live in the service; this module only does the counting, atomically.
"""

from __future__ import annotations

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import LoginEventRow, LoginGuardRow, RejectedPairRow

EVENTS_KEPT_SECONDS = 2 * 24 * 3600  # the longest window the rules look at is a day
PRUNE_EVERY = 64  # one acceptance in this many drops every code's events older than that
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
        count = LoginGuardRow.consecutive
        upsert = insert(LoginGuardRow).values(code_key=code_key, consecutive=1, updated_ts=now)
        upsert = upsert.on_conflict_do_update(
            index_elements=["code_key"],
            set_={"consecutive": count + 1, "updated_ts": now},
            where=count < max_in_a_row,
        ).returning(LoginGuardRow.consecutive)
        events = (
            select(func.count())
            .select_from(LoginEventRow)
            .where(LoginEventRow.code_key == code_key, LoginEventRow.owner == owner)
        )
        checks = select(
            select(RejectedPairRow.pair_key).where(RejectedPairRow.pair_key == pair_key).exists(),
            events.where(LoginEventRow.at_ts > now - 3600).scalar_subquery(),
            events.where(
                LoginEventRow.at_ts > now - 24 * 3600, LoginEventRow.kind.in_(MAYBE_REJECTED)
            ).scalar_subquery(),
        )
        async with self._sessions() as session, session.begin() as transaction:
            # The count goes up first, in one conditional upsert: replicas can't both pass, and
            # on SQLite the write lock is taken before the reads below. A refusal rolls it back.
            if (await session.execute(upsert)).first() is None:
                return "held"  # said first: it is the reason that lasts
            rejected_before, last_hour, last_day = (await session.execute(checks)).one()
            refusal = (
                "pair"
                if rejected_before
                else "hour"
                if last_hour >= per_hour
                else "day"
                if per_day is not None and last_day >= per_day
                else None
            )
            if refusal is not None:
                await transaction.rollback()
                return refusal
            event = LoginEventRow(code_key=code_key, owner=owner, kind="sent", at_ts=now)
            session.add(event)
            await session.flush()
            return event.id

    async def settle(
        self, event_id: int, code_key: str, pair_key: str, outcome: str, now: float, *, owner: bool
    ) -> None:
        """What SIIAU made of a reserved login: "accepted", "rejected", "unanswered", "locked"
        or "answered". An acceptance also clears the logins its side left unanswered before
        (they were not rejections) and, now and then, drops the code's old events."""
        event = LoginEventRow
        row = LoginGuardRow.consecutive
        async with self._sessions.begin() as session:
            if outcome == "accepted":
                await session.execute(
                    update(event)
                    .where(
                        or_(
                            event.id == event_id,
                            and_(
                                event.code_key == code_key,
                                event.owner == owner,
                                event.kind == "unanswered",
                            ),
                        )
                    )
                    .values(kind=case((event.id == event_id, "accepted"), else_="cleared"))
                )
                await session.execute(
                    update(LoginGuardRow)
                    .where(LoginGuardRow.code_key == code_key)
                    .values(consecutive=0, updated_ts=now)
                )
                if event_id % PRUNE_EVERY == 0:
                    await session.execute(
                        delete(event).where(event.at_ts < now - EVENTS_KEPT_SECONDS)
                    )
                return
            await session.execute(update(event).where(event.id == event_id).values(kind=outcome))
            if outcome == "answered":  # answered, and not a rejection: it was not one
                await session.execute(
                    update(LoginGuardRow)
                    .where(LoginGuardRow.code_key == code_key)
                    .values(consecutive=case((row > 0, row - 1), else_=0), updated_ts=now)
                )
            elif outcome == "rejected":
                await session.execute(
                    dialect_insert(self._engine)(RejectedPairRow)
                    .values(pair_key=pair_key, at_ts=now)
                    .on_conflict_do_nothing(index_elements=["pair_key"])
                )

    async def in_a_row(self, code_key: str) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(LoginGuardRow.consecutive).where(LoginGuardRow.code_key == code_key)
            )
        return int(count or 0)

    async def last_outcome(self, code_key: str) -> str | None:
        """The kind of the code's newest login event ("accepted", "rejected"…), if any."""
        async with self._sessions() as session:
            kind = await session.scalar(
                select(LoginEventRow.kind)
                .where(LoginEventRow.code_key == code_key)
                .order_by(LoginEventRow.id.desc())
                .limit(1)
            )
        return str(kind) if kind is not None else None

    async def release(self, code_key: str, now: float) -> int:
        """An operator's release: the in-a-row count goes back to 0. Returns what it was."""
        async with self._sessions.begin() as session:
            count = await session.scalar(
                select(LoginGuardRow.consecutive).where(LoginGuardRow.code_key == code_key)
            )
            await session.execute(
                update(LoginGuardRow)
                .where(LoginGuardRow.code_key == code_key)
                .values(consecutive=0, updated_ts=now)
            )
        return int(count or 0)
