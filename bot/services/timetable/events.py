"""What a delivery tells the chat layer, in order, as typed events.

`DeliveryService.deliver` answers /horario as an async iterator of these events; the
handler `match`es on them and is the only code that talks to Telegram. A run reads:

    SavedCopy?  Stage("queued")?  Stage("login")  Stage("fetch")  Stage("pdf")?  Ready?  verdict

- `SavedCopy`: the last schedule read, sent at once while SIIAU is asked (on demand only).
- `Stage`: the workflow reached a stage; the run waits until the consumer asks for more.
- `Ready`: the PDF (or Telegram's file id of it) to send now, while SIIAU's logout may
  still be under way; absent when SIIAU confirms the copy the student was shown.
- the verdict, once the run is over and recorded: `Unchanged`, `Changed` or `Failed`
  (which may come after any stage, or alone when the gate turns the run away).

Telegram types stop below this module: documents are bytes or a kept file id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.records import FlowRun
from bot.schedule.diff import CourseChange, diff
from bot.schedule.model import Schedule


@dataclass(frozen=True, slots=True)
class Stage:
    """The workflow reached `name`: "queued", "login", "fetch" or "pdf"."""

    name: str


@dataclass(frozen=True, slots=True)
class SavedCopy:
    """The last schedule read for the student and the PDF of it Telegram already holds
    (`document_ref`), or, right after registration, the PDF registration rendered (`pdf`),
    which the first /horario uploads at once."""

    schedule: Schedule
    read_at: datetime
    document_ref: str | None
    pdf: bytes | None = None

    @property
    def document(self) -> str | bytes:
        assert self.document_ref is not None or self.pdf is not None
        return self.document_ref if self.document_ref is not None else self.pdf or b""

    @property
    def filename(self) -> str:
        return f"horario_{self.schedule.term}.pdf"


@dataclass(frozen=True, slots=True)
class Delivery:
    schedule: Schedule
    pdf: bytes | None
    document_ref: str | None
    run: FlowRun
    user_id: int
    chat_id: int
    shown_copy: SavedCopy | None = None  # what the student was shown while SIIAU answered

    @property
    def filename(self) -> str:
        return f"horario_{self.schedule.term}.pdf"

    @property
    def same_as_shown(self) -> bool:
        return (
            self.shown_copy is not None
            and self.shown_copy.schedule.content_hash == self.schedule.content_hash
        )

    @property
    def changes_since_shown(self) -> list[CourseChange] | None:
        return None if self.shown_copy is None else diff(self.shown_copy.schedule, self.schedule)


@dataclass(frozen=True, slots=True)
class Ready:
    """A PDF to send now: `delivery.pdf`, or `delivery.document_ref` that Telegram holds.
    `DeliveryService.render_again` hands back a `Ready` too, with the PDF made again."""

    delivery: Delivery


@dataclass(frozen=True, slots=True)
class Unchanged:
    """SIIAU's schedule is the saved copy the student was shown: nothing else was sent."""

    delivery: Delivery


@dataclass(frozen=True, slots=True)
class Changed:
    """The student was handed (`Ready`) a schedule other than the one they were shown;
    `changes` says what changed since that copy, None when no copy was shown."""

    delivery: Delivery
    changes: list[CourseChange] | None


@dataclass(frozen=True, slots=True)
class Failed:
    """The delivery failed with `error`, a domain error (`AlreadyRunning`, `RateLimited`,
    `NotRegistered`, `CredentialsRejected`, `InvalidCredentials`, `SiiauUnavailable`…)."""

    error: Exception


Verdict = Unchanged | Changed | Failed
Event = Stage | SavedCopy | Ready | Verdict


class Abandoned(Exception):
    """The consumer stopped listening while the run waited for it: the run fails with this,
    after its logout, and is recorded."""
