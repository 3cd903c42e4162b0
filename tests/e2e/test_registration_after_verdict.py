"""SIIAU failing right after it accepted the NIP: the student hears it once, nothing is saved,
and the one SIIAU session is closed (issue 19's early verdict, its unhappy path)."""

from __future__ import annotations

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.helpers import BotProcess, wait_until

USER = 5101
pytestmark = pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")


def test_error_pages_after_the_verdict_end_in_one_plain_answer(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    asked = botapi.user_says(USER, "/registrar")
    botapi.wait_for_text(USER, "código de estudiante", after=asked)
    typed = botapi.user_says(USER, DEMO_CODE)
    botapi.wait_for_text(USER, "escribe tu NIP", after=typed)
    # Every menu page SIIAU serves from now on is its error page: the careers can't be read.
    siiau.inject("error_page", times=50, path_contains="gupmenug.menu")
    nip = botapi.user_says(USER, DEMO_NIP)

    answer = botapi.wait_for_text(
        USER, "Escribe tu NIP otra vez cuando quieras reintentar", after=nip
    )

    # The verdict came first, in the same message the error then replaced.
    assert any("SIIAU aceptó tu NIP" in earlier for earlier in answer.edits), answer.edits
    assert "página de error" in answer.text
    texts_after = [m.text for m in botapi.chat(USER) if m.message_id > nip]
    assert texts_after == [answer.text], "one answer, no career question, nothing saved"
    assert siiau.logins[DEMO_CODE] == 1, "a NIP SIIAU accepted is never sent again"
    assert siiau.wrong_nips.get(DEMO_CODE, 0) == 0
    wait_until(lambda: not siiau.open_sessions(), "the session to be closed")
    assert next(m for m in botapi.chat(USER) if m.message_id == nip).deleted
