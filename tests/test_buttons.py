"""Callback buttons: signed for their chat, parsed into typed values, forged presses refused.

Table-driven per keyboard: what each keyboard builds parses back to the same press, and
what a hand-made client could send (the adversarial pass's values among them) does not.
The real bot answering forged presses, with nothing written: `e2e/test_forged_buttons.py`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from bot.bootstrap import button_key
from bot.siiau.portal import Career
from bot.store.crypto import CredentialCipher
from bot.telegram.buttons import (
    CALLBACK_LIMIT,
    MAX_PAYLOAD_BYTES,
    ButtonSigner,
    answer_press,
    bounded_int,
    pressed,
)
from bot.telegram.handlers import cupos, daily, forget, friends, register, weekly
from bot.telegram.handlers.register import career_keyboard
from bot.telegram.runtime import Runtime
from bot.telegram.texts import safety as words

CHAT, OTHER_CHAT = 700001, 700002
# A fixed key: the parametrized cases below carry signed data in their ids, and pytest-xdist
# workers must collect the same ids.
TEST_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
SIGNER = ButtonSigner(button_key(CredentialCipher([TEST_KEY])))


# ---- the signature ----------------------------------------------------------------
def test_a_signed_button_opens_only_in_its_own_chat_and_unaltered() -> None:
    data = SIGNER.data(CHAT, "wk:set:0:7:1")
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert SIGNER.payload(CHAT, data) == "wk:set:0:7:1"
    payload, _, tag = data.rpartition("~")
    other_key = ButtonSigner(button_key(CredentialCipher([CredentialCipher.generate_key()])))
    refused = [
        SIGNER.payload(OTHER_CHAT, data),  # made for someone else's chat
        SIGNER.payload(CHAT, "wk:set:0:8:1~" + tag),  # a value changed, the tag kept
        SIGNER.payload(CHAT, payload),  # no tag: the data before this release
        SIGNER.payload(CHAT, data[:-1]),  # a tag cut short
        SIGNER.payload(CHAT, data + "A"),
        other_key.payload(CHAT, data),  # signed under a key no longer configured
        SIGNER.payload(CHAT, None),
        SIGNER.payload(CHAT, "x" * 200),
        SIGNER.payload(CHAT, "wk:set:0:7:1~" + "\udcff" * 11),
    ]
    assert refused == [None] * len(refused)


def test_payloads_that_would_not_fit_are_refused_when_built() -> None:
    SIGNER.data(CHAT, "x" * MAX_PAYLOAD_BYTES)
    with pytest.raises(ValueError):
        SIGNER.data(CHAT, "x" * (MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(ValueError):
        SIGNER.data(CHAT, "a~b")


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", " 1", "1 ", "١", "²", "1e3", "0x1", "9" * 20, "1_0"]
)
def test_bounded_ints_are_ascii_digits_within_bounds(text: str) -> None:
    assert bounded_int(text, 0, 10**30) is None


# ---- each keyboard: what it builds parses back; what a client makes up does not -------
LONGEST_CUPOS = cupos.CuposPress("w", "202620", "DEX", "ABCDEFGH", "1234567")

BUILT: list[tuple[str, Any, Any]] = [
    ("forget", forget.YES, True),
    ("forget", forget.NO, False),
    ("weekly", weekly.payload(weekly.WeeklyPress("off")), weekly.WeeklyPress("off")),
    ("weekly", weekly.payload(weekly.WeeklyPress("day", 5)), weekly.WeeklyPress("day", 5)),
    (
        "weekly",
        weekly.payload(weekly.WeeklyPress("mode", 0, 22)),
        weekly.WeeklyPress("mode", 0, 22),
    ),
    (
        "weekly",
        weekly.payload(weekly.WeeklyPress("set", 3, 6, True)),
        weekly.WeeklyPress("set", 3, 6, True),
    ),
    ("daily", daily.payload(daily.DailyPress("h", 5)), daily.DailyPress("h", 5)),
    ("daily", daily.payload(daily.DailyPress("h", None)), daily.DailyPress("h", None)),
    ("daily", daily.payload(daily.DailyPress("r", 60)), daily.DailyPress("r", 60)),
    ("daily", daily.payload(daily.DailyPress("r", None)), daily.DailyPress("r", None)),
    ("cupos", cupos.payload(LONGEST_CUPOS), LONGEST_CUPOS),
    ("cupos", "cu:w:202620:D:I5890:*", cupos.CuposPress("w", "202620", "D", "I5890", "*")),
    ("cupos", "cu:w:2025D:D:I5890:fit", cupos.CuposPress("w", "2025D", "D", "I5890", "fit")),
    ("cupos", "cu:c:D:I5890", cupos.CuposPress("c", centre="D", clave="I5890")),
    ("cupos", "cu:l:202620:D:I5890", cupos.CuposPress("l", "202620", "D", "I5890")),
    ("cupos", "cu:y:D:I5890", cupos.CuposPress("y", centre="D", clave="I5890")),
    ("cupos", "cu:x:2147483647", cupos.CuposPress("x", watch_id=2**31 - 1)),
    ("career", register.career_payload("INCO"), "INCO"),
    *[
        ("friends", friends.button_data(b), b)
        for b in (
            friends.Button("invite", friends.MAX_USER_ID, True),
            friends.Button("invite", 9401, False),
            friends.Button("share", -friends.MAX_CHAT, True),
            friends.Button("share", -1009400, False),
            friends.Button("remove", friends.MAX_USER_ID),
            friends.Button("pick", 9402),
            friends.Button("picture", 0),
            friends.Button("picture", friends.MAX_USER_ID),
            friends.Button("group_picture", 0),
        )
    ],
]
PARSERS = {
    "forget": forget.parse,
    "weekly": weekly.parse,
    "daily": daily.parse,
    "cupos": cupos.parse,
    "career": register.parse_career,
    "friends": friends.parse_button,
}


@pytest.mark.parametrize(
    ("keyboard", "payload", "press"), BUILT, ids=[f"{k}:{p}" for k, p, _ in BUILT]
)
def test_what_a_keyboard_builds_parses_back_and_fits(
    keyboard: str, payload: str, press: object
) -> None:
    assert PARSERS[keyboard](payload) == press
    assert len(SIGNER.data(CHAT, payload).encode()) <= CALLBACK_LIMIT


FORGED: list[tuple[str, str]] = [
    ("forget", "forget:YES"),
    ("forget", "forget:yes:1"),
    ("forget", "forget:"),
    ("weekly", "wk:day:6"),  # Sunday is not offered
    ("weekly", "wk:day:-1"),
    ("weekly", "wk:mode:0:5"),  # before 06:00
    ("weekly", "wk:mode:0:23"),
    ("weekly", "wk:set:0:7:2"),
    ("weekly", "wk:set:0:7"),
    ("weekly", "wk:set:99999999999999999999:7:1"),  # past 64 bits
    ("weekly", "wk:off:1"),
    ("weekly", "wk:nuke"),
    ("daily", "dly:h:4"),
    ("daily", "dly:h:13"),
    ("daily", "dly:r:11"),
    ("daily", "dly:r:99999999999999999999999"),
    ("daily", "dly:h:OFF"),
    ("daily", "dly:x:10"),
    ("daily", "dly:h:10:1"),
    ("cupos", "cu:w:999999:D:I5890:180245"),  # the pass's cycle: not the offer's form either
    ("cupos", "cu:w:202620:D:' OR 1=1--:180245"),
    ("cupos", "cu:w:202620:D:<B>X</B>:180245"),
    ("cupos", "cu:w:202620:D:IL355&CUP=Q:180245"),
    ("cupos", "cu:w:202620:DDDD:I5890:180245"),
    ("cupos", "cu:w:202620:d:I5890:180245"),
    ("cupos", "cu:w:202620:D:I5890:1802"),
    ("cupos", "cu:w:202620:D:I5890:18024567"),
    ("cupos", "cu:w:202620:D:I5890:ANY"),
    ("cupos", "cu:w:202620:D:I58901234:180245"),
    ("cupos", "cu:w:202620:D:12345:180245"),  # a clave has a letter
    ("cupos", "cu:w:202620:D:I5890"),
    ("cupos", "cu:x:0"),
    ("cupos", "cu:x:2147483648"),  # past the id column
    ("cupos", "cu:x:18446744073709551617"),
    ("cupos", "cu:x:-1"),
    ("cupos", "cu:c:D"),
    ("cupos", "cu:l:20262:D:I5890"),
    ("cupos", "cu:l:2026AB:D:I5890"),
    ("cupos", "cu:z:1"),
    ("cupos", "wk:x:1"),
    ("career", "career:inco"),
    ("career", "career:INCO1"),
    ("career", "career:"),
    ("career", "career:<b>"),
    ("friends", "fr:i:0:y"),
    ("friends", "fr:i:-5:y"),  # an inviter is a user, never a group
    ("friends", "fr:c:5:y"),  # a group is a negative chat id
    ("friends", "fr:c:0:y"),
    ("friends", "fr:i:4503599627370497:y"),  # past MAX_USER_ID
    ("friends", "fr:i:99999999999999999:y"),
    ("friends", "fr:c:-100000000000001:y"),  # past MAX_CHAT
    ("friends", "fr:c:-999999999999999999999:y"),
    ("friends", "fr:q:1:y"),
    ("friends", "fr:q:01"),
    ("friends", "fr:q:-1"),
    ("friends", "fr:i:42"),
    ("friends", "fr:i:42:Y"),
    ("friends", "fr:i:42:y "),
    ("friends", "fr:l:-3"),
    ("friends", "fr:l:4503599627370497"),
    ("friends", "fr:p:"),
    ("friends", "fr:p:-1"),
    ("friends", "fr:p:01"),
    ("friends", "fr:w:1"),
    ("friends", "fr:wx"),
    ("friends", "fr:x:1"),
    ("friends", "fr:q:' OR 1=1--"),
    ("friends", "fr:"),
    ("friends", "wk:day:1"),
]


@pytest.mark.parametrize(("keyboard", "payload"), FORGED, ids=[f"{k}:{p}" for k, p in FORGED])
def test_a_made_up_payload_parses_to_nothing(keyboard: str, payload: str) -> None:
    assert PARSERS[keyboard](payload) is None


# ---- the press: refused without a write, never raising ----------------------------
@dataclass
class Query:
    data: object
    answers: list[tuple[str | None, bool]] = field(default_factory=list)

    async def answer(self, text: str | None = None, show_alert: bool = False) -> bool:
        self.answers.append((text, show_alert))
        return True


def press_of(data: object, chat: int = CHAT) -> tuple[Any, Any, Query]:
    query = Query(data)
    update = SimpleNamespace(callback_query=query, effective_chat=SimpleNamespace(id=chat))
    handlers_see = Runtime(None, None, None, SIGNER)  # type: ignore[arg-type]  # only the signer is used
    context = SimpleNamespace(application=SimpleNamespace(bot_data={"runtime": handlers_see}))
    return update, context, query


@pytest.mark.parametrize(
    "data",
    [
        "wk:set:0:7:1",  # unsigned
        SIGNER.data(OTHER_CHAT, "wk:set:0:7:1"),  # another chat's
        SIGNER.data(CHAT, "wk:set:9:7:1"),  # signed, out of range
        None,
    ],
)
async def test_a_refused_press_is_answered_that_the_button_is_no_longer_valid(data: object) -> None:
    update, context, query = press_of(data)
    assert await pressed(update, context, weekly.parse) is None
    assert query.answers == [(words.BUTTON_INVALID, True)]
    assert words.BUTTON_INVALID == "Ese botón ya no es válido"


async def test_a_good_press_is_answered_silently_and_a_parser_slip_never_raises() -> None:
    update, context, query = press_of(SIGNER.data(CHAT, "wk:set:0:7:1"))
    assert await pressed(update, context, weekly.parse) == weekly.WeeklyPress("set", 0, 7, True)
    assert query.answers == [(None, False)]

    def broken(_: str) -> object:
        raise OverflowError("a parser's bug")

    update, context, query = press_of(SIGNER.data(CHAT, "wk:set:0:7:1"))
    assert await pressed(update, context, broken) is None
    assert query.answers == [(words.BUTTON_INVALID, True)]


async def test_a_press_let_through_unanswered_is_answered_once_by_the_handler() -> None:
    """`answer=False`: the handler's single answer carries its text (e.g. a stale friend)."""
    update, context, query = press_of(SIGNER.data(CHAT, "wk:set:0:7:1"))
    assert await pressed(update, context, weekly.parse, answer=False) is not None
    assert query.answers == []
    await answer_press(update, words.BUTTON_INVALID)
    assert query.answers == [(words.BUTTON_INVALID, True)]
    # A refused press is still answered by `pressed` itself.
    update, context, query = press_of("wk:set:0:7:1")
    assert await pressed(update, context, weekly.parse, answer=False) is None
    assert query.answers == [(words.BUTTON_INVALID, True)]


