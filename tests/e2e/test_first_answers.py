"""Issue 19 through the real bot: the verdict the moment SIIAU gives it, the first /horario
from registration's own session, the Portal's shortcut (and its fallback), and a career
that is never a link's text."""

from __future__ import annotations

import sqlite3

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import register as register_words
from bot.telegram.texts import schedule as schedule_words
from tests.e2e.test_registration import at_nip_step, register
from tests.helpers import BotProcess, ask_schedule, pdf_text, wait_until

USER = 9190
READ = pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")


@READ
@pytest.mark.parametrize(
    ("paths", "after_verdict"), [({"direct"}, "gupmenug.menu"), ({"portal"}, "dashboard")]
)
def test_the_verdict_comes_before_the_rest_of_registration(
    bot: BotProcess,
    botapi: BotApiStandIn,
    siiau: SiiauSimulator,
    paths: set[str],
    after_verdict: str,
) -> None:
    siiau.faults.login_paths = paths
    at_nip_step(botapi, USER)
    siiau.hold(after_verdict)  # the first request after SIIAU's verdict waits
    nip = botapi.user_says(USER, DEMO_NIP)
    verdict = botapi.wait_for_text(USER, register_words.VERIFIED_READING, after=nip)
    assert verdict.text.startswith("✅")
    wait_until(lambda: siiau.held() >= 1, "the registration went on after the verdict")
    assert "Listo" not in verdict.text and siiau.held() >= 1, (
        "the verdict did not wait for the rest"
    )
    siiau.release()
    done = botapi.wait_for(USER, lambda m: m.message_id == verdict.message_id and "Listo" in m.text)
    assert done.edits == [register_words.VERIFYING, register_words.VERIFIED_READING]
    assert "INGENIERIA EN COMPUTACION" in done.text
    assert siiau.logins[DEMO_CODE] == 1 and siiau.open_sessions() == []


@READ
def test_a_rejected_nip_is_told_with_no_verdict_of_acceptance(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.login_paths = {"portal"}
    at_nip_step(botapi, USER)
    wrong = botapi.user_says(USER, "equivocado")
    told = botapi.wait_for_text(USER, register_words.NIP_REJECTED_RETRY[:30], after=wrong)
    assert register_words.VERIFIED_READING not in told.edits and siiau.wrong_nips[DEMO_CODE] == 1


@READ
def test_the_first_horario_is_registrations_copy_with_no_second_login(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert siiau.logins[DEMO_CODE] == 1 and siiau.open_sessions() == []
    siiau.hold()  # SIIAU says nothing until released: the copy cannot come from it
    asked = botapi.user_says(USER, "/horario")
    copy = botapi.wait_for(USER, lambda m: m.file_id is not None, after=asked)
    assert [m for m in botapi.bot_messages(USER) if m.message_id > asked][0] is copy, (
        "the copy came first"
    )
    assert copy.caption.startswith("Tu horario 2025-B 📚 guardado el ")
    assert "SISTEMAS OPERATIVOS" in pdf_text(copy.document or b"")
    assert siiau.logins[DEMO_CODE] == 1, "no second login for the first PDF"
    siiau.release()
    botapi.wait_for_text(
        USER, schedule_words.VERIFIED_UNCHANGED, after=asked
    )  # SIIAU's confirmation
    uploads = botapi.uploads
    again = ask_schedule(botapi, USER)  # Telegram holds it now: re-sent by file id
    assert again.file_id == copy.file_id and botapi.uploads == uploads
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT count(*) FROM first_copies").fetchone() == (0,), "the bytes went"


@pytest.mark.bot_env(SIIAU_LOGIN="portal")
@pytest.mark.parametrize("walk_required", [False, True])
def test_the_portal_shortcut_and_its_fallback(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator, walk_required: bool
) -> None:
    siiau.faults.login_paths = {"portal"}
    siiau.faults.menu_walk_required = walk_required
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = pdf_text(
        ask_schedule(botapi, USER).document or b""
    )  # the shortcut is tried, and learned
    assert "SISTEMAS OPERATIVOS" in first
    assert siiau.faults_served["menu_walk_required"] == (1 if walk_required else 0)
    siiau.reset_stats()
    ask_schedule(botapi, USER)  # a returning student: what was learned is used
    assert siiau.faults_served["menu_walk_required"] == 0 and siiau.logins[DEMO_CODE] == 1
    walked = siiau.requests_by_path["/wal/gupmenug.menu_sistema"]
    assert (walked, siiau.requests) == ((1, 12) if walk_required else (0, 9))
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT path, works FROM portal_shortcuts").fetchall() == [
            ("portal", int(not walk_required))
        ]
    assert siiau.open_sessions() == []


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(value, marks=pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION=value))
        for value in ("true", "false")
    ],
)
def test_a_career_is_never_a_links_text(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator, read: str
) -> None:
    siiau.faults.career_links = "actions"  # one career: links "Oferta" and "Horario", majrp=INCO
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    done = botapi.bot_messages(USER)[-1].text
    assert "Listo" in done and "Oferta" not in done and "Horario" not in done
    assert ("(INGENIERIA EN COMPUTACION)" if read == "true" else "(INCO)") in done
    ask_schedule(botapi, USER)  # the schedule page names it (CARRERA): kept from then on
    status = botapi.user_says(USER, "/estado")
    assert (
        "INGENIERIA EN COMPUTACION (INCO)"
        in botapi.wait_for_text(USER, "Tus datos", after=status).text
    )


@READ
def test_a_first_read_that_fails_costs_only_the_instant_copy(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    siiau.faults.layout_changed = True  # the schedule page is one the parser does not know
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert "Listo" in botapi.bot_messages(USER)[-1].text and siiau.logins[DEMO_CODE] == 1
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT count(*) FROM first_copies").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM users").fetchone() == (1,)
    siiau.faults.layout_changed = False
    document = ask_schedule(botapi, USER)  # no copy to show: the run reads and sends it
    assert (
        "SISTEMAS OPERATIVOS" in pdf_text(document.document or b"") and siiau.logins[DEMO_CODE] == 2
    )


@READ
def test_the_first_horario_after_a_restart_is_still_registrations_copy(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    bot.restart()  # the copy lives in the database, not in the process that read it
    siiau.hold()
    asked = botapi.user_says(USER, "/horario")
    copy = botapi.wait_for(USER, lambda m: m.file_id is not None, after=asked)
    assert "SISTEMAS OPERATIVOS" in pdf_text(copy.document or b"")
    assert siiau.logins[DEMO_CODE] == 1, "no second login for the first PDF"
    siiau.release()
    botapi.wait_for_text(USER, schedule_words.VERIFIED_UNCHANGED, after=asked)


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="false")
def test_without_the_read_at_registration_the_first_horario_reads_siiau(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    assert siiau.logins[DEMO_CODE] == 1 and siiau.requests_by_path["/wal/sgpregi.horario"] == 0
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT count(*) FROM first_copies").fetchone() == (0,)
    document = ask_schedule(botapi, USER)
    assert "SISTEMAS OPERATIVOS" in pdf_text(document.document or b"")
    assert siiau.logins[DEMO_CODE] == 2 and siiau.open_sessions() == []
