"""/armar: plan next cycle's schedule from the public offer, as pictures with buttons.

Buttons carry only a plan's id (8 hex digits) and an option's index: the plan itself
stays in the planner service. `parse_data`/`button_data` are the one pair that builds
and reads them, and every button is signed for its chat (`bot/telegram/buttons.py`);
anything else (forged, stale, another student's) gets «Ese botón ya no es válido» and
changes nothing. `hp:img` is /horario's «Como imagen».
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.services.errors import LayoutChanged, RenderError
from bot.services.offer.cupos import CuposError
from bot.services.planner.request import CENTRE, RequestError
from bot.services.planner.service import Plan, PlanCentreChoice, PlannerError
from bot.telegram.buttons import ButtonSigner, answer_press, pressed
from bot.telegram.documents import fit_caption
from bot.telegram.private import private_only
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common
from bot.telegram.texts import cupos as cupos_words
from bot.telegram.texts import planner as words

log = logging.getLogger(__name__)
PREFIX = "ar:"
PICTURE_PREFIX = "hp:"
PICTURE_DATA = "hp:img"
MAX_INDEX = 99
DATA = re.compile(r"^ar:(?P<kind>[cylnbwi]):(?P<id>[0-9a-f]{8})(?::(?P<arg>[0-9A-Z]{1,6}))?$")


@dataclass(frozen=True, slots=True)
class Press:
    kind: str  # c centre, y change cycle, l cycle picked, n show option, b Plan B, w watch full, i .ics
    id: str  # a plan's id (a pending request's for `c`)
    centre: str | None = None
    cycle: str | None = None
    index: int | None = None


def button_data(press: Press) -> str:
    arg = press.centre or press.cycle or ("" if press.index is None else str(press.index))
    data = f"{PREFIX}{press.kind}:{press.id}" + (f":{arg}" if arg else "")
    assert len(data.encode()) <= 64, data
    return data


def parse_data(data: str | None) -> Press | None:
    """A typed press, or None for anything this keyboard never made."""
    match = DATA.match(data or "")
    if match is None:
        return None
    kind, plan_id, arg = match["kind"], match["id"], match["arg"]
    if kind == "y":
        return Press(kind, plan_id) if arg is None else None
    if arg is None:
        return None
    if kind == "c":
        return Press(kind, plan_id, centre=arg) if CENTRE.fullmatch(arg) else None
    if kind == "l":
        return Press(kind, plan_id, cycle=arg) if re.fullmatch(r"\d{4}[0-9A-Z]{1,2}", arg) else None
    if not arg.isdigit() or len(arg) > 2 or int(arg) > MAX_INDEX:
        return None
    return Press(kind, plan_id, index=int(arg))


class _Keys:
    """Buttons signed for the one chat they are sent to."""

    def __init__(self, signer: ButtonSigner, chat_id: int) -> None:
        self._signer, self._chat_id = signer, chat_id

    def __call__(self, label: str, press: Press) -> InlineKeyboardButton:
        return self._signer.button(self._chat_id, label, button_data(press))


def _keys(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> _Keys:
    return _Keys(runtime(context).buttons, chat_id)


def option_keyboard(_button: _Keys, plan: Plan, index: int) -> InlineKeyboardMarkup:
    moves = []
    if index > 0:
        moves.append(_button(words.PREVIOUS, Press("n", plan.id, index=index - 1)))
    if index + 1 < len(plan.options):
        moves.append(_button(words.NEXT, Press("n", plan.id, index=index + 1)))
    rows = [moves] if moves else []
    rows.append([_button(words.WATCH_FULL, Press("w", plan.id, index=index))])
    rows.append(
        [
            _button(words.PLAN_B, Press("b", plan.id, index=index)),
            _button(words.ICS, Press("i", plan.id, index=index)),
        ]
    )
    if len(plan.cycles) > 1:
        rows.append(
            [
                _button(
                    words.CHANGE_CYCLE.format(cycle=common.cycle_label(plan.cycle.code)),
                    Press("y", plan.id),
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def none_keyboard(_button: _Keys, plan: Plan) -> InlineKeyboardMarkup | None:
    if len(plan.cycles) <= 1:
        return None
    label = words.CHANGE_CYCLE.format(cycle=common.cycle_label(plan.cycle.code))
    return InlineKeyboardMarkup([[_button(label, Press("y", plan.id))]])


async def _option_media(
    context: ContextTypes.DEFAULT_TYPE, plan: Plan, index: int
) -> tuple[bytes, str]:
    service = runtime(context).services.planner
    legend = [words.legend(s) for s in plan.sections_of(index)]
    picture = service.picture(
        plan, index, words.option_title(plan, index), legend, words.FIXED_LEGEND
    )
    return await service.render(picture), fit_caption(words.option_caption(plan, index))


async def _show_plan(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, found: Plan | PlanCentreChoice
) -> None:
    _button = _keys(context, chat_id)
    if isinstance(found, PlanCentreChoice):
        rows = [
            [_button(f"{c.code} · {c.name}"[:60], Press("c", found.request_id, centre=c.code))]
            for c in found.centres
            if CENTRE.fullmatch(c.code)
        ]
        await context.bot.send_message(
            chat_id, words.pick_centre(found), reply_markup=InlineKeyboardMarkup(rows)
        )
        return
    if not found.options:
        await context.bot.send_message(
            chat_id, words.none_text(found), reply_markup=none_keyboard(_button, found)
        )
        return
    png, caption = await _option_media(context, found, 0)
    await context.bot.send_photo(
        chat_id, png, caption=caption, reply_markup=option_keyboard(_button, found, 0)
    )


async def _run(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    work: Awaitable[Plan | PlanCentreChoice | None],
) -> None:
    """Run a plan's coroutine and answer whatever happens, in Spanish."""
    with contextlib.suppress(
        TelegramError
    ):  # the offer may take seconds: show that a picture comes
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    try:
        found = await work
    except RequestError as error:
        await context.bot.send_message(chat_id, words.request_error(error))
        return
    except PlannerError as error:
        await context.bot.send_message(chat_id, words.planner_error(error))
        return
    except LayoutChanged as error:
        await context.bot.send_message(chat_id, common.error_text(error))
        await report_to_operator(context, error)
        return
    except RenderError as error:
        await context.bot.send_message(chat_id, common.error_text(error))
        return
    if found is None:
        await context.bot.send_message(chat_id, words.STALE_BUTTON)
        return
    try:
        await _show_plan(context, chat_id, found)
    except RenderError as error:
        await context.bot.send_message(chat_id, common.error_text(error))


