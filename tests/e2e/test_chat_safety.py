"""Safety in the chat (issue 10): private chats only, nobody waits for another student's
SIIAU work, /cancelar during verification, nothing hangs after a crash, strict input."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import pytest

from bot.sim.botapi import BOT_USER, BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import common
from bot.telegram.texts import register as register_words
from bot.telegram.texts import schedule as schedule_words
from tests.e2e.test_registration import at_nip_step, register
from tests.e2e.test_weekly import force_due, subscribe_in_chat
from tests.helpers import BotProcess, wait_until

A, B = 5301, 5302
GROUP = -1001234567890
LINK = f"https://t.me/{BOT_USER['username']}?start="


def rows(bot: BotProcess, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(bot.db_path) as db:
        return db.execute(query).fetchall()


def edited_to(shown: ChatMessage, text: str) -> Callable[[ChatMessage], bool]:
    """The message `shown`, once edited to `text`."""
    return lambda m: m.message_id == shown.message_id and m.text == text


def count(bot: BotProcess, table: str) -> int:
    [(found,)] = rows(bot, f"SELECT COUNT(*) FROM {table}")
    assert isinstance(found, int)
    return found


# ---- 1. private chats only -----------------------------------------------------------------
def test_personal_commands_in_a_group_point_to_the_private_chat_and_store_nothing(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    commands = [
        "/registrar",
        "/horario",
        "/estado",
        "/semanal",
        "/olvidar",
        "/cancelar",
        "/start",
        "/ayuda",
        "/cupos I5890 D",
        "/cupos",
    ]
    for command in commands:
        asked = botapi.user_says(A, command, chat_id=GROUP, chat_type="supergroup")
        reply = botapi.wait_for_text(GROUP, "escríbeme en privado", after=asked)
        assert LINK in reply.text
    chatter = botapi.user_says(
        A, "hola a todos, ¿quién va a la clase?", chat_id=GROUP, chat_type="supergroup"
    )
    marker = botapi.user_says(A, "/start", chat_id=GROUP, chat_type="supergroup")
    botapi.wait_for_text(GROUP, "escríbeme en privado", after=marker)
    replies = botapi.bot_messages(GROUP)
    assert len(replies) == len(commands) + 1, "one short reply per command, none to ordinary talk"
    assert all("escríbeme en privado" in m.text for m in replies)
    assert not next(m for m in botapi.chat(GROUP) if m.message_id == chatter).deleted
    for table in (
        "dialogs",
        "users",
        "credentials",
        "progress_messages",
        "cupo_watches",
        "cupo_prefs",
    ):
        assert count(bot, table) == 0, table
    assert botapi.bot_messages(A) == [], "nothing went to the private chat unasked"
    # The link's payload starts the registration in the private chat.
    started = botapi.user_says(A, "/start registrar")
    botapi.wait_for_text(A, "código de estudiante", after=started)
    plain = botapi.user_says(B, "/start estado")
    botapi.wait_for_text(B, "Hola", after=plain)
    assert sum(siiau.logins.values()) == 0


def test_a_nip_typed_in_a_group_is_deleted_never_used_and_warned(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    at_nip_step(botapi, A)
    nip = botapi.user_says(A, DEMO_NIP, chat_id=GROUP, chat_type="group")
    warning = botapi.wait_for_text(GROUP, "No escribas tu código ni tu NIP", after=nip)
    assert LINK in warning.text
    code = botapi.user_says(B, "219000123", chat_id=GROUP, chat_type="group")  # a code, no dialog
    botapi.wait_for_text(GROUP, "No escribas tu código ni tu NIP", after=code)
    botapi.bot_can_delete_in_groups = False  # not an admin: the warning still comes
    undeletable = botapi.user_says(B, "abc12345", chat_id=GROUP, chat_type="group")
    botapi.wait_for_text(GROUP, "No escribas tu código ni tu NIP", after=undeletable)
    by_id = {m.message_id: m for m in botapi.chat(GROUP)}
    assert by_id[nip].deleted and by_id[code].deleted and not by_id[undeletable].deleted
    assert sum(siiau.logins.values()) == 0, "a NIP typed in a group never reaches SIIAU"
    assert rows(bot, "SELECT step FROM dialogs") == [("nip",)], "the private dialog did not move"
    # The private dialog carries on as if nothing had been typed in the group.
    right = botapi.user_says(A, DEMO_NIP)
    botapi.wait_for_text(A, "SIIAU aceptó tus datos", after=right)
    assert rows(bot, f"SELECT chat_id FROM users WHERE id = {A}") == [(A,)]


def test_weekly_delivery_never_goes_to_a_group_chat(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, A, DEMO_CODE, DEMO_NIP)
    subscribe_in_chat(botapi, A)
    with sqlite3.connect(bot.db_path) as db:  # a row the old bot could write: a group's chat id
        db.execute(f"UPDATE users SET chat_id = {GROUP} WHERE id = {A}")
    force_due(bot)
    wait_until(lambda: count(bot, "weekly_deliveries") == 1, "the weekly delivery had no outcome")
    assert rows(bot, "SELECT outcome FROM weekly_deliveries") == [("paused",)]
    assert botapi.documents(GROUP) == [] and botapi.bot_messages(GROUP) == []
    assert botapi.documents(A) == []


# ---- 2. no update waits for another user's SIIAU work --------------------------------------
@pytest.mark.bot_env(SIIAU_READ_TIMEOUT="120")  # SIIAU is held below for as long as it takes
def test_others_are_answered_while_a_verification_hangs_at_siiau(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    at_nip_step(botapi, A)
    siiau.hold()
    nip = botapi.user_says(A, DEMO_NIP)
    wait_until(lambda: siiau.held() >= 1, "A's verification never reached SIIAU")
    hello = botapi.user_says(B, "/start")
    botapi.wait_for_text(B, "Hola", after=hello)
    helped = botapi.user_says(B, "/ayuda")
    botapi.wait_for_text(B, "Hola", after=helped)
    # A's own next message is answered too, while A's verification still hangs.
    again = botapi.user_says(A, "zzsigues")
    botapi.wait_for_text(A, register_words.STILL_VERIFYING, after=again)
    assert siiau.held() >= 1, "B was answered only after A's SIIAU work"
    assert not any("SIIAU aceptó" in m.text for m in botapi.bot_messages(A))
    siiau.release()
    botapi.wait_for_text(A, "SIIAU aceptó tus datos", after=nip)
    assert siiau.logins[DEMO_CODE] == 1


def test_one_users_messages_sent_back_to_back_keep_their_order(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    for _ in range(2):
        first = botapi.user_says(A, "/registrar")  # no waiting between the three
        botapi.user_says(A, DEMO_CODE)
        botapi.user_says(A, DEMO_NIP)
        botapi.wait_for_text(A, "SIIAU aceptó tus datos", after=first)
        replies = [m.text for m in botapi.bot_messages(A) if m.message_id > first]
        assert replies[:2] == [register_words.ASK_CODE, register_words.ASK_NIP], replies
    assert siiau.logins[DEMO_CODE] == 2 and siiau.wrong_nips[DEMO_CODE] == 0


# ---- 4. /cancelar during verification --------------------------------------------------------
@pytest.mark.bot_env(SIIAU_READ_TIMEOUT="120")
def test_cancel_during_verification_saves_nothing(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    at_nip_step(botapi, A)
    siiau.hold()
    nip = botapi.user_says(A, DEMO_NIP)
    progress = botapi.wait_for_text(A, register_words.VERIFYING, after=nip)
    wait_until(lambda: siiau.held() >= 1, "the verification never reached SIIAU")
    cancel = botapi.user_says(A, "/cancelar")
    botapi.wait_for_text(A, register_words.CANCELLED_VERIFYING, after=cancel)
    assert siiau.held() >= 1, "/cancelar was answered only after SIIAU"
    siiau.release()
    botapi.wait_for(
        A,
        lambda m: m.message_id == progress.message_id and m.text == register_words.VERIFY_CANCELLED,
    )
    status = botapi.user_says(A, "/estado")
    botapi.wait_for_text(A, "No tengo datos tuyos", after=status)
    for table in ("users", "credentials", "dialogs", "progress_messages"):
        assert count(bot, table) == 0, table
    assert siiau.logins[DEMO_CODE] == 1
    wait_until(lambda: not siiau.open_sessions(), "the verification did not log out")


def test_cancel_after_the_save_says_it_is_saved_and_how_to_erase_it(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    student = siiau.student("220000001")  # two careers: the data is saved before the choice
    at_nip_step(botapi, A, student.code)
    nip = botapi.user_says(A, student.nip)
    botapi.wait_for_text(A, "más de una carrera", after=nip)
    cancel = botapi.user_says(A, "/cancelar")
    saved = botapi.wait_for_text(A, "ya los guardé", after=cancel)
    assert saved.text == register_words.ALREADY_SAVED and "/olvidar" in saved.text
    again = botapi.user_says(A, "/cancelar")
    reply = botapi.wait_for_text(A, "/olvidar", after=again)
    assert reply.text == register_words.NOTHING_TO_CANCEL_REGISTERED
    status = botapi.user_says(A, "/estado")
    botapi.wait_for_text(A, "Tus datos", after=status)


# ---- 9. after a crash, nothing hangs ------------------------------------------------------
@pytest.mark.bot_env(SIIAU_READ_TIMEOUT="120")
def test_progress_messages_left_by_a_killed_process_are_finished_at_start(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, B, siiau.student("220000003").code, siiau.student("220000003").nip)
    at_nip_step(botapi, A)
    siiau.hold()
    asked = botapi.user_says(B, "/horario")
    downloading = botapi.wait_for_text(B, schedule_words.STAGES["login"], after=asked)
    nip = botapi.user_says(A, DEMO_NIP)
    verifying = botapi.wait_for_text(A, register_words.VERIFYING, after=nip)
    wait_until(lambda: siiau.held() >= 2, "both runs did not reach SIIAU")
    wait_until(
        lambda: count(bot, "progress_messages") == 2, "the progress messages were not recorded"
    )
    bot.kill()
    siiau.release()
    bot.start()
    for user, shown in ((A, verifying), (B, downloading)):
        botapi.wait_for(user, edited_to(shown, common.INTERRUPTED))
    assert count(bot, "progress_messages") == 0
    assert count(bot, "dialogs") == 0, "the interrupted registration is over"
    retry = botapi.user_says(A, "/registrar")
    botapi.wait_for_text(A, "código de estudiante", after=retry)
    document = botapi.user_says(B, "/horario")
    botapi.wait_for(B, lambda m: m.file_id is not None, after=document)
    wait_until(
        lambda: count(bot, "progress_messages") == 0, "a finished /horario left its progress row"
    )


def test_a_dialog_waiting_for_the_nip_expires_across_a_restart_and_says_so(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    at_nip_step(botapi, A)
    before = rows(bot, "SELECT expires_ts FROM dialogs")
    bot.kill()
    bot.start()
    assert rows(bot, "SELECT expires_ts FROM dialogs") == before, (
        "a restart must not extend the dialog"
    )
    with sqlite3.connect(bot.db_path) as db:  # what the clock does in 15 minutes
        db.execute(f"UPDATE dialogs SET expires_ts = {int(time.time()) - 1}")
    nip = botapi.user_says(A, DEMO_NIP)
    reply = botapi.wait_for_text(A, "expiró", after=nip)
    assert reply.text == register_words.DIALOG_EXPIRED
    assert next(m for m in botapi.chat(A) if m.message_id == nip).deleted
    again = botapi.user_says(A, DEMO_NIP)
    botapi.wait_for_text(A, "No entendí", after=again)  # told once
    assert sum(siiau.logins.values()) == 0


# ---- 10. input strictness ---------------------------------------------------------------------
def test_only_ascii_codes_and_nips_written_by_the_student_reach_siiau(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    asked = botapi.user_says(A, "/registrar")
    botapi.wait_for_text(A, "código de estudiante", after=asked)
    fullwidth_code = DEMO_CODE.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    arabic_code = DEMO_CODE.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for code in (fullwidth_code, arabic_code, DEMO_CODE + "\n1"):
        typed = botapi.user_says(A, code)
        botapi.wait_for_text(A, "no parece válido", after=typed)
    typed = botapi.user_says(A, DEMO_CODE)
    botapi.wait_for_text(A, "escribe tu NIP", after=typed)
    fullwidth_nip = botapi.user_says(A, "１２３４")
    botapi.wait_for_text(A, register_words.BAD_NIP_FORMAT, after=fullwidth_nip)
    forwarded = botapi.user_says(A, DEMO_NIP, forwarded=True)
    botapi.wait_for_text(A, register_words.NIP_FORWARDED, after=forwarded)
    repeated = botapi.user_says(A, DEMO_CODE)
    botapi.wait_for_text(A, register_words.NIP_IS_CODE, after=repeated)
    refused = [fullwidth_nip, forwarded, repeated]
    assert sum(siiau.logins.values()) == 0, "SIIAU saw a login for input the bot should refuse"
    by_id = {m.message_id: m for m in botapi.chat(A)}
    assert all(by_id[i].deleted for i in refused), "whatever was typed at the NIP step is deleted"
    right = botapi.user_says(A, DEMO_NIP)
    botapi.wait_for_text(A, "SIIAU aceptó tus datos", after=right)
    assert siiau.logins[DEMO_CODE] == 1 and siiau.wrong_nips[DEMO_CODE] == 0
