"""/calificaciones and grade alerts through the real bot process, against the SIIAU simulator.

The simulator posts grades while the bot runs (`siiau.grades.post`). Alerts poll every second
here (GRADES_POLL_SECONDS=1) and the polling window is held open (the simulator's cycle ended
long ago on the real clock), so a posted grade reaches the chat within a few ticks.
"""

from __future__ import annotations

import sqlite3

import pytest

from bot.bootstrap import button_key
from bot.schedule.grades import GradeKind, Posting
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.telegram.buttons import ButtonSigner
from bot.telegram.texts import common
from bot.telegram.texts import forget as forget_words
from bot.telegram.texts import grades as words
from bot.telegram.texts import safety as safety_words
from tests.e2e.test_registration import register
from tests.helpers import TEST_KEY, BotProcess, pdf_text, wait_until

USER = 9400
TOLERANTE = "179961"  # COMPUTACION TOLERANTE A FALLAS, I7036, in the demo student's cycle in course
SISTEMAS = "181002"  # SISTEMAS OPERATIVOS, I7038
FAST_ALERTS = {
    "GRADES_POLL_SECONDS": "1",
    "GRADES_TICK_SECONDS": "0.3",
    "GRADES_JITTER_SECONDS": "0",
    "GRADES_AFTER_DAYS": "100000",
    "GRADES_LEASE_SECONDS": "3",
    "SIIAU_MAX_LOGINS_PER_HOUR": "10000",  # a check a second: far past the guard's hourly cap
}


def ask(botapi: BotApiStandIn, text: str = "/calificaciones") -> int:
    return botapi.user_says(USER, text)


def final_answer(botapi: BotApiStandIn, asked: int) -> ChatMessage:
    """The message that carries the answer's buttons (the last word of a /calificaciones)."""
    return botapi.wait_for(
        USER, lambda m: any(label == words.BUTTON_KARDEX for label, _ in m.buttons), after=asked
    )


def alerts(botapi: BotApiStandIn) -> list[str]:
    return [m.text for m in botapi.bot_messages(USER) if m.text.startswith("📝")]


@pytest.mark.parametrize("path", ["portal", "direct"])
def test_calificaciones_on_both_login_paths(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator, path: str
) -> None:
    siiau.faults.login_paths = {path}
    asked = ask(botapi)
    botapi.wait_for_text(USER, "/registrar", after=asked)
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.grades.post(DEMO_CODE, TOLERANTE, "95")

    answer = final_answer(botapi, ask(botapi))
    assert "I7036 COMPUTACION TOLERANTE A FALLAS: 95 (ordinario)" in answer.text
    assert "I7038 SISTEMAS OPERATIVOS: sin calificación todavía" in answer.text
    assert "Promedio: 88.40" in answer.text and "Créditos faltantes: 380" in answer.text
    assert siiau.logins_by_path[path] >= 2 and siiau.open_sessions() == []

    siiau.grades.post(DEMO_CODE, SISTEMAS, "40")
    asked = ask(botapi)
    saved = botapi.wait_for_text(USER, "guardadas hace", after=asked)
    assert "verificando…" in (saved.edits[0] if saved.edits else saved.text)
    answer = final_answer(botapi, asked)
    assert answer.text.startswith("🆕 Nuevo en SIIAU:\n• SISTEMAS OPERATIVOS: 40 (ordinario)")
    assert "I7038 SISTEMAS OPERATIVOS: 40 (ordinario) ❌" in answer.text

    asked = ask(botapi)
    assert final_answer(botapi, asked).text.startswith(words.NOTHING_NEW)


