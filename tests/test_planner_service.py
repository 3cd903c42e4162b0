"""The planner service over an offer that answers as an independent SIIAU might: what it
plans with, what it asks for, and what a student reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.days_off import DaysOff
from bot.services.offer.cache import OfferCache
from bot.services.planner.service import OfferDown, Plan, PlanCentreChoice, PlannerService
from bot.services.timetable.delivery import StoredSchedule
from bot.services.timetable.schedule_book import ScheduleBook
from bot.siiau.errors import SiiauUnavailable
from bot.siiau.offer import Centre, Cycle, OfferForm, OfferSection, parse_offer_results
from bot.sim.siiau.offer_pages import SimOfferSection, SimOfferSession, offer_results, planner_offer
from bot.store.watches import SubjectKey
from bot.telegram.documents import CAPTION_LIMIT
from bot.telegram.texts import planner as words
from tests.test_cupos import demo_schedule

CYCLE = "202620"
MESSAGE_LIMIT = 4096  # Telegram's, for a text message
FORM = OfferForm(
    cycles=(Cycle(CYCLE, "Calendario 26 B"),),
    centres=(Centre("D", "C.U. DE CS. EXACTAS E ING."), Centre("3", "C. U. DE TLAJOMULCO")),
    action="sspseca.consulta_oferta",
    fields=(),
    page_sizes=(100,),
    default_page_size=100,
)


def parsed(sections: list[SimOfferSection]) -> tuple[OfferSection, ...]:
    html = offer_results(CYCLE, "CUCEI", sections, total=len(sections), end_of_report=True)
    return parse_offer_results(html).sections


class Cupos:
    async def form(self) -> OfferForm:
        return FORM


class Store:
    def __init__(self, centre: str | None = None) -> None:
        self.saved_centre = centre

    async def centre(self, user_id: int) -> str | None:
        return self.saved_centre

    async def remember_centre(self, user_id: int, centre: str) -> None:
        self.saved_centre = centre

    async def save_plan(self, *args: object, **kwargs: object) -> None:
        return None


async def registered(user_id: int) -> bool:
    return False


def service(offer: Any, store: Store | None = None) -> PlannerService:
    cache = OfferCache(offer, max_age=300)
    return PlannerService(
        cast(Any, Cupos()),
        cache,
        cast(Any, store or Store()),
        cast(Any, None),
        cast(Any, None),
        is_registered=registered,
    )


async def test_only_the_asked_claves_sections_are_planned() -> None:
    # An offer that answers a clave query with more than that clave (a prefix match, or the
    # centre's whole offer) must not turn other subjects' sections into this one's.
    everything = parsed(planner_offer(date.today()))

    async def whole_centre(key: SubjectKey) -> tuple[OfferSection, ...]:
        return everything

    found = await service(whole_centre).plan(1, ["I5886", "I7412", "D"])
    assert isinstance(found, Plan)
    for subject in found.subjects:
        assert {s.key for s in subject.sections} == {subject.clave}
    assert found.count == 15  # 4 × 4, less D02 × D01 (both Mon/Wed 09:00)
    missing = await service(whole_centre).plan(1, ["I5886", "ZZ998", "D"])
    assert isinstance(missing, Plan) and missing.missing == ("ZZ998",)


async def test_an_unknown_centre_shows_the_centres_even_with_one_remembered() -> None:
    # The answer used to say "write /armar without a centre and I'll list them", which a
    # student with a remembered centre can't follow: they get that centre's plan instead.
    asked: list[SubjectKey] = []

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        asked.append(key)
        return ()

    found = await service(offer, Store(centre="D")).plan(1, ["I5886", "Z"])
    assert isinstance(found, PlanCentreChoice) and found.unknown == "Z"
    assert [c.code for c in found.centres] == ["D", "3"] and not asked
    text = words.pick_centre(found)
    assert "«Z»" in text and words.PICK_CENTRE in text


def crowded_offer() -> list[SimOfferSection]:
    """Nine subjects of one section each, two sessions apiece, long professors' names."""
    out = []
    for n in range(9):
        hour = 7 + 2 * (n // 6)
        sessions = (
            SimOfferSession(
                "01", f"{hour:02d}00-{hour + 1:02d}55", "LMIJVS"[n % 6], "DEDX", "A001"
            ),
            SimOfferSession(
                "02", f"{hour + 6:02d}00-{hour + 7:02d}55", "LMIJVS"[n % 6], "DEDX", "A002"
            ),
        )
        professor = "VILLASEÑOR MUÑOZ DE LA TORRE Y CASTAÑEDA, MARIA GUADALUPE"
        out.append(
            SimOfferSection(
                f"30000{n}",
                f"I100{n}",
                "MATERIA CON UN NOMBRE MUY LARGO",
                "D01",
                8,
                40,
                n % 3,
                sessions,
                (("01", professor), ("02", professor)),
            )
        )
    return out


async def test_a_long_caption_keeps_its_warnings_and_every_subject() -> None:
    sections = parsed(crowded_offer())

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave)

    claves = [f"I100{n}" for n in range(9)] + ["ZZ998"]
    found = await service(offer).plan(1, [*claves, "D"])
    assert isinstance(found, Plan) and found.count == 1
    caption = words.option_caption(found, 0)
    assert len(caption) <= CAPTION_LIMIT
    assert "ZZ998" in caption  # the clave not in the offer is still named
    for section in found.sections_of(0):
        assert f"NRC {section.nrc}" in caption


