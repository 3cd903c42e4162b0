"""Behaviour under load and failure: admission, fairness, operator notices."""

from __future__ import annotations

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.e2e.test_registration import register
from tests.helpers import BotProcess, ask_schedule, wait_until

USER, OTHER, ADMIN = 8001, 8002, 9999


@pytest.mark.bot_env(SIIAU_READ_TIMEOUT="120")  # SIIAU is held below for as long as it takes
def test_second_horario_while_one_runs_is_refused_and_others_are_not_blocked(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.hold()  # the first /horario's login waits at SIIAU until released
    first = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "Iniciando sesión", after=first)
    wait_until(lambda: siiau.held() == 1, "the login never reached SIIAU")
    second = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "Ya estoy sacando tu horario", after=second)
    hello = botapi.user_says(OTHER, "/start")
    botapi.wait_for_text(OTHER, "Hola", after=hello)
    assert siiau.held() == 1 and botapi.documents(USER) == [], (
        "answered only after the slow /horario"
    )
    siiau.release()
    botapi.wait_for(USER, lambda m: m.file_id is not None, after=first)
    assert len(botapi.documents(USER)) == 1


@pytest.mark.bot_env(HORARIO_PER_MINUTE="2")
def test_per_user_rate_limit(bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    for _ in range(2):
        ask_schedule(botapi, USER)
    logins = siiau.logins[DEMO_CODE]
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "Espera un minuto", after=asked)
    assert siiau.logins[DEMO_CODE] == logins


@pytest.mark.bot_env(ADMIN_CHAT_IDS=str(ADMIN))
def test_layout_change_tells_the_user_and_the_operator(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.faults.layout_changed = True
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "SIIAU cambió su página", after=asked)
    notice = botapi.wait_for_text(ADMIN, "página desconocida")
    assert "MODALIDAD" in notice.text
    assert "MARTINEZ" not in notice.text and DEMO_CODE not in notice.text


@pytest.mark.bot_env(ADMIN_CHAT_IDS=str(ADMIN), SIIAU_BREAKER_THRESHOLD="2", SIIAU_RETRIES="0")
def test_repeated_failures_reach_the_operator_once(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    for user in (USER, OTHER):
        register(
            botapi,
            user,
            DEMO_CODE if user == USER else "220000003",
            DEMO_NIP if user == USER else "acento9",
        )
    siiau.faults.maintenance = True
    for user in (USER, OTHER, USER):
        asked = botapi.user_says(user, "/horario")
        botapi.wait_for_text(user, "SIIAU no responde", after=asked)
    notice = botapi.wait_for_text(ADMIN, "falla repetidamente")
    assert notice.text
    assert len(botapi.bot_messages(ADMIN)) == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("survey", "encuesta"),
        ("locked", "bloqueó tu cuenta"),
        ("empty", "No tienes materias"),
    ],
)
def test_each_failure_reaches_the_student_in_plain_spanish(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator, fault: str, expected: str
) -> None:
    code, nip = ("220000002", "vacio1") if fault == "empty" else (DEMO_CODE, DEMO_NIP)
    register(botapi, USER, code, nip)
    if fault == "survey":
        siiau.faults.survey_codes.add(code)
    if fault == "locked":
        siiau.wrong_nips[code] = 5
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, expected, after=asked)
