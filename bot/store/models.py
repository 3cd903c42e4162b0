"""Tables. Secrets are stored only as Fernet tokens; codes are shown only as hints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column


class Base(DeclarativeBase):
    pass


def _owned_by_user(*, primary_key: bool = False, index: bool = False) -> MappedColumn[int]:
    """A reference to the user that owns the row; deleting the user deletes the row."""
    return mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=primary_key, index=index
    )


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CredentialRow(Base):
    __tablename__ = "credentials"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    code_token: Mapped[str] = mapped_column(Text)
    nip_token: Mapped[str] = mapped_column(Text)
    code_hint: Mapped[str] = mapped_column(String(16))
    career: Mapped[str] = mapped_column(String(8))
    career_name: Mapped[str] = mapped_column(String(200))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FlowRunRow(Base):
    __tablename__ = "flow_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = _owned_by_user(index=True)  # nullable: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_class: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)


class TaskRunRow(Base):
    __tablename__ = "task_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_run_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("flow_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DocumentRow(Base):
    """A PDF Telegram already holds: same content hash, same file_id, no upload."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("user_id", "content_hash", name="uq_documents_user_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = _owned_by_user(index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(255))
    term: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubscriptionRow(Base):
    """A weekly delivery. Times are epoch seconds (UTC) so claims are plain arithmetic on any DB."""

    __tablename__ = "subscriptions"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday … 5 = Saturday
    hour: Mapped[int] = mapped_column(Integer)
    only_if_changed: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    paused_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    next_due_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    pending_due_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lease_until_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WeeklyDeliveryRow(Base):
    """What happened to a user's weekly delivery: at most one row per user and ISO week."""

    __tablename__ = "weekly_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "iso_week", name="uq_weekly_user_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = _owned_by_user(index=True)
    iso_week: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(24))
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SnapshotRow(Base):
    """The last schedule sent to the user, to say what changed next time."""

    __tablename__ = "schedule_snapshots"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    schedule_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DialogRow(Base):
    """A registration dialog in progress, shared by every replica. The code is encrypted."""

    __tablename__ = "dialogs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(16))
    code_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    careers_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_ts: Mapped[int] = mapped_column(BigInteger)


class LeaseRow(Base):
    """A named lease (a user's running /horario, a SIIAU session slot) that expires by itself."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    until_ts: Mapped[float] = mapped_column(Float)


class RateEventRow(Base):
    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at_ts: Mapped[float] = mapped_column(Float)


class BreakerRow(Base):
    """The SIIAU circuit breaker that every replica reads and writes."""

    __tablename__ = "breaker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    failures: Mapped[int] = mapped_column(Integer)
    opened_until_ts: Mapped[float | None] = mapped_column(Float, nullable=True)
    times_opened: Mapped[int] = mapped_column(Integer)


class CupoSubjectRow(Base):
    """One (cycle, centre, clave) polled for seats, however many students watch it.

    `free_json` is the last free count by NRC (null until the first look): an alert
    is a change from 0 to 1 or more. A claim moves `next_poll_ts` a round ahead and
    sets a lease in one UPDATE, so no two pollers take it in the same round.
    """

    __tablename__ = "cupo_subjects"
    __table_args__ = (UniqueConstraint("cycle", "centre", "clave", name="uq_cupo_subjects_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(8))
    centre: Mapped[str] = mapped_column(String(4))
    clave: Mapped[str] = mapped_column(String(12))
    next_poll_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    due_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lease_until_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    late_polls: Mapped[int] = mapped_column(Integer, default=0)
    last_ok_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(64), nullable=True)
    free_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class CupoWatchRow(Base):
    """A student's seat alert: one section (`target` = NRC), any section ("*") or
    the sections that fit their schedule ("fit"). Registration is not needed."""

    __tablename__ = "cupo_watches"
    __table_args__ = (
        UniqueConstraint("user_id", "subject_id", "target", name="uq_cupo_watches_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    subject_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cupo_subjects.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(32))  # e.g. "I5890 D11", for the list and notices
    expires_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    created_ts: Mapped[int] = mapped_column(BigInteger)


class CupoPrefRow(Base):
    """The centre a student asked about last: `/cupos CLAVE` without a centre uses it."""

    __tablename__ = "cupo_prefs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    centre: Mapped[str] = mapped_column(String(4))


class PlannerPrefRow(Base):
    """The centre `/armar` uses when none is typed (no foreign key: no registration needed)."""

    __tablename__ = "planner_prefs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    centre: Mapped[str] = mapped_column(String(4))


class PlannerPlanRow(Base):
    """What an `/armar` answer was made from (the words, centre and cycle), so its buttons
    work on any replica and after a restart: the plan is made again from it."""

    __tablename__ = "planner_plans"

    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_ts: Mapped[int] = mapped_column(BigInteger, index=True)


class ProgressRow(Base):
    """A progress message ("Verificando…", "Descargando…") not finished yet, to finish after a crash."""

    __tablename__ = "progress_messages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    created_ts: Mapped[int] = mapped_column(BigInteger)


class LoginGuardRow(Base):
    """A code's SIIAU logins in a row that may have been rejected. The code is a keyed hash."""

    __tablename__ = "login_guard"

    code_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    consecutive: Mapped[int] = mapped_column(Integer, default=0)
    updated_ts: Mapped[float] = mapped_column(Float)