class TwoCycles(Cupos):
    async def form(self) -> OfferForm:
        older = Cycle("202610", "Calendario 26 A")
        return OfferForm((FORM.cycles[0], older), FORM.centres, FORM.action, (), (100,), 100)


async def test_none_in_the_newest_cycle_still_offers_the_cycle_button() -> None:
    # Before the new cycle's offer is posted, the newest cycle has none of the claves: the
    # answer names them and keeps the button to plan another cycle.
    sections = parsed(planner_offer(date.today()))

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave and key.cycle == "202610")

    planner = service(offer)
    planner.cupos = cast(Any, TwoCycles())
    found = await planner.plan(1, ["I5886", "D"])
    assert isinstance(found, Plan) and found.cycle.code == CYCLE and not found.options
    assert [c.code for c in found.cycles] == [CYCLE, "202610"]
    assert words.none_text(found).startswith("No encontré I5886 en el centro D, ciclo 2026-B")
    older = await planner.replan(1, found.id, "202610")
    assert isinstance(older, Plan) and older.cycle.code == "202610" and older.count == 4


async def test_sessions_with_no_day_or_hour_are_listed() -> None:
    # They never clash (both sections fit together) and the caption still shows them.
    rows = [
        SimOfferSection(
            "500001",
            "I5886",
            "ESTRUCTURAS",
            "D01",
            8,
            40,
            3,
            (
                SimOfferSession("01", "0700-0855", "L", "DEDX", "A001"),
                SimOfferSession("02", "", "", "", ""),
            ),
            (("01", "RAMOS, LUIS"),),
        ),
        SimOfferSection(
            "500002",
            "I7412",
            "BASES",
            "D01",
            8,
            40,
            3,
            (SimOfferSession("01", "", "", "DEDX", "A002"),),
            (("01", "SOTO, JUAN"),),
        ),
    ]
    sections = parsed(rows)

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave)

    found = await service(offer).plan(1, ["I5886", "I7412", "D"])
    assert isinstance(found, Plan) and found.count == 1
    lines = words.option_caption(found, 0).splitlines()
    assert "Lun 07:00–08:55 / sin día ni hora" in lines[1]
    assert "I7412 D01 · sin día ni hora" in lines[2]


class Delivery:
    """A student whose stored schedule is a month old: reading it through the book starts
    a SIIAU refresh (a login)."""

    def __init__(self) -> None:
        self.refreshes = 0

    async def stored_schedule(self, user_id: int) -> StoredSchedule:
        return StoredSchedule(demo_schedule(), datetime(2026, 11, 1, tzinfo=UTC))

    async def refresh(self, user_id: int) -> None:
        self.refreshes += 1


