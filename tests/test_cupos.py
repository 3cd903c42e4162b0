"""Seat alerts on a clock the tests move: parsing, clashes, the re-arm rule, one poll per
subject, claims split between two watchers on both back ends, backoff and the breaker."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import CuposSettings
from bot.core.credentials import Credentials
from bot.schedule import codec
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.offer.cupos import (
    ANY,
    FIT,
    CentreChoice,
    CuposService,
    CycleNotOpen,
    LooksLikeNrc,
    Lookup,
    NoScheduleToFit,
    PollingPaused,
    UnknownCentre,
    UnknownClave,
    WatchLimitReached,
    WatchRecord,
    clashes,
    normalise,
    parse_query,
)
from bot.services.runtime.breaker import CircuitBreaker
from bot.siiau.errors import LayoutChanged
from bot.siiau.offer import OfferProfessor, OfferSection, OfferSession
from bot.siiau.offer_client import OfferClient
from bot.sim.siiau.offer_pages import SimOfferSection, SimOfferSession
from bot.sim.siiau.offer_server import RESULTS_PATH, OfferSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate, session_factory
from bot.store.documents import DeliveredDocument
from bot.store.models import CupoSubjectRow
from bot.store.repository import Store
from bot.store.watches import WatchStore

CYCLE, CENTRE = "202620", "D"
START = 1_790_000_000.0  # 2026-09-21, inside the simulated cycle below
PERIOD = "18/08/26 - 13/12/26"
INTERVAL = 60


def section(
    nrc: str, sec: str, hours: str, days: str, free: int, key: str = "I5890"
) -> SimOfferSection:
    return SimOfferSection(
        nrc=nrc,
        key=key,
        name="BASES DE DATOS",
        section=sec,
        credits=8,
        seats=40,
        free=free,
        sessions=(SimOfferSession("01", hours, days, "DUCT1", "A001", PERIOD),),
        professors=(("01", "VILLASEÑOR MUÑOZ, ANA"),),
    )


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    alerts: list[tuple[int, int, str, int]] = field(default_factory=list)  # chat, watch, nrc, free
    expired: list[tuple[int, str]] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)  # where each layout change was seen

    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
        self.alerts.append((chat_id, watch_id, section.nrc, section.free))

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
        self.expired.append((chat_id, watch.label))

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        self.operators.append(error.where)


@pytest.fixture
def offer() -> Iterator[OfferSimulator]:
    with OfferSimulator() as simulator:
        simulator.set_offer(
            CYCLE,
            CENTRE,
            [
                section("180245", "D11", "0700-0855", "MJ", 0),
                section("180246", "D12", "1100-1255", "MJ", 3),
                section("180247", "D13", "0900-1055", "LI", 0),
            ],
        )
        yield simulator


@dataclass
class Kit:
    service: CuposService
    recorder: Recorder
    clock: Clock
    store: Store


async def make(url: str, offer: OfferSimulator, clock: Clock, **settings: Any) -> Kit:
    engine = create_engine(url)
    await migrate(engine)
    values: dict[str, Any] = {  # CuposSettings fields, of mixed types: pydantic checks them
        "poll_seconds": INTERVAL,
        "jitter_seconds": 0,
        "max_per_user": 10,
        **settings,
    }
    recorder = Recorder()
    breaker = CircuitBreaker(3, 30, clock=clock)
    cipher = CredentialCipher([CredentialCipher.generate_key()])
    service = CuposService(
        WatchStore(engine, cipher),
        OfferClient(offer.url),
        breaker,
        CuposSettings(**values),
        notifier=recorder,
        clock=clock,
        rng=random.Random(1),
    )
    return Kit(service, recorder, clock, Store(engine, cipher))


@pytest.fixture
async def kit(tmp_path: object, offer: OfferSimulator) -> AsyncIterator[Kit]:
    k = await make(f"sqlite+aiosqlite:///{tmp_path}/c.db", offer, Clock())
    yield k
    await k.service.aclose()
    await k.store.engine.dispose()


async def looked_up(kit: Kit, user: int, *args: str) -> Lookup:
    found = await kit.service.lookup(user, list(args))
    assert isinstance(found, Lookup)
    return found


async def next_round(kit: Kit) -> None:
    kit.clock.now += INTERVAL
    await kit.service.tick()
    await kit.service.drain()


# ---- parsing and clashes -------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["I5890", "D"], ("I5890", "D")),
        (["i5890"], ("I5890", None)),
        (["í", "5890", "d"], ("I5890", "D")),
        (["IB047"], ("IB047", None)),
        ([" v0731 ", "D"], ("V0731", "D")),
    ],
)
def test_claves_are_normalised(args: list[str], expected: tuple[str, str | None]) -> None:
    assert parse_query(args) == expected
    assert normalise("Í 5890") == "I5890"


def test_an_nrc_is_not_a_clave() -> None:
    with pytest.raises(LooksLikeNrc):
        parse_query(["180245"])


def _offer_section(
    days: tuple[Day, ...], start: time, end: time, key: str = "I7039"
) -> OfferSection:
    return OfferSection(
        nrc="1",
        key=key,
        name="X",
        section="D01",
        credits=8,
        seats=40,
        free=1,
        sessions=(OfferSession("01", days, start, end, "", "", None, None),),
        professors=(OfferProfessor("01", "A"),),
    )


def demo_schedule() -> Schedule:
    session = Session(
        (Day.MONDAY, Day.WEDNESDAY), time(9), time(10, 55), "DEDT", "A013", "P", None, None
    )
    return Schedule(
        "202620",
        "2026-B",
        "A",
        "1",
        "INCO",
        "INCO",
        (Course("181002", "I7038", "SO", "D03", 8, (session,)),),
    )


def test_sessions_clash_on_the_same_day_with_overlapping_hours() -> None:
    schedule = demo_schedule()
    assert clashes(_offer_section((Day.MONDAY,), time(10), time(11)), schedule)
    assert not clashes(_offer_section((Day.TUESDAY,), time(9), time(10, 55)), schedule)
    assert not clashes(
        _offer_section((Day.MONDAY,), time(10, 55), time(12)), schedule
    )  # back to back
    assert not clashes(
        _offer_section((Day.MONDAY,), time(9), time(11), key="I7038"), schedule
    )  # its own clave


# ---- looking up: bad input answers, and never polls ----------------------------------------------
async def test_bad_input_gets_an_answer_and_no_poll(kit: Kit, offer: OfferSimulator) -> None:
    choice = await kit.service.lookup(1, ["I5890"])  # no centre given, none used before
    assert isinstance(choice, CentreChoice) and [c.code for c in choice.centres] == ["A", "C", "D"]
    with pytest.raises(UnknownCentre):
        await kit.service.lookup(1, ["I5890", "ZZ"])
    with pytest.raises(UnknownClave) as unknown:
        await kit.service.lookup(1, ["XX999", "D"])
    assert (unknown.value.centre, unknown.value.cycle.code) == ("D", CYCLE)
    with pytest.raises(CycleNotOpen):
        await kit.service.lookup(1, ["I5890", "D"], cycle="199910")
    searches = offer.search_count()
    found = await looked_up(kit, 1, "I5890")  # the centre used last
    assert found.centre.code == "D" and found.cycle.code == CYCLE
    assert [s.section for s in found.sections] == ["D12", "D11", "D13"]  # full ones last
    assert found.fits is None  # not registered: no schedule to compare with
    assert offer.search_count() == searches + 1
    await kit.service.tick()
    await kit.service.drain()
    assert offer.search_count() == searches + 1  # nobody watches: nothing is polled


async def test_a_cycle_whose_classes_ended_is_not_open(kit: Kit, offer: OfferSimulator) -> None:
    old = dataclasses.replace(
        section("170001", "D01", "0700-0855", "MJ", 0),
        sessions=(SimOfferSession("01", "0700-0855", "MJ", "X", "Y", "16/01/26 - 01/06/26"),),
    )
    offer.set_offer("202610", CENTRE, [old])
    with pytest.raises(CycleNotOpen):
        await kit.service.lookup(1, ["I5890", "D"], cycle="202610")


# ---- the re-arm rule -----------------------------------------------------------------
async def test_one_alert_per_opening_re_armed_when_full_again(
    kit: Kit, offer: OfferSimulator
) -> None:
    await looked_up(kit, 7, "I5890", "D")
    saved = await kit.service.watch(7, 70, CYCLE, CENTRE, "I5890", "180245")
    assert saved.label == "I5890 D11"
    await next_round(kit)  # the seat is still full: nothing
    assert kit.recorder.alerts == []
    offer.set_free("180245", 2)
    await next_round(kit)
    assert kit.recorder.alerts == [(70, saved.id, "180245", 2)]
    offer.set_free("180245", 1)  # still open, one seat fewer: not a new opening
    await next_round(kit)
    assert len(kit.recorder.alerts) == 1
    offer.set_free("180245", 0)
    await next_round(kit)
    offer.set_free("180245", 1)
    await next_round(kit)
    assert kit.recorder.alerts[1:] == [(70, saved.id, "180245", 1)]
    offer.set_free("180246", 0)  # other sections are not this watch's business
    await next_round(kit)
    offer.set_free("180246", 5)
    await next_round(kit)
    assert len(kit.recorder.alerts) == 2


async def test_any_section_and_fit_watches(kit: Kit, offer: OfferSimulator) -> None:
    await kit.store.save_credentials(8, 80, Credentials("219294382", "x"), "INCO", "INCO")
    schedule = demo_schedule()
    await kit.store.record_delivered(
        8, DeliveredDocument(schedule.content_hash, "f", "202620", codec.dumps(schedule))
    )
    found = await looked_up(kit, 8, "I5890", "D")
    assert found.fits == frozenset({"180245", "180246"})  # D13 (Mon/Wed 09:00) clashes with SO
    with pytest.raises(NoScheduleToFit):
        await kit.service.watch(9, 90, CYCLE, CENTRE, "I5890", FIT)
    fit = await kit.service.watch(8, 80, CYCLE, CENTRE, "I5890", FIT)
    anyone = await kit.service.watch(9, 90, CYCLE, CENTRE, "I5890", ANY)
    offer.set_free("180247", 1)  # clashes
    await next_round(kit)
    assert kit.recorder.alerts == [(90, anyone.id, "180247", 1)]
    offer.set_free("180245", 4)  # fits
    await next_round(kit)
    assert sorted(kit.recorder.alerts[1:]) == [
        (80, fit.id, "180245", 4),
        (90, anyone.id, "180245", 4),
    ]


async def test_one_poll_per_subject_however_many_watch(kit: Kit, offer: OfferSimulator) -> None:
    offer.set_offer(CYCLE, "A", [section("190001", "A01", "0700-0855", "L", 0, key="IB047")])
    await looked_up(kit, 1, "I5890", "D")
    await looked_up(kit, 1, "IB047", "A")
    for user in range(1, 201):
        await kit.service.watch(user, user, CYCLE, "D", "I5890", "180245" if user % 2 else ANY)
        await kit.service.watch(user, user, CYCLE, "A", "IB047", ANY)
    before = offer.search_count()
    for _ in range(3):
        await next_round(kit)
    assert offer.search_count() - before == 6  # 2 subjects × 3 rounds, for 400 watches
    offer.set_free("180245", 1)
    await next_round(kit)
    assert len(kit.recorder.alerts) == 200  # every watcher once: by its section or by "any"
    assert len({chat for chat, *_ in kit.recorder.alerts}) == 200


async def test_limits_and_expiry(tmp_path: object, offer: OfferSimulator) -> None:
    kit = await make(
        f"sqlite+aiosqlite:///{tmp_path}/c.db", offer, Clock(), max_per_user=2, watch_days=1
    )
    await looked_up(kit, 1, "I5890", "D")
    await kit.service.watch(1, 10, CYCLE, CENTRE, "I5890", "180245")
    await kit.service.watch(
        1, 10, CYCLE, CENTRE, "I5890", "180245"
    )  # the same again: renewed, not added
    await kit.service.watch(1, 10, CYCLE, CENTRE, "I5890", ANY)
    with pytest.raises(WatchLimitReached):
        await kit.service.watch(1, 10, CYCLE, CENTRE, "I5890", "180247")
    assert len(await kit.service.watches(1)) == 2
    kit.clock.now += 86400
    await kit.service.tick()
    assert sorted(kit.recorder.expired) == [(10, "I5890"), (10, "I5890 D11")]
    assert await kit.service.watches(1) == []
    await kit.service.aclose()
    await kit.store.engine.dispose()


# ---- failures: per-subject backoff, layout changes, the breaker -------------------------------
async def test_layout_change_keeps_the_state_and_backs_off(kit: Kit, offer: OfferSimulator) -> None:
    await looked_up(kit, 1, "I5890", "D")
    await kit.service.watch(1, 10, CYCLE, CENTRE, "I5890", "180245")
    await next_round(kit)
    before = await _subject(kit)
    offer.serve_raw(RESULTS_PATH, b"<html><body>algo distinto</body></html>")
    await next_round(kit)
    after = await _subject(kit)
    assert (
        after.free_json == before.free_json
        and after.failures == 1
        and after.last_error == "LayoutChanged"
    )
    assert after.next_poll_ts - (after.due_ts or 0) == 2 * INTERVAL  # backs off: two rounds
    assert len(kit.recorder.operators) == 1, "operators hear of a changed offer page"
    polls = offer.search_count()
    await next_round(kit)
    assert offer.search_count() == polls  # skipped this round
    await next_round(kit)
    assert offer.search_count() == polls + 1
    assert len(kit.recorder.operators) == 1, "once per change, not once per poll"


async def _subject(kit: Kit) -> CupoSubjectRow:
    async with session_factory(kit.store.engine)() as session:
        return (await session.scalars(select(CupoSubjectRow))).one()


async def test_the_breaker_pauses_polling_and_lookups(kit: Kit, offer: OfferSimulator) -> None:
    await looked_up(kit, 1, "I5890", "D")
    offer.set_offer(
        CYCLE,
        "C",
        [section(f"19000{n}", "C01", "0700-0855", "L", 0, f"I000{n}") for n in (1, 2, 3)],
    )
    subjects = [("C", "I0001"), ("C", "I0002"), ("C", "I0003"), ("D", "I5890")]
    for centre, clave in subjects:
        await kit.service.watch(1, 10, CYCLE, centre, clave, ANY)
    offer.down("500")
    await next_round(kit)
    status = await kit.service.status()
    assert status.paused and status.reason == "siiau_down"
    with pytest.raises(PollingPaused):
        await kit.service.lookup(1, ["I5890", "D"])
    polls = offer.search_count()
    kit.clock.now += (
        10 * INTERVAL
    )  # past the breaker's cooldown (30 s) and the failed subjects' backoff
    offer.up()
    await kit.service.tick()
    await kit.service.drain()
    assert offer.search_count() > polls
    assert not (await kit.service.status()).paused


# ---- two watchers, one database: claims split, never twice in a round -------------------
async def test_two_watchers_never_poll_one_subject_twice_in_a_round(
    db_url: str, offer: OfferSimulator
) -> None:
    clock = Clock()
    offer.set_offer(
        CYCLE,
        "A",
        [section(f"2{i:05}", "A01", "0700-0855", "L", 0, key=f"IX{i:03}") for i in range(40)],
    )
    one = await make(db_url, offer, clock)
    two = await make(db_url, offer, clock)
    for i in range(40):
        await one.service.watch(i, i, CYCLE, "A", f"IX{i:03}", ANY)
    for round_number in (1, 2, 3):
        clock.now += INTERVAL
        await asyncio.gather(
            one.service.drain(), two.service.drain(), one.service.drain(), two.service.drain()
        )
        counts = [offer.search_count(f"IX{i:03}") for i in range(40)]
        assert counts == [round_number] * 40
    async with one.store.engine.connect() as connection:
        leased = (await connection.execute(select(CupoSubjectRow.lease_until_ts))).scalars().all()
    assert set(leased) == {None}
    for k in (one, two):
        await k.service.aclose()
        await k.store.engine.dispose()
