"""Forged, stale and out-of-range button presses through the real bot process: each gets
«Ese botón ya no es válido», nothing is written, nothing raises.

The adversarial pass's presses are among them: a hand-made `cu:w:…` with the cycle
999999, a clave `' OR 1=1--`, `<B>X</B>`, `IL355&CUP=Q`; ids past 64 bits.
"""

from __future__ import annotations

import sqlite3

from bot.bootstrap import button_key
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.offer_server import OfferSimulator
from bot.store.crypto import CredentialCipher
from bot.telegram.buttons import ButtonSigner
from bot.telegram.texts import common
from bot.telegram.texts import forget as forget_words
from bot.telegram.texts import safety as words
from tests.e2e.test_cupos import CYCLE, offer, section  # noqa: F401 - `offer` is the fixture
from tests.e2e.test_registration import register
from tests.helpers import TEST_KEY, BotProcess

USER, STRANGER = 9411, 9412
# Signed with the bot's own key: what a press would be if the signature were the only check.
LEAKED = ButtonSigner(button_key(CredentialCipher([TEST_KEY])))


def keyboard(botapi: BotApiStandIn, command: str, fragment: str) -> ChatMessage:
    asked = botapi.user_says(USER, command)
    return botapi.wait_for(USER, lambda m: fragment in m.text and bool(m.buttons), after=asked)


def tampered(message: ChatMessage, old: str, new: str) -> str:
    """A genuine button of `message` with a value changed and its tag kept."""
    data = next(d for _, d in message.buttons if old in d)
    return data.replace(old, new, 1)


def test_forged_presses_on_every_keyboard_are_refused_and_write_nothing(
    bot: BotProcess,
    botapi: BotApiStandIn,
    siiau: SiiauSimulator,
    offer: OfferSimulator,  # noqa: F811
) -> None:
    offer.set_offer(CYCLE, "D", [section("180245", "I5890", "D11", "0700-0855", "MJ", 0)])
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    weekly = keyboard(botapi, "/semanal", "")
    daily = keyboard(botapi, "/diario", "")
    reminders = keyboard(botapi, "/recordatorio", "")
    cupos = keyboard(botapi, "/cupos I5890 D", "libres")
    forget = keyboard(botapi, "/olvidar", "No se puede deshacer")
    genuine_watch = next(d for _, d in cupos.buttons if d.startswith("cu:w:") and ":180245~" in d)
    presses: list[tuple[ChatMessage, str]] = [
        # no signature: what the bot accepted before
        (weekly, "wk:set:0:7:0"),
        (daily, "dly:h:7"),
        (reminders, "dly:r:10"),
        (forget, "forget:yes"),
        (cupos, "cu:w:999999:D:' OR 1=1--:180245"),
        (cupos, "cu:w:202620:D:<B>X</B>:*"),
        (cupos, "cu:w:202620:D:IL355&CUP=Q:*"),
        (cupos, "cu:x:99999999999999999999"),
        # a genuine button, a value changed
        (weekly, tampered(weekly, "wk:mode:0:7", "wk:mode:0:8")),
        (daily, tampered(daily, "dly:h:5", "dly:h:6")),
        (cupos, genuine_watch.replace(":180245~", ":180246~")),
        # made for someone else's chat
        (weekly, LEAKED.data(STRANGER, "wk:set:0:7:0")),
        (forget, LEAKED.data(STRANGER, "forget:yes")),
        (cupos, LEAKED.data(STRANGER, "cu:w:202620:D:I5890:*")),
        # signed for this chat, yet out of range: parsed like typed input
        (weekly, LEAKED.data(USER, "wk:set:9:7:0")),
        (weekly, LEAKED.data(USER, "wk:set:0:99999999999999999999:0")),
        (daily, LEAKED.data(USER, "dly:h:99")),
        (reminders, LEAKED.data(USER, "dly:r:11")),
        (cupos, LEAKED.data(USER, "cu:w:999999:D:I5890:*")),
        (cupos, LEAKED.data(USER, "cu:w:202620:D:' OR 1=1--:*")),
        (cupos, LEAKED.data(USER, "cu:x:99999999999999999999")),
        (cupos, LEAKED.data(USER, "cu:x:2147483648")),
        (forget, LEAKED.data(USER, "forget:si")),
        # over-long, and no data a client could make up
        (cupos, "cu:x:" + "9" * 200),
        (weekly, "wk:" + "ñ" * 40),
        (forget, "~"),
    ]
    for message, data in presses:
        query = botapi.user_sends_callback(USER, message, data)
        assert botapi.callback_answer(query, timeout=30) == words.BUTTON_INVALID, data
    # A press signed for this chat with a well-formed cycle the offer does not have: refused too.
    after = botapi.last_message_id(USER)
    botapi.user_sends_callback(USER, cupos, LEAKED.data(USER, "cu:w:209910:D:I5890:*"))
    assert botapi.wait_for(USER, lambda m: m.text == words.BUTTON_INVALID, after=after)

    kept = botapi.last_message_id(USER)
    botapi.user_presses(USER, forget, forget_words.FORGET_NO)  # the genuine button still works
    botapi.wait_for(
        USER, lambda m: m.message_id == forget.message_id and m.text == forget_words.FORGET_KEPT
    )
    assert kept == botapi.last_message_id(USER), "no message was sent for any refused press"
    assert bot.stop() == 0
    log = bot.log_text()
    assert "Traceback" not in log and "handler failed" not in log
    assert not any(common.UNEXPECTED in m.text for m in botapi.bot_messages(USER))
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (1,), (
            "a forged «Sí, borrar» erased nothing"
        )
        for table in ("subscriptions", "daily_settings", "cupo_watches"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
    assert offer.search_count("' OR 1=1--") == 0 and offer.search_count("IL355&CUP=Q") == 0
