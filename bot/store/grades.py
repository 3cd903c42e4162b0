"""Grades at rest: the stored copy (sealed), grade-alert settings with claims, and the alerts' outbox.

A check is claimed like a daily digest: one `UPDATE … RETURNING` picks due students whose lease
is free and leases them (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two ticks or replicas never
check the same student at once. An alert is at least once: its row is written "pending" before
the message goes out and turned "sent" after Telegram took it; pending rows are claimed with a
lease too, so a crash leaves them for the next sender and two senders never hold one at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.records import utcnow
from bot.store.crypto import CredentialCipher, CredentialsUndecryptable
from bot.store.db import dialect_insert, rows_affected, session_factory
from bot.store.leases import lease_due
from bot.store.models import GradeAlertRow, GradeWatchRow, StoredGradesRow, UserRow
from bot.store.owned import write_for_user

PENDING, SENT, SEEN, LOST = "pending", "sent", "seen", "lost"
# What the posting hashes' key is derived under (`CredentialCipher.derive_key`): the store that
# writes them and key rotation, which re-hashes them, must derive the same key.
ALERTS_KEY_LABEL = "horario-bot grade alerts"


def posting_key(key: bytes, user_id: int, posting: str) -> str:
    """The keyed hash that names a posting in the outbox (never its NRC or grade in clear)."""
    return hmac.new(key, f"{user_id}|{posting}".encode(), hashlib.sha256).hexdigest()


def rekeyed(key: bytes, user_id: int, posting_json: str) -> str | None:
    """The row's keyed hash under `key`, from the posting it seals; None when it carries no key.
    Key rotation calls this: a hash left under a retired key would let the next check announce
    every grade again."""
    try:
        found = json.loads(posting_json).get("key")
    except (ValueError, AttributeError):
        return None
    return posting_key(key, user_id, found) if isinstance(found, str) and found else None


@dataclass(frozen=True, slots=True)
class StoredGrades:
    grades_json: str
    content_hash: str
    fetched_ts: int


@dataclass(frozen=True, slots=True)
class GradeWatch:
    enabled: bool
    due_ts: int | None
    last_check_ts: int | None
    last_outcome: str | None
    layout_told: bool


@dataclass(frozen=True, slots=True)
class GradeClaim:
    user_id: int
    chat_id: int
    due_ts: int


@dataclass(frozen=True, slots=True)
class PendingAlert:
    id: int
    user_id: int
    chat_id: int
    posting_json: str


class GradesStore:
    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher, key: bytes) -> None:
        """`key` keys the hash that names a posting (never its NRC or grade in clear)."""
        self._engine = engine
        self._cipher = cipher
        self._key = key
        self._sessions = session_factory(engine)

    # ---- the stored copy -----------------------------------------------------------
    async def save(
        self, user_id: int, grades_json: str, content_hash: str, fetched_ts: int
    ) -> bool:
        """Keep the newest grades read. False when the user is gone; an older read never wins."""
        insert = dialect_insert(self._engine)(StoredGradesRow).values(
            user_id=user_id,
            grades_token=self._cipher.encrypt(grades_json),
            content_hash=content_hash,
            fetched_ts=fetched_ts,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={c: insert.excluded[c] for c in ("grades_token", "content_hash", "fetched_ts")},
            where=StoredGradesRow.fetched_ts <= insert.excluded.fetched_ts,
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def load(self, user_id: int) -> StoredGrades | None:
        async with self._sessions() as session:
            row = await session.get(StoredGradesRow, user_id)
        if row is None:
            return None
        try:
            text = self._cipher.decrypt(row.grades_token, user_id=user_id)
        except CredentialsUndecryptable:
            return None
        return StoredGrades(text, row.content_hash, row.fetched_ts)

    # ---- alert settings and claims ---------------------------------------------------
    async def watch(self, user_id: int) -> GradeWatch | None:
        async with self._sessions() as session:
            row = await session.get(GradeWatchRow, user_id)
        if row is None:
            return None
        return GradeWatch(
            row.enabled, row.due_ts, row.last_check_ts, row.last_outcome, row.layout_told
        )

    async def set_enabled(self, user_id: int, enabled: bool, due_ts: int | None) -> bool:
        values = {
            "enabled": enabled,
            "due_ts": due_ts if enabled else None,
            "lease_ts": None,
            "updated_at": utcnow(),
        }
        insert = dialect_insert(self._engine)(GradeWatchRow).values(
            user_id=user_id, layout_told=False, **values
        )
        statement = insert.on_conflict_do_update(index_elements=["user_id"], set_=values)
        return await write_for_user(self._sessions, user_id, statement)

    async def claim_due(self, now_ts: int, lease_seconds: int, limit: int) -> list[GradeClaim]:
        """Up to `limit` students due by `now_ts` with a free lease, earliest first, leased."""
        if limit <= 0:
            return []
        w = GradeWatchRow
        due = and_(
            w.enabled.is_(True), w.due_ts <= now_ts, or_(w.lease_ts.is_(None), w.lease_ts <= now_ts)
        )
        rows, chats = await lease_due(
            self._engine,
            self._sessions,
            w.user_id,
            due,
            w.due_ts,
            limit,
            {w.lease_ts: now_ts + lease_seconds},
            (w.user_id, w.due_ts),
            chats_of=0,
        )
        return [GradeClaim(u, chats[u], int(d)) for u, d in rows if u in chats and d is not None]

    async def claim_user(
        self, user_id: int, now_ts: int, horizon_ts: int, lease_seconds: int
    ) -> GradeClaim | None:
        """The student's own check, when it is due by `horizon_ts` and nobody holds it: leased."""
        w = GradeWatchRow
        due = and_(
            w.user_id == user_id,
            w.enabled.is_(True),
            w.due_ts <= horizon_ts,
            or_(w.lease_ts.is_(None), w.lease_ts <= now_ts),
        )
        async with self._sessions.begin() as session:
            row = (
                await session.execute(
                    update(w)
                    .where(due)
                    .values(lease_ts=now_ts + lease_seconds)
                    .returning(w.due_ts)
                    .execution_options(synchronize_session=False)
                )
            ).first()
            chat = await session.get(UserRow, user_id) if row is not None else None
        if row is None or row[0] is None or chat is None:
            return None
        return GradeClaim(user_id, chat.chat_id, int(row[0]))

    async def release(
        self,
        claim: GradeClaim,
        next_due_ts: int | None,
        outcome: str,
        checked_ts: int,
        *,
        layout_told: bool | None = None,
    ) -> bool:
        """The check is over: its outcome, the next due time, the lease freed. False when the
        student turned alerts off or on again meanwhile (their setting stands)."""
        values: dict[str, object] = {
            "due_ts": next_due_ts,
            "lease_ts": None,
            "last_check_ts": checked_ts,
            "last_outcome": outcome,
        }
        if layout_told is not None:
            values["layout_told"] = layout_told
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(GradeWatchRow)
                .where(
                    GradeWatchRow.user_id == claim.user_id,
                    GradeWatchRow.due_ts == claim.due_ts,
                    GradeWatchRow.enabled.is_(True),
                )
                .values(values)
            )
        return bool(rows_affected(result))

    async def checked(self, user_id: int, outcome: str, checked_ts: int) -> None:
        """A check that was not a claim (/calificaciones): the last check /estado shows."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(GradeWatchRow)
                .where(GradeWatchRow.user_id == user_id)
                .values(last_check_ts=checked_ts, last_outcome=outcome)
            )

    async def disable(self, user_id: int) -> None:
        """Off, by the bot (a rejected NIP, a chat gone): nothing is claimed for the user any more."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(GradeWatchRow)
                .where(GradeWatchRow.user_id == user_id)
                .values(enabled=False, due_ts=None, lease_ts=None, updated_at=utcnow())
            )

    # ---- the outbox -----------------------------------------------------------------
    def posting_key(self, user_id: int, key: str) -> str:
        return posting_key(self._key, user_id, key)

    def rekeyed(self, user_id: int, posting_json: str) -> str | None:
        """The row's keyed hash under this store's (newest) key (see `rekeyed`)."""
        return rekeyed(self._key, user_id, posting_json)

    async def record(
        self, user_id: int, postings: list[tuple[str, str]], state: str, now_ts: int
    ) -> int:
        """Write (key, posting JSON) pairs not known yet, in `state`; how many were new.
        With `state` "seen", a pending one becomes seen too (the student saw it first)."""
        if not postings:
            return 0
        new = 0
        try:
            async with self._sessions.begin() as session:
                for key, posting_json in postings:
                    insert = dialect_insert(self._engine)(GradeAlertRow).values(
                        user_id=user_id,
                        posting_key=self.posting_key(user_id, key),
                        posting_token=self._cipher.encrypt(posting_json),
                        state=state,
                        created_ts=now_ts,
                    )
                    new += rows_affected(
                        await session.execute(
                            insert.on_conflict_do_nothing(index_elements=["user_id", "posting_key"])
                        )
                    )
                    if state == SEEN:
                        await session.execute(
                            update(GradeAlertRow)
                            .where(
                                GradeAlertRow.user_id == user_id,
                                GradeAlertRow.state == PENDING,
                                GradeAlertRow.posting_key == self.posting_key(user_id, key),
                            )
                            .values(state=SEEN)
                        )
        except IntegrityError:  # the user row is gone (/olvidar during a check)
            return 0
        return new

    async def claim_pending(
        self, now_ts: int, lease_seconds: int, limit: int, user_id: int | None = None
    ) -> list[PendingAlert]:
        """Pending alerts with a free lease, oldest first, leased to the caller."""
        a = GradeAlertRow
        free = and_(a.state == PENDING, or_(a.lease_ts.is_(None), a.lease_ts <= now_ts))
        if user_id is not None:
            free = and_(free, a.user_id == user_id)
        rows, chats = await lease_due(
            self._engine,
            self._sessions,
            a.id,
            free,
            a.id,
            limit,
            {a.lease_ts: now_ts + lease_seconds},
            (a.id, a.user_id, a.posting_token),
            chats_of=1,
        )
        if not rows:
            return []
        alerts, unreadable = [], []
        for alert_id, user, token in sorted(rows, key=lambda row: int(row[0])):  # oldest first
            try:
                text = self._cipher.decrypt(token, user_id=user)
                alerts.append(PendingAlert(alert_id, user, chats[user], text))
            except (CredentialsUndecryptable, KeyError):
                unreadable.append(alert_id)  # no configured key opens it, or its user is gone
        if unreadable:  # never claimed again: nothing could ever send it
            async with self._sessions.begin() as session:
                await session.execute(
                    update(GradeAlertRow).where(GradeAlertRow.id.in_(unreadable)).values(state=LOST)
                )
        return alerts

    async def settle(self, alert_id: int, state: str) -> None:
        """ "sent" once Telegram took it; "pending" frees the lease for another try."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(GradeAlertRow)
                .where(GradeAlertRow.id == alert_id)
                .values(state=state, lease_ts=None)
            )

    async def counts(self, user_id: int | None = None) -> dict[str, int]:
        """Alerts by state (tests, the bench, operators)."""
        query = select(GradeAlertRow.state, func.count()).group_by(GradeAlertRow.state)
        if user_id is not None:
            query = query.where(GradeAlertRow.user_id == user_id)
        async with self._sessions() as session:
            return {str(row[0]): int(row[1]) for row in await session.execute(query)}
