"""Registration: the dialog that collects a code and a NIP, the SIIAU check, the career.

The dialog's state lives in the database (`store.dialogs`), not in a process,
so a student whose messages land on different replicas, or who writes across a
restart, carries on where they were. The NIP itself is never part of it: it is
checked with SIIAU while the message that carried it is deleted, then stored
encrypted with the code.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.services.delivery import run_recorded
from bot.services.login_guard import Requester
from bot.services.workflow import ScheduleWorkflow
from bot.siiau.portal import Career
from bot.store.dialogs import Dialog
from bot.store.repository import Store

__all__ = [
    "DIALOG_SECONDS",
    "CancelOutcome",
    "Career",
    "Dialog",
    "NotPrivateChat",
    "RegistrationCancelled",
    "RegistrationService",
]

log = logging.getLogger(__name__)

# A dialog left alone this long is over: a code typed long ago is not waiting for its NIP.
DIALOG_SECONDS = 15 * 60


class RegistrationCancelled(Exception):
    """The student cancelled while SIIAU was verifying: nothing was saved (SIIAU was logged out of)."""


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
        workflow: ScheduleWorkflow,
        *,
        clock: Callable[[], float] = time.time,
        dialog_seconds: float = DIALOG_SECONDS,
    ) -> None:
        self._store = store
        self._workflow = workflow
        self._clock = clock
        self._dialog_seconds = dialog_seconds

    # ---- the dialog ----------------------------------------------------------------
    async def dialog(self, user_id: int) -> Dialog | None:
        """The user's registration dialog in progress, if one is and has not expired."""
        return await self._store.dialogs.get(user_id, self._clock())

    async def save_dialog(self, dialog: Dialog) -> None:
        """Store the dialog's next step; each step gives it a fresh expiry."""
        await self._store.dialogs.put(dialog, self._clock() + self._dialog_seconds)

    async def end_dialog(self, user_id: int) -> None:
        await self._store.dialogs.clear(user_id)

    async def move_dialog(self, dialog: Dialog, expected_step: str) -> bool:
        """Store the dialog's next step only if it is still at `expected_step` (not cancelled)."""
        return await self._store.dialogs.replace_if(dialog, expected_step, self._clock() + self._dialog_seconds)

    async def end_dialog_at(self, user_id: int, step: str) -> bool:
        """End the dialog only if it is at `step`: a newer dialog the student started stays."""
        return await self._store.dialogs.clear_if(user_id, step)

    async def take_expired_dialog(self, user_id: int) -> str | None:
        """The step of the user's expired dialog (then gone), so they can be told it expired."""
        step = await self._store.dialogs.expired_step(user_id, self._clock())
        if step is not None:
            await self._store.dialogs.clear_if(user_id, step)
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
                await self.end_dialog_at(user_id, "career")  # the data is stored with its first career
                return CancelOutcome.ALREADY_SAVED
            if dialog.step == "cancelled":
                return CancelOutcome.CANCELLED_VERIFYING
            await self.end_dialog(user_id)
            return CancelOutcome.CANCELLED
        return CancelOutcome.ALREADY_SAVED

    # ---- registering ---------------------------------------------------------------
    async def register_dialog(self, dialog: Dialog, chat_id: int, nip: str) -> list[Career]:
        """Verify the dialog's code with `nip` and save the pair, unless cancelled meanwhile.

        The dialog must be at "verifying" (see `move_dialog`). SIIAU is logged out
        of either way; a cancelled registration raises `RegistrationCancelled`.
        """
        assert dialog.code is not None
        user_id = dialog.user_id
        _private(user_id, chat_id)
        credentials = Credentials(dialog.code, nip)
        owner = await self._store.holds_code(user_id, credentials.code)  # for the login guard
        with logcontext.bound(user_id=user_id):
            result = await run_recorded(
                self._store, user_id, self._workflow.verify(credentials, Requester(user_id, owner=owner)),
                record_success=False, anonymous_if_new=True,
            )
            if not await self.move_dialog(Dialog(user_id, "saving", rejections=dialog.rejections), "verifying"):
                log.info("registration cancelled during verification; nothing saved")
                await self.end_dialog_at(user_id, "cancelled")
                raise RegistrationCancelled()
        await self._save(user_id, chat_id, credentials, result.careers, result.run)
        return result.careers

    async def register(self, user_id: int, chat_id: int, credentials: Credentials) -> list[Career]:
        """Verify the pair with a real SIIAU login, then store it encrypted."""
        _private(user_id, chat_id)
        owner = await self._store.holds_code(user_id, credentials.code)  # for the login guard
        with logcontext.bound(user_id=user_id):
            result = await run_recorded(
                self._store, user_id, self._workflow.verify(credentials, Requester(user_id, owner=owner)),
                record_success=False, anonymous_if_new=True,
            )
        await self._save(user_id, chat_id, credentials, result.careers, result.run)
        return result.careers

    async def _save(
        self, user_id: int, chat_id: int, credentials: Credentials, careers: list[Career], run: FlowRun
    ) -> None:
        first = careers[0]
        await self._store.save_credentials(user_id, chat_id, credentials, first.code, first.name)
        await self._store.record_run(user_id, run)  # the user exists from here on

    async def choose_career(self, user_id: int, career: Career) -> None:
        await self._store.set_career(user_id, career.code, career.name)


def _private(user_id: int, chat_id: int) -> None:
    if chat_id != user_id:
        raise NotPrivateChat("deliveries go only to the user's private chat")
