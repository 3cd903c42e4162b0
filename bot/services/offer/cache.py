"""One offer request per (cycle, centre, clave), shared by the planner and the seat watcher.

A copy younger than `max_age` answers at once; concurrent asks for one subject wait
on a single request (single flight); the seat watcher's polls put their answers here
too, so a subject someone watches is rarely asked twice. When the offer is down, a
copy younger than `stale_max_age` (a day) is handed back marked stale, with its age.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.siiau.errors import SiiauUnavailable
from bot.siiau.offer import OfferSection
from bot.store.watches import SubjectKey

Fetch = Callable[[SubjectKey], Awaitable[tuple[OfferSection, ...]]]
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class CachedOffer:
    sections: tuple[OfferSection, ...]
    fetched_at: float  # the clock's time of the request that read it
    stale: bool  # the offer failed just now and this older copy stands in

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


class OfferUnavailable(Exception):
    """The offer failed and no copy younger than a day is kept."""


class OfferCache:
    def __init__(
        self,
        fetch: Fetch,
        *,
        max_age: float,
        stale_max_age: float = DAY,
        capacity: int = 2048,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self.max_age = max_age
        self.stale_max_age = stale_max_age
        self._capacity = capacity
        self._clock = clock
        self._copies: OrderedDict[SubjectKey, tuple[float, tuple[OfferSection, ...]]] = (
            OrderedDict()
        )
        self._in_flight: dict[SubjectKey, asyncio.Future[tuple[OfferSection, ...]]] = {}
        self.requests = 0  # offer requests this cache made (the seat watcher's are its own)

    def put(
        self, key: SubjectKey, sections: tuple[OfferSection, ...], at: float | None = None
    ) -> None:
        """An answer read elsewhere (a seat watcher's poll): fresh for everyone."""
        self._copies[key] = (self._clock() if at is None else at, sections)
        self._copies.move_to_end(key)
        while len(self._copies) > self._capacity:
            self._copies.popitem(last=False)

    async def get(self, key: SubjectKey) -> CachedOffer:
        """A copy younger than `max_age`, or one request's answer. Raises `OfferUnavailable`
        (from the offer's error) when the offer fails and no copy younger than a day is kept;
        other errors (`LayoutChanged`) pass through."""
        now = self._clock()
        kept = self._copies.get(key)
        if kept is not None and now - kept[0] < self.max_age:
            return CachedOffer(kept[1], kept[0], stale=False)
        try:
            sections = await self._shared(key)
        except SiiauUnavailable as error:
            kept = self._copies.get(key)
            if kept is not None and self._clock() - kept[0] < self.stale_max_age:
                return CachedOffer(kept[1], kept[0], stale=True)
            raise OfferUnavailable(str(error)) from error
        fetched = self._copies.get(key)
        return CachedOffer(sections, fetched[0] if fetched is not None else now, stale=False)

    async def _shared(self, key: SubjectKey) -> tuple[OfferSection, ...]:
        running = self._in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[tuple[OfferSection, ...]] = (
            asyncio.get_running_loop().create_future()
        )
        self._in_flight[key] = future
        try:
            self.requests += 1
            sections = await self._fetch(key)
            self.put(key, sections)
            future.set_result(sections)
            return sections
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved here: no "never retrieved" warning when nobody waited
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._in_flight[key]
