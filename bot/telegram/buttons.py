"""Callback buttons, checked like typed input: signed for their chat, parsed into typed values.

Anyone can send a bot any callback data, so a press is untrusted until both hold:

1. **Signed**: the data ends in a tag, an HMAC-SHA256 over the chat id and the payload,
   keyed from the encryption keys (`bot.bootstrap.button_key`), cut to 64 bits (11
   characters) so the whole fits Telegram's 64-byte `callback_data`. A button made for
   another chat, edited by hand or signed under an older key does not verify.
2. **Parsed**: each keyboard turns its payload into a typed value with one pair of
   functions (build, parse): a known prefix and kind, integers within their bounds,
   codes matching their patterns and lengths. Anything else parses to None.

A press that fails either gets «Ese botón ya no es válido» (an alert on the press), no
write, no exception. Use it for a new keyboard (planner, friends, grades…) like this::

    PREFIX = "pl:"                                   # unique; route with pattern=f"^{PREFIX}"

    @dataclass(frozen=True, slots=True)
    class PickDay:
        day: int

    def day_payload(press: PickDay) -> str:          # build …
        return f"{PREFIX}d:{press.day}"

    def parse(payload: str) -> PickDay | None:       # … and parse, one pair per keyboard
        kind, values = split(payload, PREFIX)
        if kind == "d" and len(values) == 1 and (day := bounded_int(values[0], 0, 5)) is not None:
            return PickDay(day)
        return None

    # sending: the chat the keyboard goes to signs it
    signer = runtime(context).buttons
    keyboard = InlineKeyboardMarkup([[signer.button(chat.id, "Lunes", day_payload(PickDay(0)))]])

    # the callback handler: None means refused (already answered «Ese botón ya no es válido»)
    press = await pressed(update, context, parse)
    if press is None:
        return

Keep payloads short: with the tag and its separator, a payload has
`MAX_PAYLOAD_BYTES` (52) bytes; `ButtonSigner.data` raises `ValueError` past that.
Values the student or SIIAU chose (a clave, a code) must match a pattern with a bound
length, and an id must be bounded (`MAX_ID`) before it reaches the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.runtime import runtime
from bot.telegram.texts import safety as words

log = logging.getLogger(__name__)

T = TypeVar("T")

CALLBACK_LIMIT = 64  # Telegram's, in bytes
SEPARATOR = "~"  # never in a payload: payloads are checked ASCII fields
TAG_CHARS = 11  # 64 bits of HMAC, base64url without padding
MAX_PAYLOAD_BYTES = CALLBACK_LIMIT - len(SEPARATOR) - TAG_CHARS
MAX_ID = 2**31 - 1  # an id column (INTEGER on PostgreSQL) takes no more
_DIGITS = re.compile(r"^[0-9]{1,19}$")


class ButtonSigner:
    """Signs a button's payload for one chat, and opens what comes back."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a button key needs at least 16 bytes")
        self._key = key

    def data(self, chat_id: int, payload: str) -> str:
        """`payload~tag`: the callback data for a button shown in `chat_id`."""
        if SEPARATOR in payload or len(payload.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"a button payload must be at most {MAX_PAYLOAD_BYTES} bytes, without {SEPARATOR!r}"
            )
        return f"{payload}{SEPARATOR}{self._tag(chat_id, payload)}"

    def button(self, chat_id: int, label: str, payload: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(chat_id, payload))

    def payload(self, chat_id: int, data: object) -> str | None:
        """The payload when `data` was signed by us for `chat_id`, else None."""
        if (
            not isinstance(data, str)
            or len(data.encode("utf-8", "surrogateescape")) > CALLBACK_LIMIT
        ):
            return None
        payload, separator, tag = data.rpartition(SEPARATOR)
        if not separator or not payload.isascii():
            return None
        if not hmac.compare_digest(
            tag.encode("utf-8", "surrogateescape"), self._tag(chat_id, payload).encode()
        ):
            return None
        return payload

    def _tag(self, chat_id: int, payload: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}\x00{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:8]).decode().rstrip("=")


# ---- typed parsing: each returns None for anything out of its bounds ------------------
def split(payload: str, prefix: str) -> tuple[str, list[str]]:
    """`prefix` + `kind:v1:v2…` → (kind, [v1, v2…]); ("", []) for another prefix."""
    if not payload.startswith(prefix):
        return "", []
    kind, *values = payload[len(prefix) :].split(":")
    return kind, values


def bounded_int(text: str, low: int, high: int) -> int | None:
    """ASCII digits only (no sign, no spaces, no other scripts' digits), within [low, high]."""
    if not _DIGITS.match(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def matching(text: str, pattern: re.Pattern[str], max_length: int) -> str | None:
    """`text` when it is at most `max_length` long and matches `pattern` whole."""
    return text if len(text) <= max_length and pattern.fullmatch(text) else None


# ---- the press --------------------------------------------------------------------
async def pressed(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    parse: Callable[[str], T | None],
    *,
    answer: bool = True,
) -> T | None:
    """The press as a typed value, the press answered; or None, when the button is forged,
    stale, made for another chat or out of range: then it was answered «Ese botón ya no es
    válido» and the caller writes nothing. Never raises for what the data says.

    Telegram takes one answer per press. With `answer=False` a valid press is returned
    unanswered, for a handler whose answer depends on what it finds next (an alert when
    the press turns out stale): it then calls `answer_press` exactly once, on every path."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return None
    value: T | None = None
    payload = runtime(context).buttons.payload(chat.id, query.data)
    if payload is not None:
        try:
            value = parse(payload)
        except Exception as error:  # noqa: BLE001 - a parser's slip is a refused press, not a crash
            log.warning("button parser failed: %s", type(error).__name__)
    if value is None:
        log.info("button refused: forged, stale or out of range (%s)", _shape(query.data))
        await _answer(query, words.BUTTON_INVALID)
        return None
    if answer:
        await _answer(query, None)
    return value


async def answer_press(update: Update, text: str | None = None) -> None:
    """The one answer to a press `pressed(…, answer=False)` let through: silent, or
    `text` as an alert. Never raises (an answer Telegram no longer takes is only logged)."""
    if update.callback_query is not None:
        await _answer(update.callback_query, text)


async def _answer(query: CallbackQuery, text: str | None) -> None:
    try:
        await query.answer(text, show_alert=text is not None)
    except TelegramError as error:  # an old press Telegram no longer takes an answer for
        log.info("button press not answered: %s", type(error).__name__)


def _shape(data: object) -> str:
    """What a refused press looked like, for the log: its prefix and length, never its values."""
    if not isinstance(data, str):
        return "no data"
    prefix = data.split(":", 1)[0][:8] if ":" in data else "-"
    return f"prefix={prefix!r} length={len(data)}"


async def refuse_unknown(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    """A press no keyboard's prefix matches (registered after every other button handler)."""
    query = update.callback_query
    if query is not None:
        log.info("button refused: no keyboard has it (%s)", _shape(query.data))
        await _answer(query, words.BUTTON_INVALID)
