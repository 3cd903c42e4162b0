"""/diario and /recordatorio through the real bot: the inline keyboards set, answer and stop them.

The sending itself runs on the bot's real clock, so it is tested at the service level on an
injected clock and through the Bot API stand-in (tests/test_daily.py), not here.
"""

from __future__ import annotations

import sqlite3

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP
from bot.telegram.texts import daily as daily_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess

USER = 9300


def settings_row(bot: BotProcess) -> tuple[int | None, int | None, int | None, int | None]:
    with sqlite3.connect(bot.db_path) as db:
        row = db.execute(
            "SELECT digest_hour, digest_due_ts, reminder_minutes, reminder_due_ts FROM daily_settings WHERE user_id = ?",
            (USER,),
        ).fetchone()
    return tuple(row) if row else (None, None, None, None)


def stored_schedules(bot: BotProcess) -> int:
    with sqlite3.connect(bot.db_path) as db:
        return int(
            db.execute(
                "SELECT COUNT(*) FROM stored_schedules WHERE user_id = ?", (USER,)
            ).fetchone()[0]
        )


def test_diario_and_recordatorio_set_by_keyboard_answered_and_turned_off(
    bot: BotProcess, botapi: BotApiStandIn
) -> None:
    asked = botapi.user_says(USER, "/diario")
    botapi.wait_for_text(USER, "/registrar", after=asked)
    register(botapi, USER, DEMO_CODE, DEMO_NIP)

    asked = botapi.user_says(USER, "/diario")
    menu = botapi.wait_for_text(USER, "¿A qué hora", after=asked)
    assert "Resumen diario: apagado." in menu.text
    assert [label for label, _ in menu.buttons] == [f"{h:02d}:00" for h in range(5, 13)]
    has_schedule = stored_schedules(bot) == 1
    botapi.user_presses(USER, menu, "07:00")
    saved = botapi.wait_for(
        USER, lambda m: m.message_id == menu.message_id and m.text.startswith("✅")
    )
    assert saved.text == daily_words.daily_saved(7, has_schedule)
    hour, due, _, _ = settings_row(bot)
    assert hour == 7 and due is not None

    if not has_schedule:  # the reply asked for /horario once: after it, the note is gone
        asked = botapi.user_says(USER, "/horario")
        botapi.wait_for(USER, lambda m: m.file_id is not None, after=asked)
    asked = botapi.user_says(USER, "/recordatorio")
    menu = botapi.wait_for_text(USER, "¿Cuánto antes", after=asked)
    assert [label for label, _ in menu.buttons] == [
        "10 min",
        "15 min",
        "30 min",
        "60 min",
        daily_words.REMINDER_OFF,
    ]
    botapi.user_presses(USER, menu, "15 min")
    saved = botapi.wait_for(
        USER, lambda m: m.message_id == menu.message_id and m.text.startswith("✅")
    )
    assert saved.text == daily_words.reminder_saved(15, True)
    assert settings_row(bot)[2] == 15

    asked = botapi.user_says(USER, "/diario")
    menu = botapi.wait_for_text(USER, "¿A qué hora", after=asked)
    assert "activado a las 07:00" in menu.text
    botapi.user_presses(USER, menu, daily_words.DAILY_OFF)
    botapi.wait_for(
        USER, lambda m: m.message_id == menu.message_id and m.text == daily_words.DAILY_TURNED_OFF
    )
    asked = botapi.user_says(USER, "/recordatorio")
    menu = botapi.wait_for_text(USER, "Recordatorios: 15 min", after=asked)
    botapi.user_presses(USER, menu, daily_words.REMINDER_OFF)
    botapi.wait_for(
        USER,
        lambda m: m.message_id == menu.message_id and m.text == daily_words.REMINDER_TURNED_OFF,
    )
    assert settings_row(bot) == (None, None, None, None)
