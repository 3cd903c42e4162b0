"""Friends and groups through the real bot process: invite → accept → /libres with known gaps,
every bad input, removal, /amigos nuevo, /olvidar, and a group's common free time (who counts,
withdrawal, a member leaving, and that no class ever reaches the group).

The bot reads the wall clock, so each expected answer is built for the moments just before and
after the command (today through Saturday, days off from the shipped file); the windows of a
school day are written out literally: they are the known gaps of the students below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from bot.bootstrap import button_key
from bot.core.records import utcnow
from bot.core.zones import zone
from bot.schedule.days_off import DaysOff
from bot.schedule.free_time import week_days
from bot.schedule.model import Day
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.students import SimCareer, SimCourse, SimSession, SimStudent
from bot.store.crypto import CredentialCipher
from bot.telegram.buttons import ButtonSigner
from bot.telegram.texts import forget as forget_words
from bot.telegram.texts import friends as words
from tests.e2e.test_registration import register
from tests.helpers import TEST_KEY, BotProcess

GDL = zone("America/Mexico_City")
ANA, BETO, CARO, DANI, EVE = 9401, 9402, 9403, 9404, 9405
NAMES = {ANA: "Ana", BETO: "Beto", CARO: "Bétty", DANI: "Daniela Ñúñez", EVE: "Eve"}
GROUP = -1009400
SIGNER = ButtonSigner(button_key(CredentialCipher([TEST_KEY])))
LINK = re.compile(r"start=amigo_([A-Za-z0-9_-]{43})")


def dated(hours: str, days: str, room: str) -> SimSession:
    """A cycle around today, so that the classes meet on whatever day the test runs."""
    today = datetime.now(GDL).date()
    first, last = today - timedelta(days=30), today + timedelta(days=60)
    return SimSession(
        hours, days, "DEDX", room, "PROFE, UNO", f"{first:%d-%m-%Y}", f"{last:%d-%m-%Y}"
    )


def course(nrc: str, key: str, name: str, hours: str, days: str, room: str) -> SimCourse:
    return SimCourse(nrc, key, name, "D01", "8", (dated(hours, days, room),))


SHARED = course("290501", "I5886", "ESTRUCTURAS DE DATOS II", "0900-1055", "LMIJVS", "A010")
COURSES = {
    ANA: [SHARED],
    BETO: [
        SHARED,
        course("290502", "I5890", "REDES AVANZADAS", "1300-1455", "LMIJVS", "LC05"),
        course("290503", "I7000", "TALLER SABATINO", "1500-2055", "S", "T01"),
    ],
    CARO: [
        course("290504", "I7100", "PROGRAMACION WEB", "1900-2055", "LMIJVS", "B201"),
        course("290505", "I7200", "PRACTICAS SABATINAS", "0700-2055", "S", "B202"),
    ],
    DANI: [course("290506", "I7300", "CALCULO MADRUGADOR", "0700-0855", "LMIJVS", "C301")],
    EVE: [course("290507", "I7400", "DIBUJO", "1700-1755", "L", "D401")],
}
SECRET_WORDS = [
    w for cs in COURSES.values() for c in cs for w in (c.name, c.key, c.nrc, c.sessions[0].room)
]

# The known gaps, Monday to Saturday, 07:00–21:00, 30 minutes or more.
ANA_BETO = ["07:00–09:00, 10:55–13:00, 14:55–21:00"] * 5 + ["07:00–09:00, 10:55–13:00"]
ANA_BETO_CARO = ["07:00–09:00, 10:55–13:00, 14:55–19:00"] * 5 + [None]  # Saturday: none
ANA_BETO_ONLY = ANA_BETO


def student(user: int) -> SimStudent:
    return SimStudent(
        f"2294000{user % 100:02d}",
        f"nip{user}",
        f"94{user}",
        f"ALUMNO {user}",
        [SimCareer("INCO", "INGENIERIA EN COMPUTACION", courses=COURSES[user])],
    )


def expected(pattern: Sequence[str | None], moment: datetime) -> str:
    days_off = DaysOff.load()
    lines = []
    for day in week_days(moment.astimezone(GDL).date()):
        label = Day(day.weekday()).short_es
        off = days_off.get(day)
        if off is not None:
            lines.append(f"{label} 07:00–21:00 (día inhábil: {off.name})")
        elif pattern[day.weekday()] is None:
            lines.append(f"{label} sin horas libres en común")
        else:
            lines.append(f"{label} {pattern[day.weekday()]}")
    return "\n".join(lines)


def says(
    botapi: BotApiStandIn, user: int, text: str, fragment: str, chat: int | None = None
) -> ChatMessage:
    where = user if chat is None else chat
    asked = botapi.user_says(
        user,
        text,
        NAMES[user],
        chat_id=chat,
        chat_type="supergroup" if chat and chat < 0 else "private",
        title="Equipo Redes",
    )
    return botapi.wait_for_text(where, fragment, after=asked)


def free_answer(
    botapi: BotApiStandIn,
    user: int,
    text: str,
    header: str,
    pattern: Sequence[str | None],
    chat: int | None = None,
) -> ChatMessage:
    """The answer must hold the header and the exact lines for a moment around the command."""
    before = utcnow()
    message = says(botapi, user, text, header, chat)
    reply = message.text
    options = {expected(pattern, before), expected(pattern, utcnow())}
    assert reply.startswith(header + "\n"), reply
    assert reply.split("\n\n")[0].removeprefix(header + "\n") in options, reply
    return message


def picture(botapi: BotApiStandIn, user: int, answer: ChatMessage) -> ChatMessage:
    """Press the picture button under a /libres answer: a PNG comes to the same chat."""
    before = len(botapi.photos(answer.chat_id))
    botapi.user_presses(user, answer, words.PICTURE_BUTTON)
    botapi.wait_for(answer.chat_id, lambda m: m.photo is not None, after=answer.message_id)
    photos = botapi.photos(answer.chat_id)
    assert len(photos) == before + 1
    assert photos[-1].photo is not None and photos[-1].photo.startswith(b"\x89PNG\r\n\x1a\n")
    return photos[-1]


def edited(botapi: BotApiStandIn, message: ChatMessage, fragment: str) -> None:
    botapi.wait_for(
        message.chat_id, lambda m: m.message_id == message.message_id and fragment in m.text
    )


def join(botapi: BotApiStandIn, siiau: SiiauSimulator, *users: int) -> None:
    """Register each student; registration reads and stores their schedule (/hoy waits for it)."""
    for user in users:
        sim = student(user)
        siiau.add_student(sim)
        register(botapi, user, sim.code, sim.nip)
        says(botapi, user, "/hoy", "📅")


def forged_press(botapi: BotApiStandIn, user: int, template: ChatMessage, data: str) -> None:
    """A press of a button the bot never sent this user (a crafted callback, on a message of
    their own private chat): refused."""
    fake = ChatMessage(
        template.message_id,
        user,
        True,
        template.text,
        {"inline_keyboard": [[{"text": "x", "callback_data": data}]]},
    )
    query = botapi.user_sends_callback(user, fake, data)
    assert botapi.callback_answer(query) == words.BUTTON_INVALID, data


def signed(chat_id: int, payload: str) -> str:
    """`payload` signed with the bot's own key for `chat_id`: a press that only the friends
    service's own checks (a stale friend, a group never asked about) can refuse."""
    return SIGNER.data(chat_id, payload)


