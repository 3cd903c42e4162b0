"""Registration: the dialog that collects a code and a NIP, the SIIAU check, the career.

The dialog's state lives in the database (`store.dialogs`), not in a process,
so a student whose messages land on different replicas, or who writes across a
restart, carries on where they were. The NIP itself is never part of it: it is
checked with SIIAU while the message that carried it is deleted, then stored
encrypted with the code.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.services.delivery import run_recorded
from bot.services.login_guard import Requester
from bot.services.workflow import ScheduleWorkflow
from bot.siiau.portal import Career
from bot.store.dialogs import Dialog
from bot.store.repository import Store

__all__ = ["DIALOG_SECONDS", "Career", "Dialog", "RegistrationService"]

# A dialog left alone this long is over: a code typed long ago is not waiting for its NIP.
DIALOG_SECONDS = 15 * 60


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

    # ---- registering ---------------------------------------------------------------
    async def register(self, user_id: int, chat_id: int, credentials: Credentials) -> list[Career]:
        """Verify the pair with a real SIIAU login, then store it encrypted."""
        owner = await self._store.holds_code(user_id, credentials.code)  # for the login guard
        with logcontext.bound(user_id=user_id):
            result = await run_recorded(
                self._store, user_id, self._workflow.verify(credentials, Requester(user_id, owner=owner)),
                record_success=False, anonymous_if_new=True,
            )
        first = result.careers[0]
        await self._store.save_credentials(user_id, chat_id, credentials, first.code, first.name)
        await self._store.record_run(user_id, result.run)  # the user exists from here on
        return result.careers

    async def choose_career(self, user_id: int, career: Career) -> None:
        await self._store.set_career(user_id, career.code, career.name)