class LoginEventRow(Base):
    """One login sent for a code (keyed hash): when, by its owner or not, and how it ended."""

    __tablename__ = "login_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_key: Mapped[str] = mapped_column(String(64), index=True)
    owner: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # sent accepted rejected unanswered answered locked cleared
    at_ts: Mapped[float] = mapped_column(Float)


class RejectedPairRow(Base):
    """A code/NIP pair SIIAU rejected, as a keyed hash: never sent again."""

    __tablename__ = "rejected_pairs"

    pair_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at_ts: Mapped[float] = mapped_column(Float)


class HeartbeatRow(Base):
    """Written by /healthz: proof that the database takes writes."""

    __tablename__ = "ops_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at_ts: Mapped[float] = mapped_column(Float)


class StoredScheduleRow(Base):
    """The student's schedule as last read from SIIAU, for everyday answers without a login.

    It holds their name and courses, so it is a Fernet token like the credentials.
    """

    __tablename__ = "stored_schedules"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    schedule_token: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_ts: Mapped[int] = mapped_column(BigInteger)


class CalendarLinkRow(Base):
    """A student's live calendar link: only the SHA-256 of its token, never the token."""

    __tablename__ = "calendar_links"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_calendar_links_token_hash"),)

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_ts: Mapped[int] = mapped_column(BigInteger)


class DailySettingRow(Base):
    """A student's morning digest and class reminders, and when each is next due.

    Times are epoch seconds (UTC). A `*_lease_ts` in the future means a tick holds the claim.
    """

    __tablename__ = "daily_settings"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    digest_hour: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no digest
    digest_due_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    digest_lease_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reminder_minutes: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )  # None: no reminders
    reminder_due_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    reminder_lease_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DailySentRow(Base):
    """One row per digest (user, local day) and per reminder (user, class, local day), written
    before the message is sent: the unique key makes each at most once, across replicas.

    `slot` is '' for a digest and a keyed hash of the class for a reminder (never its NRC).
    """

    __tablename__ = "daily_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "day", "slot", name="uq_daily_sent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = _owned_by_user(index=True)
    kind: Mapped[str] = mapped_column(String(8))  # digest | reminder
    day: Mapped[str] = mapped_column(String(10))  # local date, ISO
    slot: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))


class LoginPathRow(Base):
    """The SIIAU login path that worked ("portal" or "direct") and since when: replicas share it."""

    __tablename__ = "login_paths"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # one row per SIIAU deployment
    path: Mapped[str] = mapped_column(String(16))
    since_ts: Mapped[float] = mapped_column(Float)


class StoredGradesRow(Base):
    """The student's grades as last read from SIIAU (kárdex, promedio, boleta), sealed like the
    stored schedule: a Fernet token of the JSON."""

    __tablename__ = "stored_grades"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    grades_token: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_ts: Mapped[int] = mapped_column(BigInteger)


