"""The real bot with SIIAU_CAPTURE_DIR: a page it cannot read is saved redacted, and the
operator's notice names the file."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.e2e.test_registration import at_nip_step, register
from tests.helpers import BotProcess
from tests.test_redact import assert_redacted

USER, ADMIN = 8101, 9998


def notice_file(text: str) -> Path:
    found = re.search(r"Guardé la página, sin datos personales, en (\S+)", text)
    assert found, text
    return Path(found.group(1))


def check_capture(bot: BotProcess, siiau: SiiauSimulator, path: Path) -> str:
    if not path.is_absolute():
        path = bot.workdir / path
    assert path.parent == bot.workdir / "capturas" and path.exists()
    assert (
        stat.S_IMODE(path.stat().st_mode) == 0o600
        and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    )
    text = path.read_text(encoding="utf-8")
    assert_redacted(
        text, siiau.student(DEMO_CODE), {v for v in siiau.cookies_issued if len(v) >= 4}
    )
    return text


@pytest.mark.bot_env(ADMIN_CHAT_IDS=str(ADMIN), SIIAU_CAPTURE_DIR="capturas", SIIAU_LOGIN="direct")
def test_a_changed_schedule_page_is_captured_and_the_notice_names_the_file(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.faults.layout_changed = True
    siiau.faults.names_as = "named"
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "SIIAU cambió su página", after=asked)
    notice = botapi.wait_for_text(ADMIN, "página desconocida")
    text = check_capture(bot, siiau, notice_file(notice.text))
    assert "MODALIDAD" in text and "step: schedule page" in text.splitlines()[0]


@pytest.mark.bot_env(ADMIN_CHAT_IDS=str(ADMIN), SIIAU_CAPTURE_DIR="capturas", SIIAU_LOGIN="portal")
def test_an_unknown_answer_to_the_portal_login_is_captured(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.login_paths = {"portal"}
    siiau.faults.portal_breaks_at = "answer"
    at_nip_step(botapi, USER, DEMO_CODE)
    botapi.user_says(USER, DEMO_NIP)
    notice = botapi.wait_for_text(ADMIN, "LoginUnconfirmed")
    text = check_capture(bot, siiau, notice_file(notice.text))
    assert "Error inesperado" in text and "step: portal 2/6" in text.splitlines()[0]


@pytest.mark.bot_env(
    ADMIN_CHAT_IDS=str(ADMIN),
    SIIAU_CAPTURE_DIR="capturas",
    SIIAU_LOGIN="direct",
    SCHEDULE_READ_AT_REGISTRATION="true",
)
def test_a_changed_page_at_registrations_first_read_is_captured_and_the_student_registered(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.layout_changed = True
    siiau.faults.names_as = "named"
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    botapi.wait_for_text(USER, "Listo")  # the first read is a bonus: the registration stands
    notice = botapi.wait_for_text(ADMIN, "página desconocida")
    text = check_capture(bot, siiau, notice_file(notice.text))
    assert "MODALIDAD" in text and "step: schedule page" in text.splitlines()[0]
    assert siiau.logins[DEMO_CODE] == 1
