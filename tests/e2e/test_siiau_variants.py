"""Registration and /horario through the real bot on each SIIAU variant the public
evidence shows (PROTOCOL.md, "Added after a second, wider read")."""

from __future__ import annotations

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.e2e.test_registration import at_nip_step, register
from tests.helpers import BotProcess, ask_schedule, pdf_text, wait_until

USER = 8600
TWO_CAREERS = "220000001"


def horario(botapi: BotApiStandIn, user: int) -> str:
    return pdf_text(ask_schedule(botapi, user).document or b"")


def test_student_block_labelled_with_th(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.student_block = "th"
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert "Listo" in botapi.bot_messages(USER)[-1].text
    text = horario(botapi, USER)
    assert "MARTINEZ VIRGEN, KEVIN ALAN" in text and "SISTEMAS OPERATIVOS" in text


@pytest.mark.parametrize("shape", ["code-cycle", "code-name"])
def test_career_options_with_cycle_or_name(
    shape: str, bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.career_options = shape
    student = siiau.student(TWO_CAREERS)
    register(botapi, USER, student.code, student.nip)
    choice = botapi.wait_for_text(USER, "más de una carrera")
    assert [label for label, _ in choice.buttons] == [
        "INGENIERIA EN COMPUTACION (INCO)",
        "LICENCIATURA EN FISICA (LIFI)",
    ]
    botapi.user_presses(USER, choice, "LICENCIATURA EN FISICA (LIFI)")
    botapi.wait_for(USER, lambda m: m.message_id == choice.message_id and "Listo" in m.text)
    assert "MECANICA CUANTICA" in horario(botapi, USER)


def test_a_session_open_elsewhere_is_told_plainly(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.session_open_codes.add(DEMO_CODE)
    at_nip_step(botapi, USER)
    typed = botapi.user_says(USER, DEMO_NIP)
    botapi.wait_for_text(USER, "sesión abierta de SIIAU", after=typed)
    assert siiau.logins[DEMO_CODE] == 0, "step 3 must not be sent while a session is open elsewhere"
    assert siiau.wrong_nips[DEMO_CODE] == 0
    siiau.faults.session_open_codes.clear()
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert "SISTEMAS OPERATIVOS" in horario(botapi, USER)


@pytest.mark.parametrize("paths", [{"portal"}, {"portal", "direct"}])
def test_registration_and_horario_through_the_portal(
    paths: set[str], bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.login_paths = paths
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert "Listo" in botapi.bot_messages(USER)[-1].text
    assert "SISTEMAS OPERATIVOS" in horario(botapi, USER)
    assert siiau.logins_by_path == {"portal": 2}, "auto tries the Portal first, and it works"


def test_a_wrong_nip_on_the_portal_is_told_and_not_retried(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.login_paths = {"portal", "direct"}
    at_nip_step(botapi, USER)
    typed = botapi.user_says(USER, "malnip9")
    botapi.wait_for_text(USER, "no aceptó ese NIP", after=typed)
    assert siiau.wrong_nips[DEMO_CODE] == 1 and siiau.logins[DEMO_CODE] == 1


def test_without_a_schedule_page_the_list_and_the_offer_give_the_schedule(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    """Only REGISTRO → Lista plus the student's offer: sgpregi.horario and sfpcoal.horario are 404."""
    siiau.faults.no_schedule_page = True
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert "Listo" in botapi.bot_messages(USER)[-1].text
    text = horario(botapi, USER)
    assert "MARTINEZ VIRGEN, KEVIN ALAN" in text and "SISTEMAS OPERATIVOS" in text
    assert (
        "VILLASEÑOR MUÑOZ, ANA" in text and "LC05" in text
    )  # professor and room come from the offer
    wait_until(lambda: siiau.open_sessions() == [], "a SIIAU session was left open")


def test_a_course_missing_from_the_offer_is_told_not_dropped(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.no_schedule_page = True
    siiau.faults.offer_missing = {"181002"}  # SISTEMAS OPERATIVOS: the offer has no rows for it
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "no aparece en la oferta", after=asked)
    assert not any(m.file_id for m in botapi.bot_messages(USER)), (
        "a schedule without the course was sent"
    )
    wait_until(lambda: siiau.open_sessions() == [], "a SIIAU session was left open")