class GradeWatchRow(Base):
    """Grade alerts for one student: on or off, when the next check is due and who holds it
    (`lease_ts`), and what the last check found (for /estado)."""

    __tablename__ = "grade_watches"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    due_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    lease_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_check_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    layout_told: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GradeAlertRow(Base):
    """One grade posting per student: written "pending" before its message goes out, "sent"
    once Telegram took it, "seen" when the student saw it in /calificaciones first. The unique
    key (student, keyed hash of nrc·kind·grade) makes each posting announced at most once per
    state change; `lease_ts` keeps two senders off the same pending row."""

    __tablename__ = "grade_alerts"
    __table_args__ = (UniqueConstraint("user_id", "posting_key", name="uq_grade_alerts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = _owned_by_user(index=True)
    posting_key: Mapped[str] = mapped_column(String(64))
    posting_token: Mapped[str] = mapped_column(Text)  # sealed: subject, kind and grade
    state: Mapped[str] = mapped_column(String(8), index=True)  # pending | sent | seen
    lease_ts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_ts: Mapped[int] = mapped_column(BigInteger)


class ErasureRow(Base):
    """When a student was erased (`/olvidar`), so a send from work begun before it is dropped
    on every replica. Keyed by an HMAC of the user id, never the id; pruned after a day."""

    __tablename__ = "erasures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class RefreshBudgetRow(Base):
    """The last schedule refresh a trigger the student did not type (the calendar feed, a digest)
    started for them, and whether it failed: at most one per `SCHEDULE_MAX_AGE_DAYS`, and
    one a day after a failure, across restarts and replicas."""

    __tablename__ = "refresh_budget"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    tried_ts: Mapped[int] = mapped_column(BigInteger)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)


class FriendInviteRow(Base):
    """A student's friend invite link: only the SHA-256 of its token, never the token."""

    __tablename__ = "friend_invites"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_friend_invites_token_hash"),)

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_ts: Mapped[int] = mapped_column(BigInteger)


class FriendNameRow(Base):
    """The first name a student's friends and groups see, sealed like the rest of their data."""

    __tablename__ = "friend_names"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    name_token: Mapped[str] = mapped_column(Text)
    updated_ts: Mapped[int] = mapped_column(BigInteger)


class FriendshipRow(Base):
    """One direction of a mutual friendship; both rows exist or neither (written together)."""

    __tablename__ = "friendships"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    friend_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_ts: Mapped[int] = mapped_column(BigInteger)


class FriendPendingRow(Base):
    """An invitation opened and not yet answered. The invitee may not be registered yet, so
    `invitee_id` (a Telegram user id) has no foreign key; the inviter's row owns it."""

    __tablename__ = "friend_pending"

    invitee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    inviter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    created_ts: Mapped[int] = mapped_column(BigInteger)


class GroupShareRow(Base):
    """A student's free time shared with a group chat: asked (`consented` false) or agreed."""

    __tablename__ = "group_shares"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = _owned_by_user(primary_key=True, index=True)
    consented: Mapped[bool] = mapped_column(Boolean)
    created_ts: Mapped[int] = mapped_column(BigInteger)
    checked_ts: Mapped[int] = mapped_column(BigInteger)  # membership last confirmed


class PortalShortcutRow(Base):
    """Whether SIIAU answers the schedule URL without the menu walk, per login path, and since
    when (epoch seconds): replicas share the finding, rechecked daily (issue 19)."""

    __tablename__ = "portal_shortcuts"

    path: Mapped[str] = mapped_column(String(16), primary_key=True)  # "portal" or "direct"
    works: Mapped[bool] = mapped_column(Boolean)
    since_ts: Mapped[float] = mapped_column(Float)


class FirstCopyRow(Base):
    """The PDF registration rendered in its own SIIAU session, until Telegram holds it: the
    first /horario uploads it at once (then it goes). A Fernet token: it shows the schedule."""

    __tablename__ = "first_copies"

    user_id: Mapped[int] = _owned_by_user(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    pdf_token: Mapped[str] = mapped_column(Text)
    created_ts: Mapped[int] = mapped_column(BigInteger)
