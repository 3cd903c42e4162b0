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
    bounded_int,
    pressed,
)
from bot.telegram.handlers import cupos, daily, forget, register, weekly
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
]
PARSERS = {
    "forget": forget.parse, "weekly": weekly.parse, "daily": daily.parse, "cupos": cupos.parse,
    "career": register.parse_career,
}  # fmt: skip


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


def test_a_career_button_shows_the_code_alone_when_no_name_is_known() -> None:
    """A career SIIAU names only by its code reads «INNI», never «INNI (INNI)»."""
    keyboard = career_keyboard(SIGNER, 7, [Career("INNI", "INNI"), Career("INCO", "INGENIERIA EN COMPUTACION")])
    labels = [row[0].text for row in keyboard.inline_keyboard]
    assert labels == ["INNI", "INGENIERIA EN COMPUTACION (INCO)"]