def new_link(botapi: BotApiStandIn, user: int, text: str = "/amigos") -> str:
    shown = says(botapi, user, text, "start=amigo_").text
    tokens: list[str] = LINK.findall(shown)
    [token] = tokens
    assert f"https://t.me/horario_udg_bot?start=amigo_{token}" in shown
    return token


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")
def test_invite_accept_libres_and_every_bad_input(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    assert says(botapi, ANA, "/amigos", "/registrar").text == words.NOT_REGISTERED
    join(botapi, siiau, ANA, BETO, CARO, DANI)
    token = new_link(botapi, ANA)
    assert says(botapi, ANA, "/amigos", "Ya tienes un enlace").text.count("amigo_") == 0, (
        "the link is shown once"
    )

    # Bad input: own link, forged and malformed tokens; nothing is shared.
    assert says(botapi, ANA, f"/start amigo_{token}", "propio enlace").text == words.INVITE_OWN
    assert says(botapi, BETO, "/start amigo_" + "A" * 43, "no sirve").text == words.INVITE_INVALID
    assert says(botapi, BETO, "/start amigo_x'; DROP", "no sirve").text == words.INVITE_INVALID

    # An unregistered student: asked to register; the invitation waits for them.
    assert says(
        botapi, EVE, f"/start amigo_{token}", "regístrate"
    ).text == words.INVITE_REGISTER_FIRST.format(name="Ana")

    # Beto opens it: the question, with Sí/No.
    question = says(botapi, BETO, f"/start amigo_{token}", "¿Compartir")
    assert question.text == "¿Compartir tus horas libres con Ana? Ella verá las tuyas."
    # A forged press of someone else's invitation: refused, nothing written.
    yes = question.buttons[0][1]
    forged_press(botapi, DANI, question, yes)
    assert says(botapi, DANI, "/libres", "amigos").text == words.FREE_NO_FRIENDS

    ana_before = botapi.last_message_id(ANA)
    botapi.user_presses(BETO, question, "Sí")
    edited(botapi, question, "ya comparten")
    told = botapi.wait_for_text(ANA, "aceptó", after=ana_before)
    assert told.text == words.FRIENDS_NOW_INVITER.format(name="Beto")
    # The same button again, and the link opened twice.
    forged_press(botapi, BETO, question, yes)
    assert says(
        botapi, BETO, f"/start amigo_{token}", "Ya compartes"
    ).text == words.INVITE_ALREADY.format(name="Ana")

    # /libres: the known gaps, and the class they share (private only), from stored schedules.
    logins = sum(siiau.logins.values())
    header = words.FREE_HEADER.format(names="Beto", opens="07:00", closes="21:00", minimum=30)
    answer = free_answer(botapi, ANA, "/libres", header, ANA_BETO)
    assert (
        answer.text.split("\n\n")[1]
        == "En clase juntos: I5886 (Lun, Mar, Mié, Jue, Vie, Sáb 09:00)"
    )
    assert picture(botapi, ANA, answer).caption == "Horas libres con Beto"
    free_answer(botapi, ANA, "/libres beto", header, ANA_BETO)
    other_side = words.FREE_HEADER.format(names="Ana", opens="07:00", closes="21:00", minimum=30)
    free_answer(botapi, BETO, "/libres", other_side, ANA_BETO)
    assert sum(siiau.logins.values()) == logins, "/libres never logs in to SIIAU"

    # Bétty becomes a friend too: "/libres Be" is ambiguous, "/libres Zed" unknown.
    betty = says(botapi, CARO, f"/start amigo_{token}", "¿Compartir")
    botapi.user_presses(CARO, betty, "Sí")
    edited(botapi, betty, "ya comparten")
    ambiguous = says(botapi, ANA, "/libres Be", "varios")
    assert ambiguous.text == words.FREE_AMBIGUOUS.format(names="Beto, Bétty")
    assert [label for label, _ in ambiguous.buttons] == ["Beto", "Bétty"]
    assert says(botapi, ANA, "/libres Zed", "No tienes").text == words.FREE_NO_MATCH.format(
        names="Beto, Bétty"
    )
    botapi.user_presses(ANA, ambiguous, "Beto")
    botapi.wait_for(ANA, lambda m: m.text.startswith(header), after=ambiguous.message_id)

    # Quitar Bétty: both ways, and she is not told.
    listing = says(botapi, ANA, "/amigos", "Tus amigos (2 de 50)")
    betty_last = botapi.last_message_id(CARO)
    botapi.user_presses(ANA, listing, "Quitar a Bétty")
    botapi.wait_for_text(ANA, words.REMOVED.format(name="Bétty"))
    assert says(botapi, CARO, "/libres", "amigos").text == words.FREE_NO_FRIENDS
    assert [m.text for m in botapi.bot_messages(CARO) if m.message_id > betty_last] == [
        words.FREE_NO_FRIENDS
    ]
    forged_press(botapi, ANA, listing, signed(ANA, "fr:q:9403"))  # already removed
    forged_press(botapi, ANA, listing, signed(ANA, "fr:q:9404"))  # never a friend
    forged_press(botapi, ANA, listing, "fr:q:9402")  # a friend, but unsigned
    beto_button = next(d for label, d in listing.buttons if label == "Quitar a Beto")
    forged_press(botapi, ANA, listing, beto_button.replace("fr:q:9402", "fr:q:9404"))  # altered
    forged_press(botapi, ANA, listing, signed(BETO, "fr:q:9402"))  # made for Beto's chat
    forged_press(botapi, ANA, listing, signed(ANA, "fr:q:4503599627370497"))  # out of range
    still = says(botapi, ANA, "/libres", "Horas libres").text
    assert "Bétty" not in still and "Beto" in still, "no forged press removed Beto"

    # /amigos nuevo revokes: the old link no longer works; an answer to it is refused.
    dani_q = says(botapi, DANI, f"/start amigo_{token}", "¿Compartir")
    renewed = new_link(botapi, ANA, "/amigos nuevo")
    assert renewed != token
    assert says(botapi, DANI, f"/start amigo_{token}", "no sirve").text == words.INVITE_INVALID
    botapi.user_presses(DANI, dani_q, "Sí")
    edited(botapi, dani_q, "cambió su enlace")
    assert says(botapi, DANI, "/libres", "amigos").text == words.FREE_NO_FRIENDS

    # Eve registers: Ana's first invitation is revoked now, the new one waits.
    says(botapi, EVE, f"/start amigo_{renewed}", "regístrate")
    join(botapi, siiau, EVE)
    waiting = botapi.wait_for_text(
        EVE, "¿Compartir", after=says(botapi, EVE, "/amigos", "enlace").message_id - 1
    )
    botapi.user_presses(EVE, waiting, "Sí")
    edited(botapi, waiting, "ya comparten")

    # Dani opens the new link; Ana runs /olvidar before Dani answers: nothing is shared.
    dani_q = says(botapi, DANI, f"/start amigo_{renewed}", "¿Compartir")
    forget(botapi, ANA)
    botapi.user_presses(DANI, dani_q, "Sí")
    assert says(botapi, DANI, "/libres", "amigos").text == words.FREE_NO_FRIENDS
    assert says(botapi, BETO, "/libres", "amigos").text == words.FREE_NO_FRIENDS, (
        "Ana's /olvidar ends both ways"
    )
    assert says(botapi, EVE, "/libres", "amigos").text == words.FREE_NO_FRIENDS
    assert says(botapi, BETO, f"/start amigo_{renewed}", "no sirve").text == words.INVITE_INVALID

    # At rest: first names sealed, invite tokens hashed (the database files, WAL included). The
    # names carry letters base64 never writes: a 4-letter ASCII name turns up by chance inside
    # the Fernet tokens of a few megabytes of sealed copies (it did: «Dani»).
    stored = b"".join(path.read_bytes() for path in bot.db_path.parent.glob("horario.db*"))
    for secret in ("Bétty", "Daniela Ñúñez", token, renewed):
        assert secret.encode() not in stored, secret


def forget(botapi: BotApiStandIn, user: int) -> None:
    confirm = says(botapi, user, "/olvidar", "No se puede deshacer")
    botapi.user_presses(user, confirm, forget_words.FORGET_YES)
    edited(botapi, confirm, forget_words.FORGOTTEN[:20])


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true", FRIENDS_MEMBER_CHECK_SECONDS="0")
def test_a_group_sees_only_the_free_time_of_members_who_said_yes(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    says(botapi, EVE, "/compartir", "regístrate conmigo", GROUP)  # not registered: nothing stored
    join(botapi, siiau, ANA, BETO, CARO, DANI)
    assert says(botapi, ANA, "/compartir", "privado", ANA).text == words.SHARE_ONLY_GROUPS

    questions = {}
    for user in (ANA, BETO, CARO, DANI):
        says(botapi, user, "/compartir", "te pregunté en privado", GROUP)
        questions[user] = botapi.wait_for_text(user, "«Equipo Redes»")
    assert says(botapi, ANA, "/libres", "al menos 2", GROUP).text == words.GROUP_TOO_FEW.format(
        count=0
    )
    botapi.user_presses(ANA, questions[ANA], "Sí")
    edited(botapi, questions[ANA], "el grupo verá")
    assert says(botapi, ANA, "/libres", "al menos 2", GROUP).text == words.GROUP_TOO_FEW.format(
        count=1
    )
    for user in (BETO, CARO):
        botapi.user_presses(user, questions[user], "Sí")
        edited(botapi, questions[user], "el grupo verá")
    botapi.user_presses(DANI, questions[DANI], "No")
    edited(botapi, questions[DANI], words.SHARE_DECLINED)
    # Dani forges a "Sí" for this group and for another one: refused, nothing shared.
    forged_press(botapi, DANI, questions[DANI], signed(DANI, f"fr:c:{GROUP}:y"))
    forged_press(botapi, DANI, questions[DANI], signed(DANI, "fr:c:-1005555:y"))
    forged_press(botapi, DANI, questions[DANI], f"fr:c:{GROUP}:y")  # unsigned

    header = "Libres los 3 (Ana, Beto, Bétty):"
    answer = free_answer(botapi, CARO, "/libres@horario_udg_bot", header, ANA_BETO_CARO, GROUP)
    assert "Dani" not in answer.text
    assert picture(botapi, DANI, answer).caption == "Libres los 3 (Ana, Beto, Bétty)"
    assert botapi.calls["getChatMember"] > 0, "members not confirmed lately are looked up"

    # Caro withdraws in the group; Beto leaves it (a chat_member update).
    assert says(botapi, CARO, "/nocompartir", "ya no comparto", GROUP).text == words.UNSHARED_GROUP
    free_answer(botapi, DANI, "/libres", "Libres los 2 (Ana, Beto):", ANA_BETO_ONLY, GROUP)
    botapi.group_event(GROUP, BETO, "left")
    # Beto's updates are handled one at a time in arrival order: once his next one is
    # answered, the chat_member update before it has been handled.
    says(botapi, BETO, "/libres", "amigos")
    assert says(botapi, ANA, "/libres", "al menos 2", GROUP).text == words.GROUP_TOO_FEW.format(
        count=1
    )

    # /olvidar drops Ana's share; /nocompartir in private withdraws from every group.
    says(botapi, BETO, "/compartir", "te pregunté en privado", GROUP)
    again = botapi.wait_for_text(BETO, "«Equipo Redes»", after=questions[BETO].message_id)
    botapi.user_presses(BETO, again, "Sí")
    edited(botapi, again, "el grupo verá")
    free_answer(botapi, DANI, "/libres", "Libres los 2 (Ana, Beto):", ANA_BETO_ONLY, GROUP)
    forget(botapi, ANA)
    assert says(botapi, DANI, "/libres", "al menos 2", GROUP).text == words.GROUP_TOO_FEW.format(
        count=1
    )
    assert says(botapi, BETO, "/nocompartir", "grupo(s)", BETO).text == words.UNSHARED_ALL.format(
        count=1
    )
    assert says(botapi, BETO, "/nocompartir", "ningún grupo", BETO).text == words.UNSHARED_NONE

    # Nothing of anyone's classes ever reached the group.
    group_text = "\n".join(m.text + m.caption for m in botapi.bot_messages(GROUP))
    leaked = [w for w in SECRET_WORDS if w in group_text]
    assert leaked == [], leaked


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true")
def test_a_group_that_becomes_a_supergroup_keeps_its_shares(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    """Privacy mode (commands with the bot's name), a basic group, then the supergroup it
    becomes. Telegram tells it in both chats; here only the new chat's message arrives."""
    old, new = -9400, -1009401
    join(botapi, siiau, ANA, BETO)
    for user in (ANA, BETO):
        asked = botapi.user_says(
            user,
            "/compartir@horario_udg_bot",
            NAMES[user],
            chat_id=old,
            chat_type="group",
            title="Equipo Redes",
        )
        botapi.wait_for_text(old, "te pregunté en privado", after=asked)
        question = botapi.wait_for_text(user, "«Equipo Redes»")
        assert question.text == "¿Compartir tus horas libres con el grupo «Equipo Redes»?"
        botapi.user_presses(user, question, "Sí")
        edited(botapi, question, "el grupo verá")
    asked = botapi.user_says(
        ANA, "/libres@horario_udg_bot", NAMES[ANA], chat_id=old, chat_type="group"
    )
    botapi.wait_for_text(old, "Libres los 2 (Ana, Beto):", after=asked)

    botapi.user_says(
        ANA, "hola", NAMES[ANA], chat_id=new, chat_type="supergroup", title="Equipo Redes"
    )
    message_id = botapi.last_message_id(new) + 1
    with (
        botapi._changed
    ):  # the service message in the new supergroup, from the member who upgraded it
        botapi._push(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(utcnow().timestamp()),
                    "chat": botapi._chat_json(new),
                    "from": botapi._user(ANA, NAMES[ANA]),
                    "migrate_from_chat_id": old,
                }
            }
        )
    # Ana's updates are handled in arrival order: her /libres comes after the move.
    free_answer(botapi, ANA, "/libres@horario_udg_bot", "Libres los 2 (Ana, Beto):", ANA_BETO, new)
    assert says(botapi, BETO, "/nocompartir", "ya no comparto", new).text == words.UNSHARED_GROUP


@pytest.mark.bot_env(SCHEDULE_READ_AT_REGISTRATION="true", FRIENDS_MAX="1")
def test_friends_max_refuses_on_either_side_and_shares_nothing(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    join(botapi, siiau, ANA, BETO, CARO)
    ana, caro = new_link(botapi, ANA), new_link(botapi, CARO)
    question = says(botapi, BETO, f"/start amigo_{ana}", "¿Compartir")
    botapi.user_presses(BETO, question, "Sí")
    edited(botapi, question, "ya comparten")
    full = words.INVITE_FULL.format(most=1)
    for invitee, token in ((CARO, ana), (BETO, caro)):  # the inviter full; then the invitee
        question = says(botapi, invitee, f"/start amigo_{token}", "¿Compartir")
        botapi.user_presses(invitee, question, "Sí")
        edited(botapi, question, full)
    assert says(botapi, CARO, "/libres", "amigos").text == words.FREE_NO_FRIENDS
    assert says(botapi, ANA, "/amigos", "Tus amigos").text.startswith("Tus amigos (1 de 1): Beto\n")
