"""`/olvidar` wins over work in flight: once a student is erased, nothing begun before reaches them.

The chat layer asks `dropped` at every send (see `bot/telegram/send_gate.py`): a send to a
student whose erase came after the sending work began is not made. The erase moment is
kept in this process's memory and in the database (as an HMAC of the user id, never the
id), so a run on another replica sees it too. Markers are dropped after `MEMORY_SECONDS`:
no run lasts that long.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

MEMORY_SECONDS = 24 * 3600
LOCAL_MARKERS = 10_000  # this process's copy; the database holds them all


class ErasureRecords(Protocol):
    async def mark(self, key: str, erased_ms: int, *, forget_before_ms: int) -> None: ...

    async def erased_ms(self, key: str) -> int | None: ...


class EraseLedger:
    def __init__(
        self, records: ErasureRecords | None, key: bytes, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._records = records
        self._key = key
        self._clock = clock
        self._local: OrderedDict[int, int] = OrderedDict()

    async def mark(self, user_id: int) -> float:
        """The student is being erased now: returns the moment (work begun from then on may send)."""
        now_ms = int(self._clock() * 1000)
        self._remember(user_id, now_ms)
        if self._records is not None:
            await self._records.mark(
                self._keyed(user_id), now_ms, forget_before_ms=now_ms - MEMORY_SECONDS * 1000
            )
        return now_ms / 1000

    async def dropped(self, user_id: int, started: float | None) -> bool:
        """True when a send to `user_id` from work begun at `started` must not be made: the
        student was erased after that work began. Work that never said when it began
        (`None`) is not held back."""
        if started is None:
            return False
        started_ms = round(started * 1000)
        erased = self._local.get(user_id)
        if erased is None and self._records is not None:
            erased = await self._records.erased_ms(self._keyed(user_id))
        return erased is not None and started_ms < erased

    def _remember(self, user_id: int, erased_ms: int) -> None:
        self._local[user_id] = erased_ms
        self._local.move_to_end(user_id)
        while len(self._local) > LOCAL_MARKERS:
            self._local.popitem(last=False)

    def _keyed(self, user_id: int) -> str:
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()