@private_only("armar")
async def armar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    args = context.args or []
    if not args:
        await context.bot.send_message(chat.id, words.HINT)
        return
    await _run(context, chat.id, runtime(context).services.planner.plan(user.id, args))


@private_only("armar")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    service = runtime(context).services.planner
    press = await pressed(update, context, parse_data, answer=False)
    if press is None:
        return  # forged, altered or another chat's: answered «Ese botón ya no es válido»
    if press.kind == "c":
        request = await service.pending(user.id, press.id)
        if request is None or not await service.lists_centre(press.centre):
            await answer_press(update, words.STALE_BUTTON)
            return
        await answer_press(update)
        await _run(context, chat.id, service.plan_request(user.id, request, centre=press.centre))
        return
    try:
        plan = await service.get(user.id, press.id)
    except LayoutChanged as error:  # made again from the offer, which changed its page
        await answer_press(update)
        await context.bot.send_message(chat.id, common.error_text(error))
        await report_to_operator(context, error)
        return
    if plan is None or (press.index is not None and press.index >= len(plan.options)):
        await answer_press(update, words.STALE_BUTTON)
        return
    await answer_press(update)
    _button = _keys(context, chat.id)
    if press.kind == "y":
        rows = [
            [_button(common.cycle_label(c.code), Press("l", plan.id, cycle=c.code))]
            for c in plan.cycles[:6]
        ]
        await context.bot.send_message(
            chat.id, words.PICK_CYCLE, reply_markup=InlineKeyboardMarkup(rows)
        )
    elif press.kind == "l" and press.cycle is not None:
        await _run(context, chat.id, service.replan(user.id, plan.id, press.cycle))
    elif press.kind == "n" and press.index is not None:
        try:
            png, caption = await _option_media(context, plan, press.index)
        except RenderError as error:
            await context.bot.send_message(chat.id, common.error_text(error))
            return
        try:
            await query.edit_message_media(
                InputMediaPhoto(png, caption=caption),
                reply_markup=option_keyboard(_button, plan, press.index),
            )
        except TelegramError as error:
            log.info("planner edit failed: %s", type(error).__name__)
    elif press.kind == "b" and press.index is not None:
        alternatives = service.alternatives(plan, press.index)
        for text in words.plan_b(plan, press.index, alternatives):
            await context.bot.send_message(chat.id, text)
    elif press.kind == "w" and press.index is not None:
        try:
            outcome = await service.watch_full(plan, press.index, chat.id)
        except CuposError as error:  # the cycle's classes are over, polling paused…
            await context.bot.send_message(chat.id, cupos_words.cupos_error(error))
            return
        except PlannerError as error:  # the offer is down with no copy to read seats from
            await context.bot.send_message(chat.id, words.planner_error(error))
            return
        except LayoutChanged as error:  # the seats are read again, from a page it cannot read
            await context.bot.send_message(chat.id, common.error_text(error))
            await report_to_operator(context, error)
            return
        await context.bot.send_message(chat.id, words.watched(outcome))
    elif press.kind == "i" and press.index is not None:
        ics = service.calendar(plan, press.index)
        await context.bot.send_document(
            chat.id,
            ics.content,
            filename=f"opcion{press.index + 1}_{ics.filename}",
            caption=words.ics_caption(plan, press.index),
        )


@private_only("horario")
async def on_picture(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/horario's «🖼 Como imagen»: the stored schedule as a phone wallpaper."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    if await pressed(update, context, _picture_press) is None:
        return  # forged, altered or another chat's: answered «Ese botón ya no es válido»
    try:
        png = await runtime(context).services.planner.wallpaper(user.id)
    except RenderError as error:
        await context.bot.send_message(chat.id, common.error_text(error))
        return
    if png is None:
        await context.bot.send_message(chat.id, words.NO_SCHEDULE_PICTURE)
        return
    await context.bot.send_photo(chat.id, png, caption=words.PICTURE_CAPTION)


def _picture_press(payload: str) -> bool | None:
    return True if payload == PICTURE_DATA else None


def picture_keyboard(signer: ButtonSigner, chat_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[signer.button(chat_id, words.AS_PICTURE, PICTURE_DATA)]])
