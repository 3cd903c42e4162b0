"""Limits that must hold across replicas, backed by the database.

In one process an asyncio.Semaphore and a dict would do (and do, by default on
SQLite). With several replicas (PostgreSQL), SIIAU session slots and a user's
running /horario are leases in the database, renewed while held, so a replica
that dies releases them when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from bot.services.errors import AlreadyRunning, RateLimited
from bot.store.shared import SharedStore

HOLDER = f"{uuid.uuid4().hex[:12]}"  # this process, as lease holders know it
OnWait = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


class SessionSlots(Protocol):
    def hold(self, on_wait: OnWait = _nothing) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalSessionSlots:
    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def hold(self, on_wait: OnWait = _nothing) -> AsyncIterator[None]:
        if self._semaphore.locked():
            await on_wait()
        async with self._semaphore:
            yield


class SharedSessionSlots:
    """N named leases `siiau:0…N-1`; holding one means holding a SIIAU session slot.

    Waiters in one process queue in order, and only the first polls the database for a
    free slot, so a replica with many deliveries waiting costs one query per poll, not one
    per waiter. A slot this process releases wakes that poller at once (it tries then, not
    at its next poll); slots freed elsewhere are found by polling.
    """

    def __init__(
        self,
        store: SharedStore,
        size: int,
        lease: float = 30.0,
        poll: tuple[float, float] = (0.05, 0.2),
    ) -> None:
        """`poll`: a waiter looks again after a random time in this range (seconds)."""
        self._store = store
        self._names = [f"siiau:{i}" for i in range(size)]
        self._lease = lease
        self._poll = poll
        self._created = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._polling = asyncio.Lock()
        self._releases = 0  # slots released by this process so far

    @asynccontextmanager
    async def hold(self, on_wait: OnWait = _nothing) -> AsyncIterator[None]:
        holder = f"{HOLDER}:{uuid.uuid4().hex[:8]}"
        name = await self._acquire(holder, on_wait)
        try:
            async with _renewed(self._store, name, holder, self._lease):
                yield
        finally:
            self._wake_one()

    async def _acquire(self, holder: str, on_wait: OnWait) -> str:
        if not self._created:
            await self._store.create(self._names)
            self._created = True
        if not self._polling.locked():  # nobody here is waiting: try at once
            name = await self._try(holder)
            if name is not None:
                return name
        await on_wait()
        # One waiter per process polls the database; the others queue behind it, in order.
        async with self._polling:
            while True:
                releases = self._releases
                name = await self._try(holder)
                if name is not None:
                    return name
                await self._next_chance(releases)

    async def _try(self, holder: str) -> str | None:
        now = time.time()
        return await self._store.acquire_any(self._names, holder, now + self._lease, now)

    async def _next_chance(self, releases_seen: int) -> None:
        """Until a local release wakes this waiter, or the next poll; at once when a slot was
        released here since `releases_seen` (while this waiter's last try was under way)."""
        if self._releases != releases_seen:
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(woken)
        try:
            await asyncio.wait({woken}, timeout=random.uniform(*self._poll))
        finally:
            if not woken.done():
                woken.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(woken)

    def _wake_one(self) -> None:
        self._releases += 1
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


@asynccontextmanager
async def _renewed(store: SharedStore, name: str, holder: str, lease: float) -> AsyncIterator[None]:
    """Keep a held lease alive while the body runs; release it after, whatever happens."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            await store.renew(name, holder, time.time() + lease)

    renewal = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
        await asyncio.shield(store.release(name, holder))


class SharedUserGate:
    """One /horario per user at a time and a few per minute, across replicas."""

    def __init__(self, store: SharedStore, per_minute: int, lease: float = 30.0) -> None:
        self._store = store
        self._per_minute = per_minute
        self._lease = lease

    @asynccontextmanager
    async def admit(self, user_id: int, *, count: bool = True) -> AsyncIterator[None]:
        name, holder, now = f"user:{user_id}", f"{HOLDER}:{uuid.uuid4().hex[:8]}", time.time()
        if not await self._store.acquire(name, holder, now + self._lease, now):
            raise AlreadyRunning()
        async with _renewed(self._store, name, holder, self._lease):
            if count and not await self._store.count_and_add(user_id, now, 60, self._per_minute):
                raise RateLimited()
            yield

    def forget(self, user_id: int) -> None:
        task = asyncio.ensure_future(self._store.forget_user(user_id))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
