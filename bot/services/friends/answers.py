"""What the friends service hands the chat layer: typed outcomes, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.schedule.free_time import FreeDay, SharedClass


@dataclass(frozen=True, slots=True)
class Friend:
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class InviteLink:
    token: str | None  # a link made now (shown this once); None: the student has one already
    since: datetime | None  # when the existing one was made


class Opened(StrEnum):
    ASK = "ask"  # a registered student: ask Sí/No
    REGISTER_FIRST = "register_first"  # not registered: the invitation waits
    INVALID = "invalid"  # forged, malformed or revoked
    OWN = "own"
    ALREADY = "already"  # already friends (a link opened twice)


@dataclass(frozen=True, slots=True)
class OpenedInvite:
    outcome: Opened
    inviter: Friend | None = None


class Answered(StrEnum):
    FRIENDS = "friends"
    DECLINED = "declined"
    STALE = "stale"  # no such invitation for this student (forged, answered, or the inviter left)
    REVOKED = "revoked"  # the inviter made a new link since
    ALREADY = "already"
    FULL = "full"
    REGISTER_FIRST = "register_first"


@dataclass(frozen=True, slots=True)
class AnsweredInvite:
    outcome: Answered
    inviter: Friend | None = None


@dataclass(frozen=True, slots=True)
class Together:
    """A class the student takes with friends (private answers only)."""

    shared: SharedClass
    with_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FreeTime:
    """Common free windows of `names` (and the student, in private), day by day."""

    names: tuple[str, ...]
    days: tuple[FreeDay, ...]
    together: tuple[Together, ...] = ()
    without_schedule: tuple[
        str, ...
    ] = ()  # friends or members with no stored schedule: not counted
    oldest: datetime | None = None  # set when a schedule used is older than SCHEDULE_MAX_AGE_DAYS
    only: int | None = None  # the one friend asked about (`/libres NOMBRE`), if any
    out_of_cycle: bool = False  # a schedule's cycle ended or has not begun: its weekly pattern used


class FreeRefusal(StrEnum):
    NO_SCHEDULE = "no_schedule"  # the student has no stored schedule yet
    NOT_REGISTERED = "not_registered"
    NO_FRIENDS = "no_friends"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    NONE_STORED = "none_stored"  # none of the friends asked about has a stored schedule
    TOO_FEW = "too_few"  # a group with fewer than 2 sharing members with a schedule


@dataclass(frozen=True, slots=True)
class FreeRefused:
    reason: FreeRefusal
    matches: tuple[Friend, ...] = field(default_factory=tuple)
    sharing: int = 0
