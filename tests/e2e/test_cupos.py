"""/cupos through the real bot process: lookup, watches, the re-arm rule, "no choquen", bad input.

Rounds are one second long here (CUPOS_POLL_SECONDS=1); the tests wait on the
offer simulator's request count and on the chat, never on the clock.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP
from bot.sim.siiau.offer_pages import SimOfferSection, SimOfferSession
from bot.sim.siiau.offer_server import OfferSimulator
from bot.telegram.texts import cupos as cupos_words
from bot.telegram.texts import forget as forget_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess, ask_schedule, wait_until

FAST = {"CUPOS_POLL_SECONDS": "1", "CUPOS_TICK_SECONDS": "0.2", "CUPOS_JITTER_SECONDS": "0"}
CYCLE = "202620"
USER = 9300


def period(ended: bool = False) -> str:
    today = date.today()
    first, last = (
        (today - timedelta(days=200), today - timedelta(days=90))
        if ended
        else (today - timedelta(days=30), today + timedelta(days=60))
    )
    return f"{first:%d/%m/%y} - {last:%d/%m/%y}"


def section(
    nrc: str, key: str, sec: str, hours: str, days: str, free: int, *, ended: bool = False
) -> SimOfferSection:
    return SimOfferSection(
        nrc=nrc,
        key=key,
        name="SEMINARIO DE REDES",
        section=sec,
        credits=5,
        seats=40,
        free=free,
        sessions=(SimOfferSession("01", hours, days, "DUCT1", "LC05", period(ended)),),
        professors=(("01", "VILLASEÑOR MUÑOZ, ANA"),),
    )


@pytest.fixture
def offer(offer: OfferSimulator) -> OfferSimulator:
    offer.set_offer(
        CYCLE,
        "D",
        [
            section("180245", "I5890", "D11", "0700-0855", "MJ", 0),
            section("180246", "I5890", "D12", "1100-1255", "MJ", 3),
            section("190001", "I7039", "X01", "0900-1055", "LI", 0),  # clashes with the demo's SO
            section("190002", "I7039", "X02", "1100-1255", "MJ", 0),  # fits the demo's schedule
        ],
    )
    offer.set_offer(
        "202610", "D", [section("170001", "I5890", "D01", "0700-0855", "MJ", 0, ended=True)]
    )
    return offer


def polls_pass(offer: OfferSimulator, clave: str, rounds: int) -> None:
    """Wait until `rounds` more requests for `clave` reached the offer: with one poll per
    subject at a time, all but the last of them have been fully handled."""
    target = offer.search_count(clave) + rounds
    wait_until(
        lambda: offer.search_count(clave) >= target, f"{clave} was not polled {rounds} more times"
    )


def alerts(botapi: BotApiStandIn, user: int) -> list[ChatMessage]:
    return [m for m in botapi.bot_messages(user) if m.text.startswith("🎉")]


def lookup(botapi: BotApiStandIn, user: int, command: str) -> ChatMessage:
    asked = botapi.user_says(user, command)
    return botapi.wait_for_text(user, "libres", after=asked)


def watch(botapi: BotApiStandIn, user: int, listing: ChatMessage, button: str) -> ChatMessage:
    after = botapi.last_message_id(user)
    botapi.user_presses(user, listing, button)
    return botapi.wait_for(
        user, lambda m: m.text.startswith("✅") or "alertas" in m.text, after=after
    )


@pytest.mark.bot_env(**FAST)
def test_cupos_alert_once_per_opening(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    listing = lookup(botapi, USER, "/cupos i 5890 d")  # lower case and a space: normalised
    assert listing.text.startswith("📚 I5890 SEMINARIO DE REDES · centro D · ciclo 2026-B")
    assert (
        "D11 · NRC 180245 · VILLASEÑOR MUÑOZ · Mar, Jue 07:00–08:55 · 0 de 40 libres"
        in listing.text
    )
    assert listing.text.index("D12") < listing.text.index("D11")  # full sections last
    assert cupos_words.CUPOS_FIT not in [label for label, _ in listing.buttons]  # not registered
    saved = watch(botapi, USER, listing, "🔔 Avísame D11")
    assert "te aviso cuando haya lugar en I5890 D11 (NRC 180245)" in saved.text

    polls_pass(offer, "I5890", 2)
    assert alerts(botapi, USER) == []
    offer.set_free("180245", 2)
    first = botapi.wait_for(USER, lambda m: m.text.startswith("🎉"))
    assert (
        first.text
        == "🎉 Hay 2 lugares en I5890 D11 (NRC 180245) · Mar, Jue 07:00–08:55 · VILLASEÑOR MUÑOZ"
    )
    assert [label for label, _ in first.buttons] == [cupos_words.CUPOS_STOP]

    polls_pass(offer, "I5890", 3)  # still open: no second alert
    offer.set_free("180245", 1)
    polls_pass(offer, "I5890", 2)
    assert len(alerts(botapi, USER)) == 1
    offer.set_free("180245", 0)  # full again: re-armed
    polls_pass(offer, "I5890", 2)
    offer.set_free("180245", 1)
    second = botapi.wait_for(
        USER, lambda m: m.text.startswith("🎉 Hay 1 lugar "), after=first.message_id
    )
    assert "I5890 D11 (NRC 180245)" in second.text
    assert len(alerts(botapi, USER)) == 2

    asked = botapi.user_says(USER, "/cupos estado")
    status = botapi.wait_for_text(USER, "Alertas de cupo", after=asked)
    assert (
        "Estado: ▶️ activas" in status.text and "Materias vigiladas: 1 · alertas: 1" in status.text
    )
    assert "Última consulta exitosa: hace" in status.text

    asked = botapi.user_says(USER, "/cupos")
    mine = botapi.wait_for_text(USER, "Tus alertas", after=asked)
    assert "I5890 D11 (NRC 180245) · centro D · 2026-B" in mine.text
    after = botapi.last_message_id(USER)
    botapi.user_presses(USER, second, cupos_words.CUPOS_STOP)
    botapi.wait_for_text(USER, "ya no te aviso de I5890 D11", after=after)
    after = botapi.last_message_id(USER)
    botapi.user_presses(USER, mine, cupos_words.CUPOS_REMOVE.format(label="I5890 D11"))
    botapi.wait_for_text(USER, cupos_words.CUPOS_GONE, after=after)
    asked = botapi.user_says(USER, "/cupos")
    botapi.wait_for_text(USER, "No tienes alertas", after=asked)


@pytest.mark.bot_env(**FAST)
def test_cupos_only_sections_that_fit_the_schedule(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    ask_schedule(botapi, USER)  # the snapshot to compare with
    listing = lookup(botapi, USER, "/cupos I7039 D")
    assert "X01 · NRC 190001" in listing.text and "⚠️ choca con tu horario" in listing.text
    assert listing.text.count("choca") == 1
    saved = watch(botapi, USER, listing, cupos_words.CUPOS_FIT)
    assert "las secciones de I7039 que no choquen con tu horario" in saved.text

    offer.set_free("190001", 3)  # opens, but clashes with SISTEMAS OPERATIVOS (Lun, Mié 09:00)
    polls_pass(offer, "I7039", 3)
    assert alerts(botapi, USER) == []
    offer.set_free("190002", 1)
    alert = botapi.wait_for(USER, lambda m: m.text.startswith("🎉"))
    assert alert.text.startswith("🎉 Hay 1 lugar en I7039 X02 (NRC 190002) · Mar, Jue 11:00–12:55")
    polls_pass(offer, "I7039", 2)
    assert len(alerts(botapi, USER)) == 1

    asked = botapi.user_says(USER, "/olvidar")
    confirm = botapi.wait_for_text(USER, "¿Borro", after=asked)
    botapi.user_presses(USER, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        USER, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    asked = botapi.user_says(USER, "/cupos")
    botapi.wait_for_text(USER, "No tienes alertas", after=asked)  # /olvidar took the watches too


@pytest.mark.bot_env(**FAST, CUPOS_MAX_PER_USER="2")
def test_cupos_bad_input_gets_an_answer_and_no_poll(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    def answer(command: str, fragment: str) -> ChatMessage:
        asked = botapi.user_says(USER, command)
        return botapi.wait_for_text(USER, fragment, after=asked)

    answer("/cupos 180245", "parece un NRC, no una clave")
    answer("/cupos %%%", "no parece válida")
    picker = answer("/cupos I5890", "¿De qué centro?")  # no centre yet: a keyboard of centres
    assert [label[0] for label, _ in picker.buttons] == ["A", "C", "D"]
    botapi.user_presses(USER, picker, "D · C.U. DE CS. EXACTAS E ING.")
    listing = botapi.wait_for(
        USER, lambda m: m.message_id == picker.message_id and "libres" in m.text
    )
    answer("/cupos I5890 ZZ", "No conozco el centro «ZZ»")
    answer("/cupos XX999 D", "No encontré esa clave (XX999) en el centro D, ciclo 2026-B")
    again = answer("/cupos I5890", "libres")  # the centre used last
    botapi.user_presses(USER, again, cupos_words.CUPOS_CHANGE_CYCLE.format(cycle="2026-B"))
    cycles = botapi.wait_for(
        USER, lambda m: m.message_id == again.message_id and m.text == cupos_words.CUPOS_PICK_CYCLE
    )
    botapi.user_presses(USER, cycles, "2026-A")
    botapi.wait_for(
        USER, lambda m: m.message_id == again.message_id and "2026-A no está abierto" in m.text
    )

    watch(botapi, USER, listing, "🔔 Avísame D11")
    watch(botapi, USER, listing, "🔔 Avísame D12")
    refused = watch(botapi, USER, listing, cupos_words.CUPOS_ANY)
    assert refused.text.startswith("Ya tienes 2 alertas, el máximo")
    polls_pass(offer, "I5890", 2)  # the watcher runs: only what was watched is polled
    assert offer.search_count("XX999") == 1 and offer.search_count("180245") == 0
