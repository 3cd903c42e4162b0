"""Seat alerts in the database: subjects polled once per round, and who watches them.

As with weekly deliveries, the database decides who polls what: `claim_due` picks
due subjects that have watchers and, in the same UPDATE, records the due time,
moves `next_poll_ts` to the next round (in phase) and sets a lease. Two pollers
(tasks, processes, replicas) therefore never take one subject in the same round;
PostgreSQL adds `FOR UPDATE SKIP LOCKED` so they split the due rows instead of
queueing on them. A poller that dies leaves the lease to expire; the subject is
polled again at its next round.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.crypto import CredentialCipher
from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.documents import open_snapshot
from bot.store.models import CupoPrefRow, CupoSubjectRow, CupoWatchRow, SnapshotRow

ANY = "*"  # any section of the subject
FIT = "fit"  # any section that does not clash with the student's schedule


@dataclass(frozen=True, slots=True)
class SubjectKey:
    cycle: str
    centre: str
    clave: str


@dataclass(frozen=True, slots=True)
class SubjectClaim:
    id: int
    key: SubjectKey
    due_ts: int  # when this poll was due
    next_ts: int  # the next round's poll, already set by the claim
    failures: int
    free: dict[str, int] | None  # last free count by NRC; None before the first look


@dataclass(frozen=True, slots=True)
class Watcher:
    watch_id: int
    user_id: int
    chat_id: int
    target: str  # an NRC, ANY or FIT


@dataclass(frozen=True, slots=True)
class WatchRecord:
    id: int
    key: SubjectKey
    target: str
    label: str
    expires_ts: int
    chat_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class WatchFigures:
    subjects: int  # subjects somebody watches
    watches: int
    last_ok_ts: int | None
    late_polls: int
    failing: int  # watched subjects whose last poll failed


class WatchLimit(Exception):
    """The student already has as many watches as allowed."""


class WatchStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._sessions = session_factory(engine)

    # ---- the student's side ---------------------------------------------------
    async def last_centre(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            row = await session.get(CupoPrefRow, user_id)
        return row.centre if row else None

    async def remember_centre(self, user_id: int, centre: str) -> None:
        statement = dialect_insert(self._engine)(CupoPrefRow).values(user_id=user_id, centre=centre)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"centre": centre}
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def add(
        self,
        user_id: int,
        chat_id: int,
        key: SubjectKey,
        target: str,
        label: str,
        *,
        now_ts: int,
        expires_ts: int,
        first_poll_ts: int,
        limit: int,
        free: dict[str, int] | None,
    ) -> int:
        """Create (or renew) a watch; its subject is created when new, with `free` as
        its baseline. Raises `WatchLimit` when the student has `limit` other watches."""
        insert = dialect_insert(self._engine)
        subject = (
            insert(CupoSubjectRow)
            .values(
                cycle=key.cycle,
                centre=key.centre,
                clave=key.clave,
                next_poll_ts=first_poll_ts,
                failures=0,
                late_polls=0,
                free_json=None if free is None else json.dumps(free),
            )
            .on_conflict_do_nothing(index_elements=["cycle", "centre", "clave"])
        )
        async with self._sessions.begin() as session:
            await session.execute(subject)
            subject_id = await session.scalar(
                select(CupoSubjectRow.id).where(
                    CupoSubjectRow.cycle == key.cycle,
                    CupoSubjectRow.centre == key.centre,
                    CupoSubjectRow.clave == key.clave,
                )
            )
            if subject_id is None:
                raise RuntimeError("a subject just inserted is missing")
            if (
                free is not None
            ):  # a subject nobody looked at yet takes the baseline the student saw
                await session.execute(
                    update(CupoSubjectRow)
                    .where(CupoSubjectRow.id == subject_id, CupoSubjectRow.free_json.is_(None))
                    .values(free_json=json.dumps(free))
                )
            existing = await session.scalar(
                select(CupoWatchRow.id).where(
                    CupoWatchRow.user_id == user_id,
                    CupoWatchRow.subject_id == subject_id,
                    CupoWatchRow.target == target,
                )
            )
            if existing is not None:
                await session.execute(
                    update(CupoWatchRow)
                    .where(CupoWatchRow.id == existing)
                    .values(expires_ts=expires_ts, chat_id=chat_id)
                )
                return int(existing)
            count = await session.scalar(
                select(func.count()).where(CupoWatchRow.user_id == user_id)
            )
            if (count or 0) >= limit:
                raise WatchLimit(limit)
            row = CupoWatchRow(
                user_id=user_id,
                chat_id=chat_id,
                subject_id=subject_id,
                target=target,
                label=label,
                expires_ts=expires_ts,
                created_ts=now_ts,
            )
            session.add(row)
            await session.flush()
            return row.id

    async def remove(self, user_id: int, watch_id: int) -> str | None:
        """The removed watch's label, or None when it was not this user's (or gone)."""
        async with self._sessions.begin() as session:
            label = await session.scalar(
                select(CupoWatchRow.label).where(
                    CupoWatchRow.id == watch_id, CupoWatchRow.user_id == user_id
                )
            )
            if label is None:
                return None
            result = await session.execute(
                delete(CupoWatchRow).where(
                    CupoWatchRow.id == watch_id, CupoWatchRow.user_id == user_id
                )
            )
        return label if rows_affected(result) else None

    async def of_user(self, user_id: int) -> list[WatchRecord]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(CupoWatchRow, CupoSubjectRow)
                .join(CupoSubjectRow, CupoSubjectRow.id == CupoWatchRow.subject_id)
                .where(CupoWatchRow.user_id == user_id)
                .order_by(CupoWatchRow.id)
            )
            return [_record(watch, subject) for watch, subject in rows.all()]

    async def schedule_json(self, user_id: int) -> str | None:
        """The last schedule delivered to the student (anonymised snapshot), if any."""
        async with self._sessions() as session:
            row = await session.get(SnapshotRow, user_id)
        return open_snapshot(self._cipher, row.schedule_json, user_id=user_id) if row else None

    # ---- the poller's side ----------------------------------------------------
    async def claim_due(
        self, now_ts: int, interval: int, lease_seconds: int, limit: int
    ) -> list[SubjectClaim]:
        """Take up to `limit` due, watched, unleased subjects for this round."""
        s = CupoSubjectRow
        watched = exists().where(CupoWatchRow.subject_id == s.id)
        due = and_(
            s.next_poll_ts <= now_ts,
            or_(s.lease_until_ts.is_(None), s.lease_until_ts <= now_ts),
            watched,
        )
        candidates = select(s.id).where(due).order_by(s.next_poll_ts).limit(limit)
        if self._engine.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        # The next round in phase: a subject that missed rounds (the bot was down) is
        # not polled once per missed round, and keeps its place in the spread.
        next_round = s.next_poll_ts + interval * ((now_ts - s.next_poll_ts) // interval + 1)
        statement = (
            update(s)
            .where(s.id.in_(candidates.scalar_subquery()), due)
            .values(
                due_ts=s.next_poll_ts,
                next_poll_ts=next_round,
                lease_until_ts=now_ts + lease_seconds,
            )
            .returning(
                s.id, s.cycle, s.centre, s.clave, s.due_ts, s.next_poll_ts, s.failures, s.free_json
            )
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            rows = (await session.execute(statement)).all()
        return [
            SubjectClaim(
                id=row_id,
                key=SubjectKey(cycle, centre, clave),
                due_ts=int(due_ts or now_ts),
                next_ts=int(next_ts),
                failures=failures,
                free=None if free is None else json.loads(free),
            )
            for row_id, cycle, centre, clave, due_ts, next_ts, failures, free in rows
        ]

    async def watchers(self, subject_id: int, now_ts: int) -> list[Watcher]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    CupoWatchRow.id, CupoWatchRow.user_id, CupoWatchRow.chat_id, CupoWatchRow.target
                )
                .where(CupoWatchRow.subject_id == subject_id, CupoWatchRow.expires_ts > now_ts)
                .order_by(CupoWatchRow.id)
            )
            return [Watcher(*row) for row in rows.all()]

    async def polled(
        self, claim: SubjectClaim, *, now_ts: int, free: dict[str, int], next_ts: int, late: bool
    ) -> None:
        """A successful poll: the new free counts, and the claim released."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(CupoSubjectRow)
                .where(CupoSubjectRow.id == claim.id, CupoSubjectRow.due_ts == claim.due_ts)
                .values(
                    free_json=json.dumps(free),
                    failures=0,
                    last_ok_ts=now_ts,
                    last_error=None,
                    lease_until_ts=None,
                    next_poll_ts=next_ts,
                    late_polls=CupoSubjectRow.late_polls + (1 if late else 0),
                )
            )

    async def failed(self, claim: SubjectClaim, *, error: str, next_ts: int, late: bool) -> None:
        """A failed poll: the free counts stay as they were; the subject backs off."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(CupoSubjectRow)
                .where(CupoSubjectRow.id == claim.id, CupoSubjectRow.due_ts == claim.due_ts)
                .values(
                    failures=CupoSubjectRow.failures + 1,
                    last_error=error[:64],
                    lease_until_ts=None,
                    next_poll_ts=next_ts,
                    late_polls=CupoSubjectRow.late_polls + (1 if late else 0),
                )
            )

    async def put_back(self, claim: SubjectClaim, retry_ts: int) -> None:
        """Not polled after all (polling is paused): due again at `retry_ts`."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(CupoSubjectRow)
                .where(CupoSubjectRow.id == claim.id, CupoSubjectRow.due_ts == claim.due_ts)
                .values(lease_until_ts=None, next_poll_ts=retry_ts)
            )

    async def expire(self, now_ts: int) -> list[WatchRecord]:
        """Delete the watches that ran out, returning them (each to exactly one caller)."""
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    delete(CupoWatchRow)
                    .where(CupoWatchRow.expires_ts <= now_ts)
                    .returning(
                        CupoWatchRow.id,
                        CupoWatchRow.subject_id,
                        CupoWatchRow.target,
                        CupoWatchRow.label,
                        CupoWatchRow.expires_ts,
                        CupoWatchRow.chat_id,
                        CupoWatchRow.user_id,
                    )
                    .execution_options(synchronize_session=False)
                )
            ).all()
            if not rows:
                return []
            subjects = {
                row.id: row
                for row in await session.scalars(
                    select(CupoSubjectRow).where(
                        CupoSubjectRow.id.in_(sorted({r[1] for r in rows}))
                    )
                )
            }
        return [
            WatchRecord(
                id=watch_id,
                key=_key(subjects[subject_id]),
                target=target,
                label=label,
                expires_ts=expires_ts,
                chat_id=chat_id,
                user_id=user_id,
            )
            for watch_id, subject_id, target, label, expires_ts, chat_id, user_id in rows
            if subject_id in subjects
        ]

    async def figures(self) -> WatchFigures:
        s = CupoSubjectRow
        watched = exists().where(CupoWatchRow.subject_id == s.id)
        async with self._sessions() as session:
            subjects, last_ok, late, failing = (
                await session.execute(
                    select(
                        func.count(s.id),
                        func.max(s.last_ok_ts),
                        func.coalesce(func.sum(s.late_polls), 0),
                        func.count(s.last_error),
                    ).where(watched)
                )
            ).one()
            watches = await session.scalar(select(func.count(CupoWatchRow.id)))
        return WatchFigures(
            int(subjects),
            int(watches or 0),
            None if last_ok is None else int(last_ok),
            int(late),
            int(failing),
        )


def _key(row: CupoSubjectRow) -> SubjectKey:
    return SubjectKey(row.cycle, row.centre, row.clave)


def _record(watch: CupoWatchRow, subject: CupoSubjectRow) -> WatchRecord:
    return WatchRecord(
        watch.id,
        _key(subject),
        watch.target,
        watch.label,
        watch.expires_ts,
        watch.chat_id,
        watch.user_id,
    )
