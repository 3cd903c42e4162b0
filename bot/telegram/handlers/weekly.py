"""/semanal: pick a day, an hour and a mode with buttons; `/semanal off` stops it.

The callback data carries the whole choice (`wk:mode:<day>:<hour>:<0|1>`), so the
dialog keeps no state between taps.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.services.weekly import WeeklyView
from bot.telegram import texts
from bot.telegram.private import private_only
from bot.telegram.runtime import runtime

PREFIX = "wk:"
HOURS = range(6, 23)
DEFAULT_DAY, DEFAULT_HOUR = 0, 7


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=PREFIX + data)


def day_keyboard(subscribed: bool) -> InlineKeyboardMarkup:
    rows = [[_button(texts.WEEKLY_QUICK, f"mode:{DEFAULT_DAY}:{DEFAULT_HOUR}")]]
    rows += [[_button(texts.DAYS_SHORT[d], f"day:{d}") for d in range(i, i + 3)] for i in (0, 3)]
    if subscribed:
        rows.append([_button(texts.WEEKLY_OFF, "off")])
    return InlineKeyboardMarkup(rows)


def hour_keyboard(day: int) -> InlineKeyboardMarkup:
    hours = list(HOURS)
    rows = [[_button(f"{h:02d}:00", f"mode:{day}:{h}") for h in hours[i : i + 4]] for i in range(0, len(hours), 4)]
    return InlineKeyboardMarkup(rows)


def mode_keyboard(day: int, hour: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(texts.WEEKLY_ALWAYS, f"set:{day}:{hour}:0"),
          _button(texts.WEEKLY_ONLY_CHANGES, f"set:{day}:{hour}:1")]]
    )  # fmt: skip


@private_only("semanal")
async def semanal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    rt = runtime(context)
    weekly = rt.services.weekly
    if await rt.services.delivery.profile(user.id) is None:
        await message.reply_text(texts.NOT_REGISTERED)
        return
    if context.args and context.args[0].lower() in ("off", "no", "apagar"):
        stopped = await weekly.unsubscribe(user.id)
        await message.reply_text(texts.WEEKLY_TURNED_OFF if stopped else texts.WEEKLY_WAS_OFF)
        return
    view = await weekly.view(user.id)
    intro = texts.WEEKLY_PICK_DAY
    if view is not None:
        intro = f"{weekly_line_of(view, rt.zone)}\n\n{intro}"
    await message.reply_text(intro, reply_markup=day_keyboard(view is not None))


@private_only("semanal")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    rt = runtime(context)
    weekly = rt.services.weekly
    kind, *values = (query.data or "").removeprefix(PREFIX).split(":")
    numbers = [int(v) for v in values if v.isdigit()]
    if kind == "off":
        await weekly.unsubscribe(user.id)
        await query.edit_message_text(texts.WEEKLY_TURNED_OFF)
    elif kind == "day" and len(numbers) == 1 and 0 <= numbers[0] <= 5:
        await query.edit_message_text(texts.weekly_pick_hour(numbers[0]), reply_markup=hour_keyboard(numbers[0]))
    elif kind == "mode" and len(numbers) == 2 and _valid(*numbers):
        await query.edit_message_text(texts.WEEKLY_PICK_MODE, reply_markup=mode_keyboard(*numbers))
    elif kind == "set" and len(numbers) == 3 and _valid(numbers[0], numbers[1]):
        day, hour, only_changes = numbers
        if await rt.services.delivery.profile(user.id) is None:
            await query.edit_message_text(texts.NOT_REGISTERED)
            return
        due = await weekly.subscribe(user.id, day, hour, bool(only_changes))
        await query.edit_message_text(
            texts.weekly_saved(day, hour, bool(only_changes), _chosen_slot(due, hour, rt.zone))
        )


def _valid(day: int, hour: int) -> bool:
    return 0 <= day <= 5 and hour in HOURS


def weekly_line_of(view: WeeklyView | None, zone: ZoneInfo) -> str:
    if view is None:
        return texts.WEEKLY_NONE
    return texts.weekly_status(
        view.weekday, view.hour, view.only_if_changed, view.active, view.paused_reason,
        _chosen_slot(view.next_due, view.hour, zone),
    )  # fmt: skip


def _chosen_slot(due: datetime, hour: int, zone: ZoneInfo) -> str:
    """The day and the hour the student picked; the few minutes of spread are ours, not theirs."""
    return texts.when(due.astimezone(zone).replace(hour=hour, minute=0))