async def test_con_mi_horario_starts_no_siiau_login() -> None:
    # /armar uses only the public offer: an old stored schedule is read as it is.
    sections = parsed(planner_offer(date.today()))

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave)

    async def yes(user_id: int) -> bool:
        return True

    delivery = Delivery()
    book = ScheduleBook(
        cast(Any, delivery),
        DaysOff(),
        ZoneInfo("America/Mexico_City"),
        timedelta(days=7),
        clock=lambda: datetime(2026, 12, 5, tzinfo=UTC),
    )
    planner = PlannerService(
        cast(Any, Cupos()),
        OfferCache(offer, max_age=300),
        cast(Any, Store()),
        cast(Any, None),
        book,
        is_registered=yes,
    )
    found = await planner.plan(1, ["I5886", "D", "con", "mi", "horario"])
    await book.settle()
    assert isinstance(found, Plan) and found.fixed_courses and delivery.refreshes == 0


async def test_offer_down_plans_with_the_copies_it_has_and_names_the_rest() -> None:
    sections = parsed(planner_offer(date.today()))
    down = False

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        if down:
            raise SiiauUnavailable("500")
        return tuple(s for s in sections if s.key == key.clave)

    now = [1_000_000.0]
    planner = service(offer)
    planner.offers = OfferCache(offer, max_age=300, clock=lambda: now[0])
    planner.clock = lambda: now[0]
    await planner.plan(1, ["I5886", "I7412", "D"])
    down, now[0] = True, now[0] + 600
    found = await planner.plan(1, ["I5886", "I7412", "LE201", "D"])
    assert isinstance(found, Plan) and [s.clave for s in found.subjects] == ["I5886", "I7412"]
    assert found.unread == ("LE201",) and found.missing == () and found.count == 15
    caption = words.option_caption(found, 0)
    assert "copia de hace 10 min" in caption and "LE201" in caption
    with pytest.raises(OfferDown):  # no copy of any of them
        await planner.plan(1, ["LE201", "I9999", "D"])


async def test_a_clash_made_by_the_options_says_so() -> None:
    # «desde 9 hasta 11» leaves I5886 D02 and I7412 D01, both Mon/Wed 09:00: they always
    # clash with these options, though without them I5886 and I7412 fit in 15 ways.
    sections = parsed(planner_offer(date.today()))

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave)

    found = await service(offer).plan(1, ["I5886", "I7412", "D", "desde", "9", "hasta", "11"])
    assert isinstance(found, Plan) and found.count == 0
    text = words.none_text(found)
    assert "I5886 y I7412 siempre chocan con tus opciones" in text
    plain = await service(offer).plan(1, ["I7412", "I9999", "D"])
    assert isinstance(plain, Plan)
    assert "I7412 y I9999 siempre chocan: ninguna" in words.none_text(plain)


def wide_offer() -> list[SimOfferSection]:
    """Ten subjects of fifteen one-session sections spread over the week: long Plan Bs."""
    out = []
    for n in range(10):
        for j in range(15):
            hour = 7 + (n + 3 * j) % 14
            session = SimOfferSession(
                "01", f"{hour:02d}00-{hour:02d}55", "LMIJVS"[j % 6], "DEDX", "A1"
            )
            out.append(
                SimOfferSection(
                    f"6{n:02d}{j:03d}",
                    f"I70{n:02d}",
                    "MATERIA",
                    f"D{j:02d}",
                    8,
                    40,
                    j % 3,
                    (session,),
                    (("01", "PROFE, X"),),
                )
            )
    return out


async def test_a_long_plan_b_comes_in_messages_telegram_accepts() -> None:
    sections = parsed(wide_offer())

    async def offer(key: SubjectKey) -> tuple[OfferSection, ...]:
        return tuple(s for s in sections if s.key == key.clave)

    planner = service(offer)
    found = await planner.plan(1, [*sorted({s.key for s in sections}), "D"])
    assert isinstance(found, Plan) and found.options
    alternatives = planner.alternatives(found, 0)
    messages = words.plan_b(found, 0, alternatives)
    assert len("\n".join(messages)) > MESSAGE_LIMIT  # one message would not do
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert messages[0].startswith("🅱️ Plan B de la opción 1")
    for others in alternatives:
        for section in others:
            assert sum(f"NRC {section.nrc}," in m for m in messages) == 1
