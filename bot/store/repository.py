"""The store's one interface: users, credentials, run records and delivered documents.

Plaintext credentials exist only in the return value of `credentials()`, for the
length of one run; everything written to the database is a Fernet token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.credentials import Credentials, mask_code
from bot.core.records import FlowRun, State, TaskRun, utcnow
from bot.store.crypto import CredentialCipher, CredentialsUndecryptable
from bot.store.db import dialect_insert, session_factory
from bot.store.documents import DeliveredDocument, open_snapshot, record_delivered
from bot.store.friends import forget_friends
from bot.store.grades import ALERTS_KEY_LABEL, rekeyed
from bot.store.models import (
    CalendarLinkRow,
    CredentialRow,
    CupoPrefRow,
    CupoWatchRow,
    DailySentRow,
    DailySettingRow,
    DialogRow,
    DocumentRow,
    FirstCopyRow,
    FlowRunRow,
    FriendNameRow,
    GradeAlertRow,
    GradeWatchRow,
    PlannerPlanRow,
    PlannerPrefRow,
    SnapshotRow,
    StoredGradesRow,
    StoredScheduleRow,
    SubscriptionRow,
    TaskRunRow,
    UserRow,
    WeeklyDeliveryRow,
)


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: int
    chat_id: int
    code_hint: str
    career: str
    career_name: str
    rejected: bool


@dataclass(frozen=True, slots=True)
class StoredCredentials:
    profile: Profile
    credentials: Credentials


class Store:
    """Users and their credentials, run records, delivered documents; forgetting a user and
    rotating keys, which reach every table. The other stores (dialogs, schedules, weekly…) are
    built beside it by `bot.bootstrap.build_stores`, and each service gets the ones it uses."""

    def __init__(self, engine: AsyncEngine, cipher: CredentialCipher) -> None:
        self.engine = engine
        self.cipher = cipher
        self._cipher = cipher
        self._sessions = session_factory(engine)

    async def save_credentials(
        self, user_id: int, chat_id: int, credentials: Credentials, career: str, career_name: str
    ) -> None:
        """Register or re-register: the new pair replaces the old one."""
        now = utcnow()
        async with self._sessions.begin() as session:
            await self._upsert(
                session,
                UserRow,
                {"id": user_id, "chat_id": chat_id, "created_at": now},
                keys=["id"],
                update_columns=["chat_id"],
            )
            await self._upsert(
                session,
                CredentialRow,
                {
                    "user_id": user_id,
                    "code_token": self._cipher.encrypt(credentials.code),
                    "nip_token": self._cipher.encrypt(credentials.nip),
                    "code_hint": mask_code(credentials.code),
                    "career": career,
                    "career_name": career_name,
                    "rejected_at": None,
                    "updated_at": now,
                },
                keys=["user_id"],
                update_columns=[
                    "code_token",
                    "nip_token",
                    "code_hint",
                    "career",
                    "career_name",
                    "rejected_at",
                    "updated_at",
                ],
            )

    async def _credential_row(self, user_id: int) -> tuple[CredentialRow, int] | None:
        async with self._sessions() as session:
            row = await session.execute(
                select(CredentialRow, UserRow.chat_id)
                .join(UserRow, UserRow.id == CredentialRow.user_id)
                .where(CredentialRow.user_id == user_id)
            )
            found = row.first()
        return None if found is None else (found[0], found[1])

    async def profile(self, user_id: int) -> Profile | None:
        found = await self._credential_row(user_id)
        return None if found is None else _profile(*found)

    async def credentials(self, user_id: int) -> StoredCredentials | None:
        found = await self._credential_row(user_id)
        if found is None:
            return None
        credential, chat_id = found
        plain = Credentials(
            code=self._cipher.decrypt(credential.code_token, user_id=user_id),
            nip=self._cipher.decrypt(credential.nip_token, user_id=user_id),
        )
        return StoredCredentials(_profile(credential, chat_id), plain)

    async def set_career(self, user_id: int, career: str, career_name: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(CredentialRow)
                .where(CredentialRow.user_id == user_id)
                .values(career=career, career_name=career_name, updated_at=utcnow())
            )

    async def mark_rejected(self, user_id: int) -> None:
        """SIIAU refused the stored NIP: never try it again until the user re-registers."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(CredentialRow)
                .where(CredentialRow.user_id == user_id)
                .values(rejected_at=utcnow())
            )

    async def record_run(
        self, user_id: int | None, run: FlowRun, *, anonymous_if_missing: bool = False
    ) -> bool:
        """Record a finished run as the user's. Returns False when the user row is gone.

        A user who ran `/olvidar` while the run went on has no row any more: the
        run's record is dropped (False), or, with `anonymous_if_missing` (a first
        registration that failed: no user row yet), kept with no user.
        """
        try:
            await self._insert_run(user_id, run)
        except IntegrityError:
            if user_id is None or await self._user_exists(user_id):
                raise
            if not anonymous_if_missing:
                return False
            await self._insert_run(None, run)
        return True

    async def _insert_run(self, user_id: int | None, run: FlowRun) -> None:
        async with self._sessions.begin() as session:
            session.add(
                FlowRunRow(
                    id=run.id,
                    user_id=user_id,
                    name=run.name,
                    kind=run.kind,
                    state=run.state.value,
                    outcome=run.outcome,
                    error_class=run.error_class,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    duration_ms=run.duration_ms,
                )
            )
            await session.flush()
            session.add_all(
                TaskRunRow(
                    flow_run_id=run.id,
                    position=position,
                    name=task.name,
                    state=task.state.value,
                    attempts=task.attempts,
                    duration_ms=task.duration_ms,
                    error_class=task.error_class,
                )
                for position, task in enumerate(run.tasks)
            )

    async def _user_exists(self, user_id: int) -> bool:
        async with self._sessions() as session:
            return await session.get(UserRow, user_id) is not None

    async def holds_code(self, user_id: int, code: str) -> bool:
        """Whether the user holds a working registration (a NIP SIIAU has not rejected) of `code`."""
        found = await self._credential_row(user_id)
        if found is None or found[0].rejected_at is not None:
            return False
        try:
            return self._cipher.decrypt(found[0].code_token, user_id=user_id) == code
        except CredentialsUndecryptable:
            return False

    async def recent_runs(self, user_id: int, limit: int = 5) -> list[FlowRun]:
        async with self._sessions() as session:
            runs = (
                await session.scalars(
                    select(FlowRunRow)
                    .where(FlowRunRow.user_id == user_id)
                    .order_by(FlowRunRow.started_at.desc())
                    .limit(limit)
                )
            ).all()
            tasks = (
                await session.scalars(
                    select(TaskRunRow)
                    .where(TaskRunRow.flow_run_id.in_([r.id for r in runs]))
                    .order_by(TaskRunRow.position)
                )
            ).all()
        by_run: dict[str, list[TaskRun]] = {}
        for task in tasks:
            by_run.setdefault(task.flow_run_id, []).append(
                TaskRun(
                    name=task.name,
                    state=State(task.state),
                    attempts=task.attempts,
                    duration_ms=task.duration_ms,
                    error_class=task.error_class,
                )
            )
        return [
            FlowRun(
                name=r.name,
                kind=r.kind,
                id=r.id,
                state=State(r.state),
                started_at=_aware(r.started_at),
                finished_at=_aware(r.finished_at) if r.finished_at else None,
                error_class=r.error_class,
                outcome=r.outcome,
                tasks=by_run.get(r.id, []),
            )
            for r in runs
        ]

    async def find_document(self, user_id: int, content_hash: str) -> str | None:
        async with self._sessions() as session:
            file_id: str | None = await session.scalar(
                select(DocumentRow.file_id).where(
                    DocumentRow.user_id == user_id, DocumentRow.content_hash == content_hash
                )
            )
        return file_id

    async def record_delivered(self, user_id: int, document: DeliveredDocument) -> bool:
        """Keep the file id of a sent PDF. False (nothing kept) when the user row is gone."""
        try:
            async with self._sessions.begin() as session:
                await record_delivered(session, self.engine, self._cipher, user_id, document)
        except IntegrityError:
            if await self._user_exists(user_id):
                raise
            return False
        return True

    async def forget(self, user_id: int) -> None:
        """Everything about the user goes: credentials, runs, documents, schedules, the user row."""
        async with self._sessions.begin() as session:
            run_ids = select(FlowRunRow.id).where(FlowRunRow.user_id == user_id)
            await session.execute(delete(TaskRunRow).where(TaskRunRow.flow_run_id.in_(run_ids)))
            await session.execute(delete(DialogRow).where(DialogRow.user_id == user_id))
            for table in (
                FlowRunRow,
                DocumentRow,
                CredentialRow,
                SubscriptionRow,
                WeeklyDeliveryRow,
                SnapshotRow,
                CupoWatchRow,
                CupoPrefRow,
                StoredScheduleRow,
                CalendarLinkRow,
                DailySettingRow,
                DailySentRow,
                StoredGradesRow,
                GradeWatchRow,
                GradeAlertRow,
                PlannerPrefRow,
                PlannerPlanRow,
                FirstCopyRow,
            ):
                await session.execute(delete(table).where(table.user_id == user_id))
            await forget_friends(session, user_id)
            await session.execute(delete(UserRow).where(UserRow.id == user_id))

    async def rotate_keys(self) -> int:
        """Re-encrypt everything under the newest key (`rotate_everything`); returns the
        number of users whose credentials were re-encrypted."""
        return (await self.rotate_everything())["credentials"][0]

    async def rotate_everything(self) -> dict[str, tuple[int, int]]:
        """Re-encrypt every encrypted value under the newest key: stored credentials, the codes
        typed mid-dialog, stored schedules, stored grades and grade alerts, and the last-sent snapshots (a snapshot still in
        plain JSON from before they were sealed is sealed now). Returns (rotated, unreadable)
        rows by table.

        A row no configured key opens is left as it is and counted. When there are rows
        and none opens, nothing is written and `CredentialsUndecryptable` is raised: the
        keys are wrong, and rotating the rest would be rotating nothing.
        """
        counts: dict[str, list[int]] = {
            name: [0, 0]
            for name in (
                "credentials",
                "dialogs",
                "schedules",
                "snapshots",
                "names",
                "grades",
                "grade_alerts",
            )
        }
        first_unreadable: int | None = None

        def rotate(table: str, user_id: int, reseal: Callable[[], None]) -> None:
            nonlocal first_unreadable
            try:
                reseal()
            except CredentialsUndecryptable:
                counts[table][1] += 1
                first_unreadable = user_id if first_unreadable is None else first_unreadable
                return
            counts[table][0] += 1

        cipher = self._cipher
        alerts_key = cipher.derive_key(ALERTS_KEY_LABEL)  # the newest key's, as `GradesStore`'s
        async with self._sessions.begin() as session:
            for credential in (await session.scalars(select(CredentialRow))).all():

                def credential_pair(row: CredentialRow = credential) -> None:
                    code, nip = (
                        cipher.rotate(t, user_id=row.user_id)
                        for t in (row.code_token, row.nip_token)
                    )
                    row.code_token, row.nip_token = code, nip

                rotate("credentials", credential.user_id, credential_pair)
            for dialog in (
                await session.scalars(select(DialogRow).where(DialogRow.code_token.is_not(None)))
            ).all():

                def dialog_code(row: DialogRow = dialog) -> None:
                    assert row.code_token is not None
                    row.code_token = cipher.rotate(row.code_token, user_id=row.user_id)

                rotate("dialogs", dialog.user_id, dialog_code)
            for stored in (await session.scalars(select(StoredScheduleRow))).all():

                def schedule(row: StoredScheduleRow = stored) -> None:
                    row.schedule_token = cipher.rotate(row.schedule_token, user_id=row.user_id)

                rotate("schedules", stored.user_id, schedule)
            for snap in (await session.scalars(select(SnapshotRow))).all():

                def snapshot(row: SnapshotRow = snap) -> None:
                    plain = open_snapshot(cipher, row.schedule_json, user_id=row.user_id)
                    row.schedule_json = cipher.encrypt(plain)

                rotate("snapshots", snap.user_id, snapshot)
            for named in (await session.scalars(select(FriendNameRow))).all():

                def first_name(row: FriendNameRow = named) -> None:
                    row.name_token = cipher.rotate(row.name_token, user_id=row.user_id)

                rotate("names", named.user_id, first_name)
            for grades in (await session.scalars(select(StoredGradesRow))).all():

                def stored_grades(row: StoredGradesRow = grades) -> None:
                    row.grades_token = cipher.rotate(row.grades_token, user_id=row.user_id)

                rotate("grades", grades.user_id, stored_grades)
            for alert in (await session.scalars(select(GradeAlertRow))).all():

                def grade_alert(row: GradeAlertRow = alert) -> None:
                    row.posting_token = cipher.rotate(row.posting_token, user_id=row.user_id)
                    plain = cipher.decrypt(row.posting_token, user_id=row.user_id)
                    row.posting_key = rekeyed(alerts_key, row.user_id, plain) or row.posting_key

                rotate("grade_alerts", alert.user_id, grade_alert)
            rotated = sum(c[0] for c in counts.values())
            if first_unreadable is not None and rotated == 0:
                raise CredentialsUndecryptable(first_unreadable)  # rolls back: nothing written
        return {table: (c[0], c[1]) for table, c in counts.items()}

    async def _upsert(self, session, model, values, *, keys, update_columns) -> None:  # type: ignore[no-untyped-def]
        statement = dialect_insert(self.engine)(model).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in update_columns}
        )
        await session.execute(statement)


def _profile(row: CredentialRow, chat_id: int) -> Profile:
    return Profile(
        user_id=row.user_id,
        chat_id=chat_id,
        code_hint=row.code_hint,
        career=row.career,
        career_name=row.career_name,
        rejected=row.rejected_at is not None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
