"""/diario (morning digest: an hour or off) and /recordatorio (minutes before each class, or off).

The callback data carries the whole choice (`dly:h:<hour|off>`, `dly:r:<minutes|off>`), so
the dialog keeps no state between taps.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.services.daily import DIGEST_HOURS, REMINDER_MINUTES, DailyView
from bot.telegram import texts
from bot.telegram.private import private_only
from bot.telegram.runtime import runtime

PREFIX = "dly:"
OFF = "off"


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=PREFIX + data)


def hour_keyboard(active: bool) -> InlineKeyboardMarkup:
    hours = list(DIGEST_HOURS)
    rows = [[_button(f"{h:02d}:00", f"h:{h}") for h in hours[i : i + 4]] for i in range(0, len(hours), 4)]
    if active:
        rows.append([_button(texts.DAILY_OFF, f"h:{OFF}")])
    return InlineKeyboardMarkup(rows)


def reminder_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(texts.reminder_button(m), f"r:{m}") for m in REMINDER_MINUTES],
         [_button(texts.REMINDER_OFF, f"r:{OFF}")]]
    )  # fmt: skip


@private_only("diario")
async def diario(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    def menu(view: DailyView) -> tuple[str, InlineKeyboardMarkup]:
        intro = f"{texts.daily_status(view.digest_hour)}\n\n{texts.DAILY_PICK_HOUR}"
        return intro, hour_keyboard(view.digest_hour is not None)

    await _show_menu(update, context, menu)


@private_only("recordatorio")
async def recordatorio(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    def menu(view: DailyView) -> tuple[str, InlineKeyboardMarkup]:
        return f"{texts.reminder_status(view.reminder_minutes)}\n\n{texts.REMINDER_PICK}", reminder_keyboard()

    await _show_menu(update, context, menu)


async def _show_menu(
    update: Update, context: ContextTypes.DEFAULT_TYPE, menu: Callable[[DailyView], tuple[str, InlineKeyboardMarkup]]
) -> None:
    """The student's current setting and its keyboard; registered students only."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    services = runtime(context).services
    if await services.delivery.profile(user.id) is None:
        await message.reply_text(texts.NOT_REGISTERED)
        return
    intro, keyboard = menu(await services.daily.view(user.id))
    await message.reply_text(intro, reply_markup=keyboard)


@private_only("diario")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    services = runtime(context).services
    kind, _, value = (query.data or "").removeprefix(PREFIX).partition(":")
    if await services.delivery.profile(user.id) is None:
        await query.edit_message_text(texts.NOT_REGISTERED)
        return
    daily = services.daily
    if kind == "h" and value == OFF:
        await daily.set_digest(user.id, None)
        await query.edit_message_text(texts.DAILY_TURNED_OFF)
    elif kind == "h" and value.isdigit() and int(value) in DIGEST_HOURS:
        view = await daily.set_digest(user.id, int(value))
        await query.edit_message_text(texts.daily_saved(int(value), view.has_schedule))
    elif kind == "r" and value == OFF:
        await daily.set_reminder(user.id, None)
        await query.edit_message_text(texts.REMINDER_TURNED_OFF)
    elif kind == "r" and value.isdigit() and int(value) in REMINDER_MINUTES:
        view = await daily.set_reminder(user.id, int(value))
        await query.edit_message_text(texts.reminder_saved(int(value), view.has_schedule))
