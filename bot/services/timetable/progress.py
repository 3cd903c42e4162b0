"""Progress messages in flight, kept in the database so that a restart can finish them.

A process killed mid-run leaves its "Verificando…" or "Descargando…" message as it
was. Each one is recorded when it is sent and forgotten when it is finished; at
start-up, the chat layer finishes every leftover with an "interrupted" text, and a
registration that was being verified is ended so the student can start over.

With several replicas sharing a database, a replica starting up also finishes the
messages of replicas still running; their own final edit replaces that text.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store.dialogs import DialogStore
from bot.store.progress import OpenProgress, ProgressStore

__all__ = ["OpenProgress", "ProgressService"]


class ProgressService:
    def __init__(
        self,
        progress: ProgressStore,
        dialogs: DialogStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._progress = progress
        self._dialogs = dialogs
        self._clock = clock

    async def opened(self, chat_id: int, message_id: int, user_id: int, kind: str) -> None:
        await self._progress.add(OpenProgress(chat_id, message_id, user_id, kind), self._clock())

    async def finished(self, chat_id: int, message_id: int) -> None:
        await self._progress.remove(chat_id, message_id)

    async def leftovers(self) -> list[OpenProgress]:
        """Progress messages nobody finished: at start-up, those of a process that died."""
        return await self._progress.all()

    async def close_interrupted(self, item: OpenProgress) -> None:
        """Forget a leftover once its message says it was interrupted; end its registration."""
        if item.kind == "verify":
            for step in ("verifying", "saving"):
                await self._dialogs.clear_if(item.user_id, step)
        await self._progress.remove(item.chat_id, item.message_id)
