"""/semanal: pick a day, an hour and a mode with buttons; `/semanal off` stops it.

The callback data carries the whole choice (`wk:set:<day>:<hour>:<0|1>`), so the
dialog keeps no state between taps; it is signed for the chat and parsed into a typed
press (`bot/telegram/buttons.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.telegram.buttons import ButtonSigner, bounded_int, pressed, split
from bot.telegram.private import private_only, registered_only, require_registration
from bot.telegram.runtime import runtime
from bot.telegram.texts import common
from bot.telegram.texts import weekly as words

PREFIX = "wk:"
HOURS = range(6, 23)
DEFAULT_DAY, DEFAULT_HOUR = 0, 7


@dataclass(frozen=True, slots=True)
class WeeklyPress:
    """`kind`: "off", "day" (a day picked), "mode" (day and hour picked) or "set" (all three)."""

    kind: str
    day: int = 0
    hour: int = 0
    only_changes: bool = False


def payload(press: WeeklyPress) -> str:
    if press.kind == "off":
        return f"{PREFIX}off"
    if press.kind == "day":
        return f"{PREFIX}day:{press.day}"
    if press.kind == "mode":
        return f"{PREFIX}mode:{press.day}:{press.hour}"
    return f"{PREFIX}set:{press.day}:{press.hour}:{int(press.only_changes)}"


def parse(data: str) -> WeeklyPress | None:
    kind, values = split(data, PREFIX)
    day = bounded_int(values[0], 0, 5) if values else None
    hour = bounded_int(values[1], HOURS.start, HOURS.stop - 1) if len(values) > 1 else None
    if kind == "off" and not values:
        return WeeklyPress("off")
    if kind == "day" and len(values) == 1 and day is not None:
        return WeeklyPress("day", day)
    if kind == "mode" and len(values) == 2 and day is not None and hour is not None:
        return WeeklyPress("mode", day, hour)
    only = bounded_int(values[2], 0, 1) if len(values) == 3 else None
    if kind == "set" and day is not None and hour is not None and only is not None:
        return WeeklyPress("set", day, hour, bool(only))
    return None


def _button(
    signer: ButtonSigner, chat_id: int, label: str, press: WeeklyPress
) -> InlineKeyboardButton:
    return signer.button(chat_id, label, payload(press))


def day_keyboard(signer: ButtonSigner, chat_id: int, subscribed: bool) -> InlineKeyboardMarkup:
    def button(label: str, press: WeeklyPress) -> InlineKeyboardButton:
        return _button(signer, chat_id, label, press)

    rows = [[button(words.WEEKLY_QUICK, WeeklyPress("mode", DEFAULT_DAY, DEFAULT_HOUR))]]
    rows += [
        [button(common.DAYS_SHORT[d], WeeklyPress("day", d)) for d in range(i, i + 3)]
        for i in (0, 3)
    ]
    if subscribed:
        rows.append([button(words.WEEKLY_OFF, WeeklyPress("off"))])
    return InlineKeyboardMarkup(rows)


def hour_keyboard(signer: ButtonSigner, chat_id: int, day: int) -> InlineKeyboardMarkup:
    hours = list(HOURS)
    rows = [
        [
            _button(signer, chat_id, f"{h:02d}:00", WeeklyPress("mode", day, h))
            for h in hours[i : i + 4]
        ]
        for i in range(0, len(hours), 4)
    ]
    return InlineKeyboardMarkup(rows)


def mode_keyboard(signer: ButtonSigner, chat_id: int, day: int, hour: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(signer, chat_id, words.WEEKLY_ALWAYS, WeeklyPress("set", day, hour, False)),
                _button(
                    signer, chat_id, words.WEEKLY_ONLY_CHANGES, WeeklyPress("set", day, hour, True)
                ),
            ]
        ]
    )


@private_only("semanal")
@registered_only()
async def semanal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    rt = runtime(context)
    weekly = rt.services.weekly
    if context.args and context.args[0].lower() in ("off", "no", "apagar"):
        stopped = await weekly.unsubscribe(user.id)
        await message.reply_text(words.WEEKLY_TURNED_OFF if stopped else words.WEEKLY_WAS_OFF)
        return
    view = await weekly.view(user.id)
    intro = words.WEEKLY_PICK_DAY
    if view is not None:
        intro = f"{words.weekly_line_of(view, rt.zone)}\n\n{intro}"
    await message.reply_text(
        intro, reply_markup=day_keyboard(rt.buttons, chat.id, view is not None)
    )


@private_only("semanal")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    press = await pressed(update, context, parse)
    if press is None:
        return
    rt = runtime(context)
    weekly = rt.services.weekly
    day, hour = press.day, press.hour
    if press.kind == "off":
        await weekly.unsubscribe(user.id)
        await query.edit_message_text(words.WEEKLY_TURNED_OFF)
    elif press.kind == "day":
        await query.edit_message_text(
            words.weekly_pick_hour(day), reply_markup=hour_keyboard(rt.buttons, chat.id, day)
        )
    elif press.kind == "mode":
        await query.edit_message_text(
            words.WEEKLY_PICK_MODE, reply_markup=mode_keyboard(rt.buttons, chat.id, day, hour)
        )
    else:
        if not await require_registration(update, context, edit=True):
            return
        due = await weekly.subscribe(user.id, day, hour, press.only_changes)
        await query.edit_message_text(
            words.weekly_saved(day, hour, press.only_changes, words.chosen_slot(due, hour, rt.zone))
        )
