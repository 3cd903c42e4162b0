"""`/olvidar` wins over work in flight: once the erase is confirmed, nothing begun before it
reaches the student (no progress edit, no document, no error, no weekly delivery), and
nothing is left stored."""

from __future__ import annotations

import sqlite3

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import forget as forget_words
from tests.e2e.test_registration import register
from tests.e2e.test_weekly import force_due, subscribe_in_chat
from tests.helpers import BotProcess, wait_until


def said_to(botapi: BotApiStandIn, user: int, since: int) -> list[str]:
    """What the bot sent or edited in the user's chat after transcript line `since`."""
    return [line for line in botapi.transcript[since:] if line.startswith(f"[{user}] <")]


@pytest.mark.parametrize("held_at", ["login", "schedule"])
def test_nothing_from_a_horario_in_flight_reaches_the_student_after_olvidar(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator, held_at: str
) -> None:
    user = 6211
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    # Held at SIIAU's first request (before the login), or once the login is in (the
    # schedule page): the PDF came 1-3 s after «Listo» from a run past its login.
    siiau.hold(None if held_at == "login" else "horario")
    botapi.user_says(user, "/horario")
    wait_until(lambda: siiau.held() >= 1, "the run never reached SIIAU")
    forget = botapi.user_says(user, "/olvidar")
    confirm = botapi.wait_for_text(user, "No se puede deshacer", after=forget)
    botapi.user_presses(user, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        user, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    erased_at = len(botapi.transcript)
    siiau.release()
    wait_until(
        lambda: "user forgotten mid-run" in bot.log_text(), "the run never ended", timeout=60
    )
    assert bot.stop() == 0  # waits for the run's last steps
    assert said_to(botapi, user, erased_at) == [], botapi.transcript[erased_at:]
    log = bot.log_text()
    assert "Traceback" not in log and "handler failed" not in log
    assert siiau.open_sessions() == [], "the run still logged out"
    with sqlite3.connect(bot.db_path) as db:
        for table in (
            "users",
            "credentials",
            "flow_runs",
            "task_runs",
            "documents",
            "stored_schedules",
        ):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_a_student_who_comes_back_after_olvidar_is_answered(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    user = 6212
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    forget = botapi.user_says(user, "/olvidar")
    confirm = botapi.wait_for_text(user, "No se puede deshacer", after=forget)
    botapi.user_presses(user, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        user, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    register(botapi, user, DEMO_CODE, DEMO_NIP)  # work begun after the erase: answered as ever
    asked = botapi.user_says(user, "/horario")
    document = botapi.wait_for(user, lambda m: m.document is not None, after=asked)
    assert document.filename is not None and document.filename.endswith(".pdf")


def test_nothing_from_a_weekly_delivery_in_flight_reaches_the_student_after_olvidar(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    user = 6213
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    subscribe_in_chat(botapi, user)
    siiau.hold("horario")
    force_due(bot)
    wait_until(lambda: siiau.held() >= 1, "the weekly delivery never reached SIIAU")
    forget = botapi.user_says(user, "/olvidar")
    confirm = botapi.wait_for_text(user, "No se puede deshacer", after=forget)
    botapi.user_presses(user, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        user, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    erased_at = len(botapi.transcript)
    siiau.release()
    wait_until(
        lambda: "user forgotten mid-run" in bot.log_text(), "the delivery never ended", timeout=60
    )
    assert bot.stop() == 0
    assert said_to(botapi, user, erased_at) == [], botapi.transcript[erased_at:]
    assert "Traceback" not in bot.log_text()
    with sqlite3.connect(bot.db_path) as db:
        for table in ("users", "subscriptions", "weekly_deliveries", "schedule_snapshots"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
