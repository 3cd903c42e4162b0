"""Registration: the dialog that collects a code and a NIP, the SIIAU check, the career.

The dialog's state lives in the database (`DialogStore`), not in a process,
so a student whose messages land on different replicas, or who writes across a
restart, carries on where they were. The NIP itself is never part of it: it is
checked with SIIAU while the message that carried it is deleted, then stored
encrypted with the code.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.core.records import utcnow
from bot.schedule import codec
from bot.services.runtime.login_guard import Requester
from bot.services.runtime.workflow import FlowResult, ScheduleWorkflow
from bot.services.timetable.delivery import run_recorded
from bot.siiau.portal import Career
from bot.store.dialogs import Dialog, DialogStore
from bot.store.first_copies import FirstCopyStore
from bot.store.repository import Store
from bot.store.schedules import ScheduleStore

__all__ = [
    "DIALOG_SECONDS",
    "CancelOutcome",
    "Career",
    "Dialog",
    "NotPrivateChat",
    "Registered",
    "RegistrationCancelled",
    "RegistrationService",
]

log = logging.getLogger(__name__)

# A dialog left alone this long is over: a code typed long ago is not waiting for its NIP.
DIALOG_SECONDS = 15 * 60


class RegistrationCancelled(Exception):
    """The student cancelled while SIIAU was verifying: nothing was saved (SIIAU was logged out of)."""


@dataclass(frozen=True, slots=True)
class Registered:
    """What a registration saved: the careers SIIAU listed, the one stored (with the name
    the schedule page gave it, when it was read), and whether the first schedule is stored."""

    careers: list[Career]
    career: Career
    schedule_stored: bool
    # Why the first schedule read failed, if it did: the registration stands, and the chat
    # layer tells the operator when SIIAU's page changed.
    first_read_error: Exception | None = None


# SIIAU accepted the NIP: the student can hear it now, while the rest goes on.
Accepted = Callable[[], Awaitable[None]]
# The careers are known and the pair is saved (with the first career): ask which one, if several.
CareersKnown = Callable[[list[Career]], Awaitable[None]]


class NotPrivateChat(ValueError):
    """Deliveries go only to the user's private chat, whose id is the user's id."""


class CancelOutcome(enum.Enum):
    NOTHING = "nothing"  # no dialog in progress
    NOTHING_REGISTERED = "nothing_registered"  # no dialog, and the user's data is stored
    CANCELLED = "cancelled"  # a dialog before the NIP was sent: nothing saved
    CANCELLED_VERIFYING = "cancelled_verifying"  # SIIAU is verifying: its answer will not be saved
    ALREADY_SAVED = "already_saved"  # too late: SIIAU accepted and the data is stored


class RegistrationService:
    def __init__(
        self,
        store: Store,
        dialogs: DialogStore,
        schedules: ScheduleStore,
        first_copies: FirstCopyStore,
        workflow: ScheduleWorkflow,
        *,
        clock: Callable[[], float] = time.time,
        dialog_seconds: float = DIALOG_SECONDS,
    ) -> None:
        """`store`: users, credentials, runs; `dialogs`: the dialog in progress; `schedules`
        and `first_copies`: the first schedule read and its PDF, kept for the first /horario."""
        self._store = store
        self._dialogs = dialogs
        self._schedules = schedules
        self._first_copies = first_copies
        self._workflow = workflow
        self._clock = clock
        self._dialog_seconds = dialog_seconds
        self._sessions: dict[
            int, asyncio.Event
        ] = {}  # set when the user's registration session is over

    # ---- the dialog ----------------------------------------------------------------
    async def dialog(self, user_id: int) -> Dialog | None:
        """The user's registration dialog in progress, if one is and has not expired."""
        return await self._dialogs.get(user_id, self._clock())

    async def save_dialog(self, dialog: Dialog) -> None:
        """Store the dialog's next step; each step gives it a fresh expiry."""
        await self._dialogs.put(dialog, self._clock() + self._dialog_seconds)

    async def end_dialog(self, user_id: int) -> None:
        await self._dialogs.clear(user_id)

    async def move_dialog(self, dialog: Dialog, expected_step: str) -> bool:
        """Store the dialog's next step only if it is still at `expected_step` (not cancelled)."""
        return await self._dialogs.replace_if(
            dialog, expected_step, self._clock() + self._dialog_seconds
        )

    async def end_dialog_at(self, user_id: int, step: str) -> bool:
        """End the dialog only if it is at `step`: a newer dialog the student started stays."""
        return await self._dialogs.clear_if(user_id, step)

    async def take_expired_dialog(self, user_id: int) -> str | None:
        """The step of the user's expired dialog (then gone), so they can be told it expired."""
        step = await self._dialogs.expired_step(user_id, self._clock())
        if step is not None:
            await self._dialogs.clear_if(user_id, step)
        return step

    async def cancel(self, user_id: int) -> CancelOutcome:
        """Cancel the dialog, or say plainly what can no longer be cancelled.

        While SIIAU verifies, the dialog is at "verifying": cancelling moves it to
        "cancelled", and `register_dialog` saves only if it can still move it from
        "verifying" to "saving". Whichever comes first wins, on any replica.
        """
        for _ in range(3):
            dialog = await self.dialog(user_id)
            if dialog is None:
                if await self._store.profile(user_id) is not None:
                    return CancelOutcome.NOTHING_REGISTERED
                return CancelOutcome.NOTHING
            if dialog.step == "verifying":
                if await self.move_dialog(Dialog(user_id, "cancelled"), "verifying"):
                    return CancelOutcome.CANCELLED_VERIFYING
                continue  # the verification finished meanwhile: look again
            if dialog.step in ("saving", "career"):
                await self.end_dialog_at(
                    user_id, "career"
                )  # the data is stored with its first career
                return CancelOutcome.ALREADY_SAVED
            if dialog.step == "cancelled":
                return CancelOutcome.CANCELLED_VERIFYING
            await self.end_dialog(user_id)
            return CancelOutcome.CANCELLED
        return CancelOutcome.ALREADY_SAVED

    # ---- registering ---------------------------------------------------------------
    async def register_dialog(
        self,
        dialog: Dialog,
        chat_id: int,
        nip: str,
        *,
        on_accepted: Accepted | None = None,
        on_careers: CareersKnown | None = None,
        read_schedule: bool = False,
    ) -> Registered:
        """Verify the dialog's code with `nip` and save the pair, unless cancelled meanwhile.

        The dialog must be at "verifying" (see `move_dialog`). `on_accepted` hears SIIAU's
        verdict the moment it comes; the pair is saved as soon as the careers are known, and
        `on_careers` hears them then. With `read_schedule` and one career, the schedule is read
        in the same SIIAU session (before its logout), rendered, and stored with its PDF, so the
        first /horario needs no second login. SIIAU is logged out of either way; a cancelled
        registration raises `RegistrationCancelled`.
        """
        assert dialog.code is not None
        user_id = dialog.user_id
        _private(user_id, chat_id)
        credentials = Credentials(dialog.code, nip)
        saved: list[bool] = []

        async def careers_known(careers: list[Career]) -> Career | None:
            moved = await self.move_dialog(
                Dialog(user_id, "saving", rejections=dialog.rejections), "verifying"
            )
            if not moved:
                return None  # cancelled while SIIAU verified: nothing is saved, nothing more read
            await self._store.save_credentials(
                user_id, chat_id, credentials, careers[0].code, careers[0].name
            )
            saved.append(True)
            if on_careers is not None:
                await on_careers(careers)
            return careers[0] if read_schedule and len(careers) == 1 else None

        with logcontext.bound(user_id=user_id):
            result = await self._verify(user_id, credentials, on_accepted, careers_known)
            if not saved:
                log.info("registration cancelled during verification; nothing saved")
                await self.end_dialog_at(user_id, "cancelled")
                raise RegistrationCancelled()
            return await self._keep(user_id, result)

    async def register(self, user_id: int, chat_id: int, credentials: Credentials) -> list[Career]:
        """Verify the pair with a real SIIAU login, then store it encrypted."""
        _private(user_id, chat_id)
        with logcontext.bound(user_id=user_id):
            result = await self._verify(user_id, credentials, None, None)
            first = result.careers[0]
            await self._store.save_credentials(
                user_id, chat_id, credentials, first.code, first.name
            )
            await self._keep(user_id, result)
        return result.careers

    async def _verify(
        self,
        user_id: int,
        credentials: Credentials,
        on_accepted: Accepted | None,
        on_careers: Callable[[list[Career]], Awaitable[Career | None]] | None,
    ) -> FlowResult:
        owner = await self._store.holds_code(user_id, credentials.code)  # for the login guard
        told: list[bool] = []

        async def accepted() -> None:
            if on_accepted is not None and not told:  # once, even if the login is tried again
                told.append(True)
                await on_accepted()

        session = self._sessions[user_id] = asyncio.Event()
        try:
            return await run_recorded(
                self._store,
                user_id,
                self._workflow.verify(
                    credentials,
                    Requester(user_id, owner=owner),
                    on_accepted=accepted,
                    on_careers=on_careers,
                ),
                record_success=False,
                anonymous_if_new=True,
            )
        finally:
            session.set()
            if self._sessions.get(user_id) is session:
                del self._sessions[user_id]

    async def _keep(self, user_id: int, result: FlowResult) -> Registered:
        """Record the run; store the schedule read in the registration's session, and its PDF.
        The career's name comes from the schedule page's student block when the menu gave none."""
        career = result.careers[0]
        schedule = result.schedule
        stored = False
        if schedule is not None and schedule.courses and schedule.career == career.code:
            if career.name == career.code and schedule.career_name:
                career = Career(career.code, schedule.career_name)
                await self._store.set_career(user_id, career.code, career.name)
            stored = await self._store_first_copy(user_id, result)
        await self._store.record_run(user_id, result.run)  # the user exists from here on
        return Registered(result.careers, career, stored, result.first_read_error)

    async def _store_first_copy(self, user_id: int, result: FlowResult) -> bool:
        """The schedule for everyday answers, and the PDF the first /horario uploads at once.
        Failing to keep them costs only that first answer's speed."""
        schedule, pdf = result.schedule, result.pdf
        assert schedule is not None
        try:
            kept = await self._schedules.save(
                user_id, codec.dumps(schedule), schedule.content_hash, int(utcnow().timestamp())
            )
            if kept and pdf is not None:
                kept = await self._first_copies.save(user_id, schedule.content_hash, pdf)
            return kept and pdf is not None
        except Exception as error:  # noqa: BLE001 - the registration stands without it
            log.error(
                "could not store the first schedule user=%s error=%s", user_id, type(error).__name__
            )
            return False

    async def choose_career(self, user_id: int, career: Career) -> None:
        """Store the student's choice, once the registration's SIIAU session is over (a read of
        the chosen career would otherwise log in beside it, and SIIAU allows one session)."""
        session = self._sessions.get(user_id)
        if session is not None:
            await session.wait()
        await self._store.set_career(user_id, career.code, career.name)


def _private(user_id: int, chat_id: int) -> None:
    if chat_id != user_id:
        raise NotPrivateChat("deliveries go only to the user's private chat")
