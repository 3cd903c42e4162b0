"""/semanal in the chat, and weekly fan-out surviving a kill -9 of the bot."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import generated_student
from bot.telegram.texts import weekly as weekly_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess, pdf_text, wait_until

USER = 9100


def force_due(bot: BotProcess) -> None:
    """What the clock would do on the due day: every active subscription is due now."""
    with sqlite3.connect(bot.db_path) as db:
        db.execute(
            "UPDATE subscriptions SET next_due_ts = CAST(strftime('%s','now') AS INTEGER) - 1"
        )


def subscribe_in_chat(botapi: BotApiStandIn, user: int) -> str:
    asked = botapi.user_says(user, "/semanal")
    menu = botapi.wait_for_text(user, "qué día", after=asked)
    botapi.user_presses(user, menu, weekly_words.WEEKLY_QUICK)
    mode = botapi.wait_for(
        user, lambda m: m.message_id == menu.message_id and m.text == weekly_words.WEEKLY_PICK_MODE
    )
    botapi.user_presses(user, mode, weekly_words.WEEKLY_ALWAYS)
    saved = botapi.wait_for(
        user, lambda m: m.message_id == menu.message_id and m.text.startswith("✅")
    )
    return saved.text


def test_semanal_dialog_status_and_off(bot: BotProcess, botapi: BotApiStandIn) -> None:
    asked = botapi.user_says(USER, "/semanal")
    botapi.wait_for_text(USER, "/registrar", after=asked)
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    saved = subscribe_in_chat(botapi, USER)
    assert "cada lunes a las 07:00" in saved and "Próximo envío: lun" in saved
    asked = botapi.user_says(USER, "/estado")
    status = botapi.wait_for_text(USER, "Tus datos", after=asked)
    assert "Envío semanal: lun 07:00 — próximo: lun" in status.text

    asked = botapi.user_says(USER, "/semanal")
    menu = botapi.wait_for_text(USER, "qué día", after=asked)
    botapi.user_presses(USER, menu, "Vie")
    hours = botapi.wait_for(USER, lambda m: m.message_id == menu.message_id and "Viernes" in m.text)
    botapi.user_presses(USER, hours, "18:00")
    mode = botapi.wait_for(
        USER, lambda m: m.message_id == menu.message_id and m.text == weekly_words.WEEKLY_PICK_MODE
    )
    botapi.user_presses(USER, mode, weekly_words.WEEKLY_ONLY_CHANGES)
    botapi.wait_for(
        USER,
        lambda m: (
            m.message_id == menu.message_id and "viernes a las 18:00 solo cuando cambie" in m.text
        ),
    )

    asked = botapi.user_says(USER, "/semanal off")
    botapi.wait_for_text(USER, "desactivé el envío semanal", after=asked)
    asked = botapi.user_says(USER, "/estado")
    botapi.wait_for_text(USER, "Envío semanal: no activado", after=asked)


def sent_on_record(bot: BotProcess) -> int:
    with sqlite3.connect(bot.db_path) as db:
        return int(
            db.execute("SELECT COUNT(*) FROM weekly_deliveries WHERE outcome = 'sent'").fetchone()[
                0
            ]
        )


def settled(bot: BotProcess, users: int) -> bool:
    """Every user-week has its outcome and no claim is held: nothing can be in flight."""
    with sqlite3.connect(bot.db_path) as db:
        outcomes = db.execute("SELECT COUNT(*) FROM weekly_deliveries").fetchone()[0]
        held = db.execute(
            "SELECT COUNT(*) FROM subscriptions WHERE lease_until_ts IS NOT NULL"
        ).fetchone()[0]
    return bool(outcomes == users and held == 0)


def test_weekly_document_arrives_when_due(bot: BotProcess, botapi: BotApiStandIn) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    subscribe_in_chat(botapi, USER)
    force_due(bot)
    weekly = botapi.wait_for(USER, lambda m: m.file_id is not None)
    assert weekly.caption == weekly_words.WEEKLY_CAPTION_NEW
    assert "SISTEMAS OPERATIVOS" in pdf_text(weekly.document or b"")


# SIIAU is held around the kill below: no read may time out while it is.
@pytest.mark.bot_env(WEEKLY_LEASE_SECONDS="3", SIIAU_MAX_CONCURRENCY="4", SIIAU_READ_TIMEOUT="120")
@pytest.mark.slow
def test_kill_during_fan_out_then_restart_delivers_each_user_once(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    students = {9200 + i: generated_student(i) for i in range(30)}
    for student in students.values():
        siiau.add_student(student)
    threads = [
        threading.Thread(target=register, args=(botapi, u, s.code, s.nip))
        for u, s in students.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sqlite3.connect(bot.db_path) as db:
        db.executemany(
            "INSERT INTO subscriptions (user_id, weekday, hour, only_if_changed, active, next_due_ts, attempts, updated_at)"
            " VALUES (?, 0, 7, 0, 1, 0, 0, CURRENT_TIMESTAMP)",
            [(user,) for user in students],
        )
    siiau.faults.latency = 0.05

    def delivered() -> int:
        return sum(len(botapi.documents(u)) for u in students)

    force_due(bot)
    wait_until(lambda: delivered() >= 8, "the fan-out did not start")
    # Whatever reaches SIIAU or Telegram now waits; once every document Telegram took is on
    # record, a kill can only cut work short (redone later), never a send between the two.
    siiau.hold()
    botapi.hold_documents()
    wait_until(
        lambda: botapi.documents_passing() == 0 and sent_on_record(bot) == delivered(),
        "sent documents never reached the record",
    )
    delivered_before_kill = delivered()
    bot.kill()
    assert delivered_before_kill < len(students), "the kill must land mid fan-out"
    siiau.release()
    botapi.release_documents()
    siiau.faults.latency = 0
    bot.start()
    wait_until(
        lambda: delivered() >= len(students), "not every user was delivered after the restart"
    )
    wait_until(lambda: settled(bot, len(students)), "outcomes were not all recorded")
    assert Counter({u: len(botapi.documents(u)) for u in students}) == Counter(
        {u: 1 for u in students}
    )
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute(
            "SELECT outcome, COUNT(*) FROM weekly_deliveries GROUP BY outcome"
        ).fetchall()
    assert rows == [("sent", len(students))]
