"""The shared offer cache: one request per subject however many ask, fresh copies reused,
a copy under a day standing in while the offer is down."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.offer.cache import OfferCache, OfferUnavailable
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.siiau.offer import OfferSection
from bot.store.watches import SubjectKey

KEY = SubjectKey("202620", "D", "I5886")


def section(nrc: str) -> OfferSection:
    return OfferSection(nrc, "I5886", "ESTRUCTURAS", "D01", 8, 40, 3, (), ())


class Offer:
    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.failure: Exception | None = None

    async def fetch(self, key: SubjectKey) -> tuple[OfferSection, ...]:
        self.calls += 1
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return (section(f"{self.calls:06d}"),)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_asks_share_one_request_and_fresh_copies_are_reused() -> None:
    offer, clock = Offer(), Clock()
    cache = OfferCache(offer.fetch, max_age=300, clock=clock)
    offer.gate.clear()
    waiting = [asyncio.create_task(cache.get(KEY)) for _ in range(5)]
    await asyncio.sleep(0)
    offer.gate.set()
    answers = await asyncio.gather(*waiting)
    assert offer.calls == 1 and {a.sections[0].nrc for a in answers} == {"000001"}
    clock.now += 299
    assert (await cache.get(KEY)).sections[0].nrc == "000001" and offer.calls == 1
    clock.now += 1
    assert (await cache.get(KEY)).sections[0].nrc == "000002" and offer.calls == 2


async def test_a_watcher_poll_fills_the_cache() -> None:
    offer, clock = Offer(), Clock()
    cache = OfferCache(offer.fetch, max_age=300, clock=clock)
    cache.put(KEY, (section("777777"),))
    got = await cache.get(KEY)
    assert got.sections[0].nrc == "777777" and offer.calls == 0 and not got.stale


async def test_offer_down_a_copy_under_a_day_stands_in_with_its_age() -> None:
    offer, clock = Offer(), Clock()
    cache = OfferCache(offer.fetch, max_age=300, clock=clock)
    await cache.get(KEY)
    offer.failure = SiiauUnavailable("down")
    clock.now += 3600
    stale = await cache.get(KEY)
    assert stale.stale and stale.age(clock.now) == 3600 and stale.sections[0].nrc == "000001"
    clock.now += 86400 - 3600
    with pytest.raises(OfferUnavailable):
        await cache.get(KEY)
    with pytest.raises(OfferUnavailable):
        await cache.get(SubjectKey("202620", "D", "I7412"))  # never read: nothing to stand in


async def test_a_layout_change_is_not_hidden_by_a_copy() -> None:
    offer, clock = Offer(), Clock()
    cache = OfferCache(offer.fetch, max_age=0, clock=clock)
    await cache.get(KEY)
    offer.failure = LayoutChanged("new page")
    with pytest.raises(LayoutChanged):
        await cache.get(KEY)
