"""/diario (morning digest: an hour or off) and /recordatorio (minutes before each class, or off).

The callback data carries the whole choice (`dly:h:<hour|off>`, `dly:r:<minutes|off>`), so
the dialog keeps no state between taps; it is signed for the chat and parsed into a
typed press (`bot/telegram/buttons.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.services.timetable.daily import DIGEST_HOURS, REMINDER_MINUTES, DailyView
from bot.telegram.buttons import ButtonSigner, bounded_int, pressed, split
from bot.telegram.private import private_only, registered_only, require_registration
from bot.telegram.runtime import runtime
from bot.telegram.texts import daily as words

PREFIX = "dly:"
OFF = "off"


@dataclass(frozen=True, slots=True)
class DailyPress:
    """`kind` "h" (the digest's hour) or "r" (minutes before each class); `value` None: off."""

    kind: str
    value: int | None


def payload(press: DailyPress) -> str:
    return f"{PREFIX}{press.kind}:{OFF if press.value is None else press.value}"


def parse(data: str) -> DailyPress | None:
    kind, values = split(data, PREFIX)
    if kind not in ("h", "r") or len(values) != 1:
        return None
    if values[0] == OFF:
        return DailyPress(kind, None)
    allowed = DIGEST_HOURS if kind == "h" else REMINDER_MINUTES
    value = bounded_int(values[0], min(allowed), max(allowed))
    return DailyPress(kind, value) if value is not None and value in allowed else None


def _button(
    signer: ButtonSigner, chat_id: int, label: str, press: DailyPress
) -> InlineKeyboardButton:
    return signer.button(chat_id, label, payload(press))


def hour_keyboard(signer: ButtonSigner, chat_id: int, active: bool) -> InlineKeyboardMarkup:
    hours = list(DIGEST_HOURS)
    rows = [
        [_button(signer, chat_id, f"{h:02d}:00", DailyPress("h", h)) for h in hours[i : i + 4]]
        for i in range(0, len(hours), 4)
    ]
    if active:
        rows.append([_button(signer, chat_id, words.DAILY_OFF, DailyPress("h", None))])
    return InlineKeyboardMarkup(rows)


def reminder_keyboard(signer: ButtonSigner, chat_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(signer, chat_id, words.reminder_button(m), DailyPress("r", m))
                for m in REMINDER_MINUTES
            ],
            [_button(signer, chat_id, words.REMINDER_OFF, DailyPress("r", None))],
        ]
    )


@private_only("diario")
@registered_only()
async def diario(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    def menu(
        view: DailyView, signer: ButtonSigner, chat_id: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        intro = f"{words.daily_status(view.digest_hour)}\n\n{words.DAILY_PICK_HOUR}"
        return intro, hour_keyboard(signer, chat_id, view.digest_hour is not None)

    await _show_menu(update, context, menu)


@private_only("recordatorio")
@registered_only()
async def recordatorio(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    def menu(
        view: DailyView, signer: ButtonSigner, chat_id: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        intro = f"{words.reminder_status(view.reminder_minutes)}\n\n{words.REMINDER_PICK}"
        return intro, reminder_keyboard(signer, chat_id)

    await _show_menu(update, context, menu)


async def _show_menu(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    menu: Callable[[DailyView, ButtonSigner, int], tuple[str, InlineKeyboardMarkup]],
) -> None:
    """The student's current setting and its keyboard (its commands are `registered_only`)."""
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    services = runtime(context).services
    intro, keyboard = menu(await services.daily.view(user.id), runtime(context).buttons, chat.id)
    await message.reply_text(intro, reply_markup=keyboard)


@private_only("diario")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    press = await pressed(update, context, parse)
    if press is None or not await require_registration(update, context, edit=True):
        return
    services = runtime(context).services
    daily, value = services.daily, press.value
    if press.kind == "h" and value is None:
        await daily.set_digest(user.id, None)
        await query.edit_message_text(words.DAILY_TURNED_OFF)
    elif press.kind == "h" and value is not None:
        view = await daily.set_digest(user.id, value)
        await query.edit_message_text(words.daily_saved(value, view.has_schedule))
    elif value is None:
        await daily.set_reminder(user.id, None)
        await query.edit_message_text(words.REMINDER_TURNED_OFF)
    else:
        view = await daily.set_reminder(user.id, value)
        await query.edit_message_text(words.reminder_saved(value, view.has_schedule))