@pytest.mark.render
def test_kardex_pdf_button(bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.grades.extraordinario.add(DEMO_CODE)
    answer = final_answer(botapi, ask(botapi))
    before = botapi.last_message_id(USER)
    botapi.user_presses(USER, answer, words.BUTTON_KARDEX)
    document = botapi.wait_for(USER, lambda m: m.file_id is not None, after=before)
    assert document.filename == "kardex.pdf" and document.document is not None
    text = pdf_text(document.document)
    for expected in (
        "Calendario 24 A",
        "Calendario 24 B",
        "PROGRAMACION",
        "97 (NOVENTA Y SIETE)",
        "SD (SIN DERECHO)",
        "reprobada",
        "extraordinario",
        "75 (SETENTA Y CINCO)",
        "Promedio: 88.40",
    ):
        assert expected in text, expected
    assert text.index("Calendario 24 A") < text.index("Calendario 24 B")


def test_group_survey_and_unknown_argument(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    in_group = botapi.user_says(USER, "/calificaciones", chat_id=-100500, chat_type="group")
    botapi.wait_for(
        -100500, lambda m: "privado" in m.text.lower() or "t.me/" in m.text, after=in_group
    )
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.grades.survey.add(DEMO_CODE)
    asked = ask(botapi)
    survey = botapi.wait_for_text(USER, words.SURVEY, after=asked)
    assert survey.text == words.survey(f"{siiau.url}/Portal/login.xhtml")
    assert siiau.open_sessions() == []
    siiau.grades.survey.clear()
    siiau.faults.survey_codes = {
        DEMO_CODE
    }  # SIIAU's own survey page in place of every student page
    asked = ask(botapi)
    assert botapi.wait_for_text(USER, words.SURVEY, after=asked).text == survey.text
    siiau.faults.survey_codes = set()
    assert "Ciclo en curso" in final_answer(botapi, ask(botapi)).text
    asked = ask(botapi, "/calificaciones otra cosa")
    botapi.wait_for(USER, lambda m: m.text == words.USAGE, after=asked)


def test_an_alert_once_per_posted_or_changed_grade_across_restarts(
    tmp_path: object, bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    bot.env.update(FAST_ALERTS)
    bot.restart()
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    asked = ask(botapi, "/calificaciones avisar")
    botapi.wait_for(USER, lambda m: m.text == words.ALERTS_ON, after=asked)

    def checks_pass(count: int) -> None:
        start = siiau.logins[DEMO_CODE]
        wait_until(
            lambda: siiau.logins[DEMO_CODE] >= start + count, "grade checks stopped", timeout=90
        )

    siiau.grades.post(DEMO_CODE, TOLERANTE, "95")
    first = words.grade_alert(
        Posting(TOLERANTE, "COMPUTACION TOLERANTE A FALLAS", GradeKind.ORDINARIO, "95")
    )
    botapi.wait_for(USER, lambda m: m.text == first)
    checks_pass(3)
    assert alerts(botapi) == [first]

    bot.restart()  # a graceful restart never sends it again
    checks_pass(3)
    assert alerts(botapi) == [first]

    siiau.grades.post(DEMO_CODE, TOLERANTE, "97")  # corrected
    corrected = first.replace(": 95 (", ": 97 (")
    botapi.wait_for(USER, lambda m: m.text == corrected)
    siiau.grades.post(DEMO_CODE, SISTEMAS, "40")
    siiau.grades.post(DEMO_CODE, SISTEMAS, "70", extraordinaria=True)
    extra = words.grade_alert(
        Posting(SISTEMAS, "SISTEMAS OPERATIVOS", GradeKind.EXTRAORDINARIO, "70")
    )
    botapi.wait_for(USER, lambda m: m.text == extra)

    # kill -9 after a check read a new grade and before its alert went out: SIIAU's logout is
    # held, so the process dies holding the grade in memory only; the next process sends it.
    siiau.hold("salir")
    siiau.grades.post(DEMO_CODE, "180245", "88")
    wait_until(lambda: siiau.held() > 0, "no check reached the logout")
    bot.kill()
    siiau.release()
    bot.start()
    posted = words.grade_alert(
        Posting("180245", "SEMINARIO DE SOLUCION DE PROBLEMAS DE REDES", GradeKind.ORDINARIO, "88")
    )
    botapi.wait_for(USER, lambda m: m.text == posted)
    checks_pass(3)
    sent = alerts(botapi)
    assert len(sent) == len(set(sent)), sent
    assert sent.count(posted) == 1 and sent.count(first) == 1 and sent.count(corrected) == 1
    # The ordinaria 40 and the extraordinaria 70 were both posted between two checks: both announced.
    assert len(sent) == 5, sent

    asked = ask(botapi, "/estado")
    status = botapi.wait_for_text(USER, "Avisos de calificaciones: prendidos", after=asked)
    assert "última revisión" in status.text


def test_olvidar_erases_grades_and_alerts(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.grades.post(DEMO_CODE, TOLERANTE, "95")
    final_answer(botapi, ask(botapi))
    asked = ask(botapi, "/calificaciones avisar")
    botapi.wait_for(USER, lambda m: m.text == words.ALERTS_ON, after=asked)

    def rows() -> list[int]:
        with sqlite3.connect(bot.db_path) as db:
            return [
                db.execute(f"SELECT COUNT(*) FROM {t} WHERE user_id = ?", (USER,)).fetchone()[0]
                for t in ("stored_grades", "grade_watches", "grade_alerts")
            ]

    assert all(rows())
    asked = ask(botapi, "/olvidar")
    confirm = botapi.wait_for(USER, lambda m: bool(m.buttons), after=asked)
    botapi.user_presses(USER, confirm, forget_words.FORGET_YES)
    wait_until(lambda: rows() == [0, 0, 0], "grades left after /olvidar")
    asked = ask(botapi)
    botapi.wait_for(USER, lambda m: m.text == common.NOT_REGISTERED, after=asked)


def test_two_careers_use_the_one_chosen_at_registration(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    student = siiau.student("220000001")
    register(botapi, USER, student.code, student.nip)
    choice = botapi.wait_for_text(USER, "más de una carrera")
    botapi.user_presses(USER, choice, "LICENCIATURA EN FISICA (LIFI)")
    botapi.wait_for(USER, lambda m: m.message_id == choice.message_id and "Listo" in m.text)
    siiau.grades.post(student.code, "190777", "91")
    answer = final_answer(botapi, ask(botapi))
    assert (
        "F1234 MECANICA CUANTICA: 91 (ordinario)" in answer.text
        and "BASES DE DATOS" not in answer.text
    )


def test_forged_presses_on_the_grades_keyboard_are_refused_and_write_nothing(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    leaked = ButtonSigner(button_key(CredentialCipher([TEST_KEY])))
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    answer = final_answer(botapi, ask(botapi))
    genuine = next(d for _, d in answer.buttons if d.startswith("cal:a:1"))
    presses = [
        "cal:a:1",  # unsigned
        genuine.replace("cal:a:1", "cal:a:0", 1),  # a value changed, the tag kept
        leaked.data(USER + 1, "cal:a:1"),  # made for someone else's chat
        leaked.data(USER, "cal:a:2"),  # signed, out of range
        leaked.data(USER, "cal:k:1"),
        "cal:" + "9" * 200,
    ]
    for data in presses:
        query = botapi.user_sends_callback(USER, answer, data)
        assert botapi.callback_answer(query, timeout=30) == safety_words.BUTTON_INVALID, data
    with sqlite3.connect(bot.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM grade_watches").fetchone() == (0,)
    before = botapi.last_message_id(USER)
    botapi.user_presses(USER, answer, words.BUTTON_ALERTS_ON)  # the genuine button still works
    botapi.wait_for(USER, lambda m: m.text == words.ALERTS_ON, after=before)


def test_a_short_poll_interval_is_kept_without_a_tick_setting(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    """Only GRADES_POLL_SECONDS set (as the README names it): checks come that often, not at the
    30 s default tick."""
    bot.env.update(
        {
            k: v
            for k, v in FAST_ALERTS.items()
            if k not in ("GRADES_TICK_SECONDS", "GRADES_JITTER_SECONDS")
        }
    )
    bot.restart()
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    start = siiau.logins[DEMO_CODE]
    asked = ask(botapi, "/calificaciones avisar")
    botapi.wait_for(USER, lambda m: m.text == words.ALERTS_ON, after=asked)
    wait_until(lambda: siiau.logins[DEMO_CODE] > start, "no first grade check", timeout=40)
    siiau.grades.post(DEMO_CODE, TOLERANTE, "95")
    first = words.grade_alert(
        Posting(TOLERANTE, "COMPUTACION TOLERANTE A FALLAS", GradeKind.ORDINARIO, "95")
    )
    botapi.wait_for(USER, lambda m: m.text == first, timeout=12)
