"""Closing SIIAU sessions that a login we gave up on may have opened.

When SIIAU is slow, it can still serve a login after we stopped waiting for the
answer. It then holds a session whose cookie never reached us, so our logout
cannot close it, and the student's own browser login breaks until SIIAU times
it out. A later login replaces that session and its logout closes it. So once
SIIAU has had time to serve the late request, the sweeper logs in and out once.
It only ever does so after a run in which SIIAU accepted the NIP.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.core.credentials import Credentials

log = logging.getLogger(__name__)


class OrphanSessionSweeper:
    def __init__(self, delay: float, close_once: Callable[[Credentials], Awaitable[None]]) -> None:
        self._delay = delay
        self._close_once = close_once
        self._pending: dict[str, asyncio.Task[None]] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def schedule(self, credentials: Credentials) -> None:
        """Log `credentials` in and out after the delay; 0 turns sweeping off."""
        if self._delay <= 0:
            return
        # One sweep per student: the newest starts last, so it also covers older doubts.
        previous = self._pending.pop(credentials.code, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(self._sweep_later(credentials))
        self._pending[credentials.code] = task
        task.add_done_callback(lambda done: self._forget(credentials.code, done))

    async def aclose(self) -> None:
        """Drop sweeps not yet due: SIIAU's own inactivity timeout ends those sessions."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if tasks:
            log.info("siiau orphan sweeps dropped at shutdown count=%d", len(tasks))

    async def _sweep_later(self, credentials: Credentials) -> None:
        await asyncio.sleep(self._delay)
        try:
            await self._close_once(credentials)
        except Exception as error:  # noqa: BLE001 - a sweep is best effort and must not crash the loop
            log.warning("siiau orphan sweep failed error=%s", type(error).__name__)
        else:
            log.info("siiau orphan session swept")

    def _forget(self, code: str, done: asyncio.Task[None]) -> None:
        if self._pending.get(code) is done:
            del self._pending[code]
