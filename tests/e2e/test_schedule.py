from __future__ import annotations

import threading

import pytest

from bot.siiau.errors import SiiauUnavailable
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import generated_student, group_tag
from bot.telegram.texts import common
from bot.telegram.texts import forget as forget_words
from bot.telegram.texts import schedule as schedule_words
from bot.telegram.texts import status as status_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess, ask_schedule, pdf_text, wait_until

USER = 6001
DEMO_COURSES = [
    "COMPUTACION TOLERANTE A FALLAS",
    "SEMINARIO DE SOLUCION DE PROBLEMAS DE REDES",
    "SISTEMAS OPERATIVOS",
    "INGLES IV",
    "179961",
    "180245",
    "181002",
    "182310",
    "VILLASEÑOR MUÑOZ, ANA",
    "PEÑA GARCIA, JOSE",
    "07:00–08:55",
    "13:00–14:55",
    "Sábado",
]


def test_horario_before_registering_says_what_to_do(bot: BotProcess, botapi: BotApiStandIn) -> None:
    asked = botapi.user_says(USER, "/horario")
    reply = botapi.wait_for_text(USER, "/registrar", after=asked)
    assert reply.text == common.NOT_REGISTERED


def test_horario_sends_the_pdf_with_progress(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    document = ask_schedule(botapi, USER)
    assert document.filename == "horario_202520.pdf"
    assert document.document is not None and document.document.startswith(b"%PDF")
    text = pdf_text(document.document)
    for expected in DEMO_COURSES:
        assert expected in text, expected
    progress = botapi.wait_for_text(USER, schedule_words.DONE)
    assert progress.edits[:3] == [
        schedule_words.STAGES["login"],
        schedule_words.STAGES["fetch"],
        schedule_words.STAGES["pdf"],
    ]
    assert botapi.chat_actions[USER] >= 1
    assert siiau.open_sessions() == []


def test_unchanged_schedule_is_resent_without_upload(
    bot: BotProcess, botapi: BotApiStandIn
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = ask_schedule(botapi, USER)
    uploads = botapi.uploads
    second = ask_schedule(botapi, USER)
    assert second.file_id == first.file_id
    assert botapi.uploads == uploads
    assert "guardado el" in second.caption


def sent_after(botapi: BotApiStandIn, asked: int) -> list[ChatMessage]:
    return [m for m in botapi.bot_messages(USER) if m.message_id > asked]


def test_a_returning_student_gets_the_saved_pdf_before_siiau_answers(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = ask_schedule(botapi, USER)
    uploads = botapi.uploads
    siiau.hold()  # SIIAU says nothing until released
    asked = botapi.user_says(USER, "/horario")
    copy = botapi.wait_for(USER, lambda m: m.file_id is not None, after=asked)
    wait_until(lambda: siiau.held() >= 1, "the check with SIIAU never started")
    assert sent_after(botapi, asked)[0] is copy, "the saved PDF is the first thing the student sees"
    assert copy.file_id == first.file_id and copy.caption.startswith(
        "Tu horario 2025-B 📚 guardado el "
    )
    siiau.release()
    botapi.wait_for(USER, lambda m: m.text == schedule_words.VERIFIED_UNCHANGED, after=asked)
    assert [m.file_id for m in sent_after(botapi, asked) if m.file_id] == [first.file_id]
    assert botapi.uploads == uploads and siiau.open_sessions() == []


def test_a_changed_schedule_follows_the_saved_pdf_with_what_changed(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = ask_schedule(botapi, USER)
    courses = siiau.student(DEMO_CODE).careers[0].courses
    courses.remove(next(c for c in courses if c.name == "INGLES IV"))
    asked = botapi.user_says(USER, "/horario")
    newer = ask_schedule_result(botapi, asked)
    documents = [m for m in sent_after(botapi, asked) if m.file_id]
    assert [d.file_id for d in documents] == [
        first.file_id,
        newer.file_id,
    ] and newer.file_id != first.file_id
    assert "cambió en SIIAU" in newer.caption and "Quitada: INGLES IV" in newer.caption
    assert "INGLES IV" not in pdf_text(newer.document or b"")


def ask_schedule_result(botapi: BotApiStandIn, asked: int) -> ChatMessage:
    botapi.wait_for(USER, lambda m: m.text == schedule_words.DONE, after=asked)
    return [m for m in sent_after(botapi, asked) if m.file_id][-1]


def test_siiau_down_leaves_the_saved_pdf_and_says_so(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = ask_schedule(botapi, USER)
    siiau.faults.maintenance = True
    asked = botapi.user_says(USER, "/horario")
    failure = botapi.wait_for_text(USER, "copia guardada", after=asked)
    assert failure.text.startswith(common.ERRORS[SiiauUnavailable])
    assert [m.file_id for m in sent_after(botapi, asked) if m.file_id] == [first.file_id]


def test_a_refused_file_id_is_rendered_again_on_the_record_and_uploaded(
    bot: BotProcess, botapi: BotApiStandIn
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    first = ask_schedule(botapi, USER)
    botapi.forget_files()  # Telegram no longer takes the file id the bot kept
    second = ask_schedule(botapi, USER)
    assert second.file_id != first.file_id and botapi.uploads == 2
    assert "SISTEMAS OPERATIVOS" in pdf_text(second.document or b"")
    third = ask_schedule(botapi, USER)
    assert third.file_id == second.file_id and botapi.uploads == 2, (
        "the new file id is the one kept"
    )
    asked = botapi.user_says(USER, "/estado")
    assert (
        status_words.RUN_OUTCOMES["rendered"]
        in botapi.wait_for_text(USER, "Tus datos", after=asked).text
    )


def test_status_lists_runs_and_forget_erases_everything(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    ask_schedule(botapi, USER)
    asked = botapi.user_says(USER, "/estado")
    status = botapi.wait_for_text(USER, "Tus datos", after=asked)
    assert "******382" in status.text and DEMO_CODE not in status.text
    assert "INGENIERIA EN COMPUTACION (INCO)" in status.text
    assert "entregado" in status.text and "datos verificados" in status.text
    assert "sesión" in status.text and "PDF" in status.text

    asked = botapi.user_says(USER, "/olvidar")
    confirm = botapi.wait_for_text(USER, "No se puede deshacer", after=asked)
    botapi.user_presses(USER, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        USER, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    asked = botapi.user_says(USER, "/estado")
    botapi.wait_for_text(USER, "No tengo datos tuyos", after=asked)
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "/registrar", after=asked)

    import sqlite3

    with sqlite3.connect(bot.db_path) as db:
        for table in ("users", "credentials", "flow_runs", "task_runs", "documents"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_forget_can_be_declined(bot: BotProcess, botapi: BotApiStandIn) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    asked = botapi.user_says(USER, "/olvidar")
    confirm = botapi.wait_for_text(USER, "No se puede deshacer", after=asked)
    botapi.user_presses(USER, confirm, forget_words.FORGET_NO)
    botapi.wait_for(
        USER, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGET_KEPT
    )
    asked = botapi.user_says(USER, "/estado")
    botapi.wait_for_text(USER, "Tus datos", after=asked)


@pytest.mark.slow
def test_twenty_users_at_once_each_get_their_own(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    students = [generated_student(i) for i in range(20)]
    for student in students:
        siiau.add_student(student)
    users = {7000 + i: s for i, s in enumerate(students)}
    threads = [
        threading.Thread(target=register, args=(botapi, u, s.code, s.nip)) for u, s in users.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    asked = {user: botapi.user_says(user, "/horario") for user in users}
    for user, student in users.items():
        botapi.wait_for(
            user, lambda m: m.text == schedule_words.DONE, after=asked[user]
        )  # after its logout
        document = botapi.wait_for(user, lambda m: m.file_id is not None, after=asked[user])
        text = pdf_text(document.document or b"")
        assert f"ALUMNO {group_tag(students.index(student))}" in text
        assert sum(group_tag(i) in text for i in range(len(students))) == 1
    assert siiau.peak_sessions <= 4
    assert siiau.overlapping_logins == 0
    assert siiau.open_sessions() == []


def test_siiau_down_then_clear_message_then_recovery(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.faults.maintenance = True
    asked = botapi.user_says(USER, "/horario")
    failure = botapi.wait_for_text(USER, "SIIAU no responde", after=asked)
    assert failure.text == common.ERRORS[SiiauUnavailable]
    siiau.faults.maintenance = False
    document = ask_schedule(botapi, USER)
    assert "SISTEMAS OPERATIVOS" in pdf_text(document.document or b"")


def test_changed_nip_pauses_the_account_and_never_retries(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    siiau.student(DEMO_CODE).nip = "nuevo123"
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "tu NIP cambió: usa /registrar", after=asked)
    asked = botapi.user_says(USER, "/horario")
    botapi.wait_for_text(USER, "Tu NIP cambió", after=asked)
    assert siiau.wrong_nips[DEMO_CODE] == 1, "a rejected NIP must not be tried again"


def test_restart_loses_nothing(bot: BotProcess, botapi: BotApiStandIn) -> None:
    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    bot.restart()
    document = ask_schedule(botapi, USER)
    assert "INGLES IV" in pdf_text(document.document or b"")
