"""/armar through the real bot process: options, paging, Plan B, watches, .ics, bad input;
/horario as a picture."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date

import pytest

from bot.bootstrap import button_key
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP
from bot.sim.siiau.offer_pages import planner_offer
from bot.sim.siiau.offer_server import RESULTS_PATH, OfferSimulator
from bot.store.crypto import CredentialCipher
from bot.telegram.buttons import ButtonSigner
from bot.telegram.texts import planner as words
from bot.telegram.texts import safety
from tests.e2e.test_registration import register
from tests.helpers import TEST_KEY, BotProcess, ask_schedule

# The bot's own key: a press signed with it passes the signature, so only the planner's own
# checks (a plan that does not exist, a centre the offer does not list) can refuse it.
SIGNER = ButtonSigner(button_key(CredentialCipher([TEST_KEY])))

pytestmark = pytest.mark.e2e
CYCLE = "202620"
USER = 9400


@pytest.fixture
def offer(offer: OfferSimulator) -> OfferSimulator:
    offer.set_offer(CYCLE, "D", planner_offer(date.today()))
    return offer


def armar(botapi: BotApiStandIn, user: int, command: str) -> ChatMessage:
    asked = botapi.user_says(user, command)
    return botapi.wait_for(user, lambda m: bool(m.photo_id or m.text), after=asked)


def press(botapi: BotApiStandIn, user: int, message: ChatMessage, label: str) -> ChatMessage:
    after = botapi.last_message_id(user)
    botapi.user_presses(user, message, label)
    return botapi.wait_for(user, lambda m: True, after=after)


def caption_moved_from(message_id: int, shown: str) -> Callable[[ChatMessage], bool]:
    """The message `message_id`, once its caption is no longer `shown`."""
    return lambda m: m.message_id == message_id and m.caption != shown


def test_armar_pages_plans_b_watches_and_ics(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    first = armar(botapi, USER, "/armar i5886 I7412 le201 D")
    assert first.photo is not None and first.photo.startswith(b"\x89PNG")
    assert first.caption.startswith("🧩 Opción 1 de ")
    assert "NRC 200" in first.caption and ("libres" in first.caption or "lleno" in first.caption)
    assert offer.search_count() == 3  # one request per clave
    for _, data in first.buttons:
        assert len(data.encode()) <= 64
    # ▶️ edits the same message: a new picture, option 2
    botapi.user_presses(USER, first, words.NEXT)
    botapi.wait_for(
        USER, lambda m: m.message_id == first.message_id and m.caption.startswith("🧩 Opción 2")
    )
    edited = next(m for m in botapi.chat(USER) if m.message_id == first.message_id)
    assert edited.edits and len(botapi.photos(USER)) == 1
    # Plan B
    plan_b = press(botapi, USER, edited, words.PLAN_B)
    assert plan_b.text.startswith("🅱️ Plan B de la opción 2")
    # .ics
    ics = press(botapi, USER, edited, words.ICS)
    assert (
        ics.document is not None
        and b"BEGIN:VCALENDAR" in ics.document
        and b"RRULE:FREQ=WEEKLY" in ics.document
    )
    # The same subjects again: the cached offer, no request.
    again = armar(botapi, USER, "/armar LE201 I7412 I5886")
    assert again.photo is not None and offer.search_count() == 3
    # Watches of the full sections of an option with full ones.
    option = again
    for _ in range(10):
        if "lleno" in option.caption:
            break
        botapi.user_presses(USER, option, words.NEXT)
        caption = option.caption
        option = botapi.wait_for(USER, caption_moved_from(again.message_id, caption))
    assert "lleno" in option.caption
    full = [line for line in option.caption.splitlines() if line.endswith("lleno")]
    told = press(botapi, USER, option, words.WATCH_FULL)
    assert told.text.startswith("🔔")
    listing = armar(botapi, USER, "/cupos")
    assert full
    for line in full:
        nrc = line.split(" · ")[0].removeprefix("• NRC ")
        assert f"(NRC {nrc})" in listing.text


def test_armar_options_and_bad_input(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 1
    asked = armar(botapi, user, "/armar I5886 I7412")  # no centre known yet: a keyboard
    assert asked.text == words.PICK_CENTRE
    photo = press(botapi, user, asked, "D · C.U. DE CS. EXACTAS E ING.")
    assert photo.caption.startswith("🧩 Opción 1")
    options = armar(botapi, user, "/armar I5886 I7412 LE201 desde 9 sin viernes con cupo")
    for line in options.caption.splitlines()[1:]:
        if line.startswith("•"):
            assert "Vie" not in line and "07:00" not in line and "lleno" not in line
    cases = {
        "/armar " + " ".join(f"I{n:04d}" for n in range(11)): "demasiadas",
        "/armar I5886 I5886": "dos veces",
        "/armar I5886 desde 14 hasta 10": "«desde 14 hasta 10»",
        "/armar I5886 los martes": "No entendí: los martes",
        "/armar I5886 con mi horario": "registres",
        "/armar I7412 I9999": "I7412 y I9999 siempre chocan",
        "/armar I5886 hasta 8": "con «hasta» no queda ninguna sección de I5886",
        "/armar ZZ999": "No encontré ZZ999",
    }
    for command, expected in cases.items():
        before = offer.search_count()
        answer = armar(botapi, user, command)
        assert expected in answer.text, (command, answer.text)
        if command != "/armar ZZ999" and "chocan" not in expected and "hasta" not in expected:
            assert offer.search_count() == before  # no search
    missing = armar(botapi, user, "/armar I5886 ZZ998")  # the others still count
    assert missing.photo is not None and "ZZ998" in missing.caption
    stale = armar(botapi, user, "/armar I5886")
    before = len(botapi.bot_messages(user))
    for data in (
        SIGNER.data(user, "ar:n:00000000:1"),
        "ar:n:zz:1",
        "ar:n:00000000:1",
        stale.buttons[0][1] + "x",
    ):
        query = botapi.user_sends_callback(user, stale, data)
        assert botapi.callback_answer(query) == safety.BUTTON_INVALID, data
    answered = armar(botapi, user, "/armar I5886 hasta 8")  # the bot still answers, after them
    assert "hasta" in answered.text and len(botapi.bot_messages(user)) == before + 1


def test_offer_down_uses_a_recent_copy(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 2
    armar(botapi, user, "/armar I5886 D")
    offer.down("500")
    down = armar(botapi, user, "/armar LE201")
    assert "no responde" in down.text
    offer.up()


@pytest.mark.bot_env(PLANNER_OFFER_MAX_AGE_SECONDS="0")
def test_offer_down_with_copy_says_its_age(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 3
    armar(botapi, user, "/armar I5886 D")
    offer.down("500")
    old = armar(botapi, user, "/armar I5886")
    assert old.photo is not None and "copia de hace 0 min" in old.caption
    offer.up()


def test_horario_as_a_picture(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 4
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    ask_schedule(botapi, user)
    done = botapi.wait_for(user, lambda m: any(label == words.AS_PICTURE for label, _ in m.buttons))
    picture = press(botapi, user, done, words.AS_PICTURE)
    assert picture.photo is not None and picture.caption == words.PICTURE_CAPTION
    assert struct.unpack(">II", picture.photo[16:24]) == (1080, 1920)


@pytest.mark.bot_env(ADMIN_CHAT_IDS="9999")
def test_an_offer_page_it_cannot_read_tells_the_operators(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 5
    offer.serve_raw(
        RESULTS_PATH, b"<HTML><BODY><TABLE><TR><TH>Otra cosa</TH></TR></TABLE></BODY></HTML>"
    )
    answer = armar(botapi, user, "/armar I5886 D")
    assert answer.photo is None and "SIIAU" in answer.text
    assert botapi.wait_for_text(9999, "página desconocida")


def test_con_mi_horario_fits_around_the_stored_schedule(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 6
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    before = offer.search_count()
    assert (
        armar(botapi, user, "/armar I5886 D con mi horario").text == words.NEEDS_SCHEDULE
    )  # none stored yet
    assert offer.search_count() == before
    ask_schedule(botapi, user)
    # The demo schedule has Mon/Wed 09:00–12:55: I5886 D02 (Mon/Wed 09:00) and I7412 D01 and
    # D02 (Mon/Wed 09:00, 11:00) clash with it; without the option they are in the options.
    plain = armar(botapi, user, "/armar I5886 I7412 D")
    assert "200201" in press(botapi, user, plain, words.PLAN_B).text + plain.caption
    fitted = armar(botapi, user, "/armar I5886 I7412 D con mi horario")
    assert fitted.photo is not None
    plan_b = press(botapi, user, fitted, words.PLAN_B)
    shown = fitted.caption + plan_b.text
    for clashing in ("200102", "200201", "200202"):
        assert clashing not in shown


@pytest.mark.bot_env(CUPOS_MAX_PER_USER="1")
def test_watches_of_full_sections_stop_at_the_limit(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 7
    # Mondays and Wednesdays only: I5886 D01 (07:00) and I7412 D02 (11:00) are full, and
    # the option that takes both comes last of three.
    option = armar(botapi, user, "/armar I5886 I7412 D sin M J V S")
    message_id = option.message_id
    while sum(line.endswith("lleno") for line in option.caption.splitlines()) < 2:
        botapi.user_presses(user, option, words.NEXT)
        shown = option.caption
        option = botapi.wait_for(user, caption_moved_from(message_id, shown))
    told = press(botapi, user, option, words.WATCH_FULL)
    assert "🔔" in told.text and "el máximo" in told.text
    listing = armar(botapi, user, "/cupos")
    assert listing.text.count("NRC") == 1


def test_buttons_work_after_a_restart(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 8
    first = armar(botapi, user, "/armar I5886 I7412 LE201 D")
    bot.restart()  # the plan is made again from its recorded words, under the same id
    botapi.user_presses(user, first, words.NEXT)
    botapi.wait_for(
        user, lambda m: m.message_id == first.message_id and m.caption.startswith("🧩 Opción 2")
    )
    other = USER + 9  # another student pressing the same button: not theirs
    botapi.user_presses(other, first, words.PLAN_B)
    assert armar(botapi, other, "/armar I5886 D hasta 8").text.startswith(
        "😕"
    )  # answered after the press
    assert all("Plan B" not in m.text for m in botapi.bot_messages(other))


def test_an_unknown_centre_shows_the_keyboard_and_a_forged_centre_is_refused(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 10
    armar(botapi, user, "/armar I5886 D")  # D is now remembered
    before = offer.search_count()
    asked = armar(botapi, user, "/armar I5886 I7412 Q")  # no centre Q: the list, at once
    assert "«Q»" in asked.text and words.PICK_CENTRE in asked.text
    assert offer.search_count() == before
    request_id = asked.buttons[0][1].split(":")[2]
    shown = len(botapi.bot_messages(user))
    query = botapi.user_sends_callback(user, asked, SIGNER.data(user, f"ar:c:{request_id}:Q"))
    assert botapi.callback_answer(query) == safety.BUTTON_INVALID
    answered = armar(botapi, user, "/armar I5886 hasta 8")  # answered after the press
    assert "hasta" in answered.text and len(botapi.bot_messages(user)) == shown + 1
    photo = press(botapi, user, asked, "D · C.U. DE CS. EXACTAS E ING.")
    assert photo.caption.startswith("🧩 Opción 1") and "centro D" in photo.caption


GROUP = -1001234567890


def test_armar_in_a_group_points_to_the_private_chat_and_asks_nothing(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 11
    before = offer.search_count()
    asked = botapi.user_says(user, "/armar I5886 I7412 D", chat_id=GROUP, chat_type="supergroup")
    botapi.wait_for_text(GROUP, "escríbeme en privado", after=asked)
    assert offer.search_count() == before and not botapi.photos(GROUP)
    # Its centre was not remembered: in private, the keyboard comes first.
    assert armar(botapi, user, "/armar I5886").text == words.PICK_CENTRE


@pytest.mark.bot_env(ADMIN_CHAT_IDS="9999", PLANNER_OFFER_MAX_AGE_SECONDS="0")
def test_an_unreadable_offer_on_the_watch_button_tells_the_operators(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 12
    option = armar(botapi, user, "/armar I5886 D sin M J V S")  # D01 (07:00, full) comes first
    assert "lleno" in option.caption
    offer.serve_raw(
        RESULTS_PATH, b"<HTML><BODY><TABLE><TR><TH>Otra cosa</TH></TR></TABLE></BODY></HTML>"
    )
    told = press(botapi, user, option, words.WATCH_FULL)
    assert "SIIAU" in told.text
    assert botapi.wait_for_text(9999, "página desconocida")


def test_the_cycle_button_plans_another_cycle(
    bot: BotProcess, botapi: BotApiStandIn, offer: OfferSimulator
) -> None:
    user = USER + 13
    offer.set_offer("202610", "D", planner_offer(date.today())[:4])  # only I5886 in 2026-A
    first = armar(botapi, user, "/armar I5886 I7412 D")
    assert "2026-B" in first.caption
    cycles = press(botapi, user, first, "Ciclo 2026-B")
    assert cycles.text == words.PICK_CYCLE and [label for label, _ in cycles.buttons] == [
        "2026-B",
        "2026-A",
    ]
    older = press(botapi, user, cycles, "2026-A")
    assert older.photo is not None and "2026-A" in older.caption and "I7412" in older.caption
    assert "No está en la oferta" in older.caption