# ---- the friends keyboards, through their handlers: refused before the service ---------
class NoFriendsService:
    """Any call is a read or a write that a refused press must not reach."""

    pictures = True

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a refused press reached FriendsService.{name}")


def friends_press(
    data: object, chat: int = CHAT, chat_type: str = "private"
) -> tuple[Any, Any, Query]:
    update, context, query = press_of(data, chat)
    update.effective_chat = SimpleNamespace(id=chat, type=chat_type)
    update.effective_user = SimpleNamespace(id=CHAT, first_name="Ana")
    services = SimpleNamespace(friends=NoFriendsService())
    handlers_see = Runtime(None, services, None, SIGNER)  # type: ignore[arg-type]  # signer + the stub
    context.application.bot_data["runtime"] = handlers_see
    return update, context, query


GROUP_CHAT = -1009400
FORGED_FRIENDS_PRESSES: list[tuple[str, object, int, str]] = [
    # (handler, data, chat the press comes from, its type)
    ("on_button", "fr:i:9401:y", CHAT, "private"),  # unsigned: what the bot accepted before
    ("on_button", "fr:q:9402", CHAT, "private"),
    ("on_button", f"fr:c:{GROUP_CHAT}:y", CHAT, "private"),
    ("on_button", SIGNER.data(OTHER_CHAT, "fr:i:9401:y"), CHAT, "private"),  # another's invite
    ("on_button", SIGNER.data(OTHER_CHAT, f"fr:c:{GROUP_CHAT}:y"), CHAT, "private"),
    (
        "on_button",
        SIGNER.data(CHAT, "fr:q:9402").replace("fr:q:9402", "fr:q:9403"),
        CHAT,
        "private",
    ),
    (
        "on_button",
        SIGNER.data(CHAT, "fr:i:9401:n").replace(":n~", ":y~"),
        CHAT,
        "private",
    ),  # No → Sí
    ("on_button", SIGNER.data(CHAT, "fr:i:4503599627370497:y"), CHAT, "private"),  # out of range
    ("on_button", SIGNER.data(CHAT, "fr:c:5:y"), CHAT, "private"),
    ("on_button", SIGNER.data(CHAT, "fr:l:-3"), CHAT, "private"),
    ("on_button", SIGNER.data(CHAT, "fr:x:1"), CHAT, "private"),
    ("on_button", None, CHAT, "private"),
    ("on_picture", "fr:w", GROUP_CHAT, "supergroup"),
    ("on_picture", "fr:p:0", CHAT, "private"),
    ("on_picture", SIGNER.data(OTHER_CHAT, "fr:w"), GROUP_CHAT, "supergroup"),  # another group's
    (
        "on_picture",
        SIGNER.data(CHAT, "fr:p:0"),
        GROUP_CHAT,
        "supergroup",
    ),  # a private one, in a group
    (
        "on_picture",
        SIGNER.data(CHAT, "fr:p:9402").replace("fr:p:9402", "fr:p:9403"),
        CHAT,
        "private",
    ),
    ("on_picture", SIGNER.data(CHAT, "fr:p:01"), CHAT, "private"),
    ("on_picture", SIGNER.data(GROUP_CHAT, "fr:w:1"), GROUP_CHAT, "supergroup"),
]


@pytest.mark.parametrize(
    ("handler", "data", "chat", "chat_type"),
    FORGED_FRIENDS_PRESSES,
    ids=[f"{h}:{d}@{c}" for h, d, c, _ in FORGED_FRIENDS_PRESSES],
)
async def test_a_forged_friends_press_is_refused_once_before_the_service(
    handler: str, data: object, chat: int, chat_type: str
) -> None:
    update, context, query = friends_press(data, chat, chat_type)
    await getattr(friends, handler)(update, context)
    assert query.answers == [(words.BUTTON_INVALID, True)]


def test_a_career_button_shows_the_code_alone_when_no_name_is_known() -> None:
    """A career SIIAU names only by its code reads «INNI», never «INNI (INNI)»."""
    keyboard = career_keyboard(
        SIGNER, 7, [Career("INNI", "INNI"), Career("INCO", "INGENIERIA EN COMPUTACION")]
    )
    labels = [row[0].text for row in keyboard.inline_keyboard]
    assert labels == ["INNI", "INGENIERIA EN COMPUTACION (INCO)"]
