from __future__ import annotations

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import register as register_words
from tests.helpers import BotProcess, ask_schedule, pdf_text

USER = 5001
# Registration as shipped: it reads the first schedule in its own SIIAU session, which is also
# where a career named only by its code in the menu gets its name (CARRERA).
pytestmark = pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")


def at_nip_step(botapi: BotApiStandIn, user: int, code: str = DEMO_CODE) -> None:
    """/registrar and the code, up to the bot asking for the NIP."""
    asked = botapi.user_says(user, "/registrar")
    botapi.wait_for_text(user, "código de estudiante", after=asked)
    typed = botapi.user_says(user, code)
    botapi.wait_for_text(user, "escribe tu NIP", after=typed)


def register(botapi: BotApiStandIn, user: int, code: str, nip: str) -> None:
    at_nip_step(botapi, user, code)
    after = botapi.last_message_id(user)
    botapi.user_says(user, nip)
    botapi.wait_for(user, lambda m: "Listo" in m.text or "carrera" in m.text, after=after)


def test_wrong_nip_then_right_one(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "NIP")
    wrong = botapi.user_says(USER, "equivocado")
    botapi.wait_for_text(USER, register_words.NIP_REJECTED_RETRY[:30], after=wrong)
    right = botapi.user_says(USER, DEMO_NIP)
    done = botapi.wait_for_text(USER, "SIIAU aceptó tus datos", after=right)
    assert "INGENIERIA EN COMPUTACION" in done.text
    nip_messages = [m for m in botapi.chat(USER) if m.message_id in (wrong, right)]
    assert all(m.deleted for m in nip_messages)
    assert siiau.wrong_nips[DEMO_CODE] == 1
    assert siiau.logins[DEMO_CODE] == 2


def test_malformed_code_is_asked_again(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    bad = botapi.user_says(USER, "12ab")
    botapi.wait_for_text(USER, "no parece válido", after=bad)
    too_short = botapi.user_says(USER, "123456")
    botapi.wait_for_text(USER, "no parece válido", after=too_short)
    good = botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "escribe tu NIP", after=good)
    assert sum(siiau.logins.values()) == 0, "a malformed code must never reach SIIAU"


def test_cancel_at_nip_step_saves_nothing(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "NIP")
    cancel = botapi.user_says(USER, "/cancelar")
    botapi.wait_for_text(USER, "cancelado", after=cancel)
    status = botapi.user_says(USER, "/estado")
    botapi.wait_for_text(USER, "No tengo datos tuyos", after=status)
    text = botapi.user_says(USER, DEMO_NIP)  # outside any dialog now
    botapi.wait_for_text(USER, "No entendí", after=text)
    assert sum(siiau.logins.values()) == 0


def test_two_rejected_nips_stop_the_dialog(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "NIP")
    first = botapi.user_says(USER, "malo1")
    botapi.wait_for_text(USER, "no aceptó ese NIP", after=first)
    second = botapi.user_says(USER, "malo2")
    stop = botapi.wait_for_text(USER, "paro aquí", after=second)
    assert "5 intentos" in stop.text
    third = botapi.user_says(USER, "malo3")
    botapi.wait_for_text(USER, "No entendí", after=third)
    assert siiau.wrong_nips[DEMO_CODE] == 2
    by_id = {m.message_id: m for m in botapi.chat(USER)}
    assert by_id[first].deleted and by_id[second].deleted


def test_two_careers_pick_one(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    student = siiau.student("220000001")
    register(botapi, USER, student.code, student.nip)
    choice = botapi.wait_for_text(USER, "más de una carrera")
    assert [label for label, _ in choice.buttons] == [
        "INGENIERIA EN COMPUTACION (INCO)",
        "LICENCIATURA EN FISICA (LIFI)",
    ]
    botapi.user_presses(USER, choice, "LICENCIATURA EN FISICA (LIFI)")
    botapi.wait_for(
        USER,
        lambda m: m.message_id == choice.message_id and "FISICA" in m.text and "Listo" in m.text,
    )
    text = pdf_text(ask_schedule(botapi, USER).document or b"")
    assert "MECANICA CUANTICA" in text and "BASES DE DATOS" not in text


def test_registering_again_replaces_the_record(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    other = siiau.student("220000003")
    register(botapi, USER, other.code, other.nip)
    status = botapi.user_says(USER, "/estado")
    reply = botapi.wait_for_text(USER, "Tus datos", after=status)
    assert "******003" in reply.text and "BIOLOGIA" in reply.text


def test_nip_is_deleted_on_every_path(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "NIP")
    malformed = botapi.user_says(USER, "no es un nip!")
    botapi.wait_for_text(USER, "de 1 a 10 letras o números", after=malformed)
    siiau.faults.maintenance = True
    while_down = botapi.user_says(USER, DEMO_NIP)
    botapi.wait_for_text(USER, "SIIAU no responde", after=while_down)
    siiau.faults.maintenance = False
    retry = botapi.user_says(USER, DEMO_NIP)
    botapi.wait_for_text(USER, "SIIAU aceptó tus datos", after=retry)
    by_id = {m.message_id: m for m in botapi.chat(USER)}
    assert by_id[malformed].deleted and by_id[while_down].deleted and by_id[retry].deleted


def test_cancel_at_code_step(bot: BotProcess, botapi: BotApiStandIn) -> None:
    botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante")
    cancel = botapi.user_says(USER, "/cancelar")
    botapi.wait_for_text(USER, "cancelado", after=cancel)
    code = botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "No entendí", after=code)
