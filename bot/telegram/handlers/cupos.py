"""/cupos: seat alerts from the public course offer.

`/cupos CLAVE [CENTRO]` lists the sections with buttons to watch one, any, or the
ones that fit the student's schedule; `/cupos` lists the student's alerts with a
remove button each; `/cupos estado` says how polling goes. Callback data carries
the whole choice (`cu:<kind>:…`), so nothing is kept between taps; it is signed for the
chat and parsed into a typed press (`bot/telegram/buttons.py`): a cycle in the offer's
form, a centre and a clave matching their patterns, an NRC or "any"/"fit", a bounded id.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.services.errors import LayoutChanged, SiiauUnavailable
from bot.services.offer.cupos import ANY, CENTRE, CLAVE, FIT, NRC, CentreChoice, CuposError, Lookup
from bot.telegram.buttons import MAX_ID, ButtonSigner, bounded_int, matching, pressed, split
from bot.telegram.private import private_only
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common, safety
from bot.telegram.texts import cupos as words

PREFIX = "cu:"
Reply = Callable[[str, InlineKeyboardMarkup | None], Awaitable[object]]


CYCLE = re.compile(r"20[0-9]{2}(?:[0-9]{2}|[A-Z])")  # the offer's form: "202620", "2025D"


@dataclass(frozen=True, slots=True)
class CuposPress:
    """`kind`: "c" a centre picked, "l" a cycle picked, "y" change the cycle, "w" watch
    (`target` an NRC, ANY or FIT), "x" stop watching `watch_id`. Unused fields are empty."""

    kind: str
    cycle: str = ""
    centre: str = ""
    clave: str = ""
    target: str = ""
    watch_id: int = 0


_FIELDS = {
    "c": ("centre", "clave"),
    "l": ("cycle", "centre", "clave"),
    "y": ("centre", "clave"),
    "w": ("cycle", "centre", "clave", "target"),
    "x": ("watch_id",),
}


def payload(press: CuposPress) -> str:
    values = [str(getattr(press, name)) for name in _FIELDS[press.kind]]
    return f"{PREFIX}{press.kind}:" + ":".join(values)


def parse(data: str) -> CuposPress | None:
    kind, values = split(data, PREFIX)
    names = _FIELDS.get(kind)
    if names is None or len(values) != len(names):
        return None
    given = dict(zip(names, values, strict=True))
    checked: dict[str, str | int | None] = {
        "cycle": matching(given["cycle"], CYCLE, 6) if "cycle" in given else "",
        "centre": matching(given["centre"], CENTRE, 3) if "centre" in given else "",
        "clave": matching(given["clave"], CLAVE, 8) if "clave" in given else "",
        "target": (
            given["target"] if given["target"] in (ANY, FIT) else matching(given["target"], NRC, 7)
        )
        if "target" in given
        else "",
        "watch_id": bounded_int(given["watch_id"], 1, MAX_ID) if "watch_id" in given else 0,
    }
    if any(value is None for value in checked.values()):
        return None
    return CuposPress(
        kind,
        str(checked["cycle"]),
        str(checked["centre"]),
        str(checked["clave"]),
        str(checked["target"]),
        int(checked["watch_id"] or 0),
    )


def _button(
    signer: ButtonSigner, chat_id: int, label: str, press: CuposPress
) -> InlineKeyboardButton:
    return signer.button(chat_id, label, payload(press))


def remove_keyboard(
    signer: ButtonSigner, chat_id: int, watch_id: int, label: str
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(signer, chat_id, label, CuposPress("x", watch_id=watch_id))]]
    )


def lookup_keyboard(signer: ButtonSigner, chat_id: int, lookup: Lookup) -> InlineKeyboardMarkup:
    def watch(label: str, target: str) -> InlineKeyboardButton:
        press = CuposPress("w", lookup.cycle.code, lookup.centre.code, lookup.clave, target)
        return _button(signer, chat_id, label, press)

    sections = [watch(words.CUPOS_WATCH.format(section=s.section), s.nrc) for s in lookup.sections]
    rows = [sections[i : i + 2] for i in range(0, len(sections), 2)]
    rows.append([watch(words.CUPOS_ANY, ANY)])
    if lookup.fits is not None:
        rows.append([watch(words.CUPOS_FIT, FIT)])
    if len(lookup.cycles) > 1:
        label = words.CUPOS_CHANGE_CYCLE.format(cycle=common.cycle_label(lookup.cycle.code))
        change = CuposPress("y", centre=lookup.centre.code, clave=lookup.clave)
        rows.append([_button(signer, chat_id, label, change)])
    return InlineKeyboardMarkup(rows)


def centre_keyboard(
    signer: ButtonSigner, chat_id: int, choice: CentreChoice
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    signer,
                    chat_id,
                    f"{c.code} · {c.name}"[:60],
                    CuposPress("c", centre=c.code, clave=choice.clave),
                )
            ]
            for c in choice.centres
        ]
    )


@private_only("cupos")
async def cupos(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None:
        return
    service = runtime(context).services.cupos
    signer = runtime(context).buttons
    args = context.args or []

    async def reply(text: str, keyboard: InlineKeyboardMarkup | None) -> object:
        return await message.reply_text(text, reply_markup=keyboard)

    if not args:
        watches = await service.watches(user.id)
        if not watches:
            await message.reply_text(words.CUPOS_NONE)
            return
        keyboard = InlineKeyboardMarkup(
            [
                [
                    _button(
                        signer,
                        chat.id,
                        words.CUPOS_REMOVE.format(label=w.label),
                        CuposPress("x", watch_id=w.id),
                    )
                ]
                for w in watches
            ]
        )
        await message.reply_text(words.cupos_watch_list(watches), reply_markup=keyboard)
    elif args[0].lower() == "estado":
        status = await service.status()
        await message.reply_text(words.cupos_status(status, service.clock(), runtime(context).zone))
    else:
        await _lookup(context, chat.id, user.id, args, reply)


async def _lookup(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    user_id: int,
    args: list[str],
    reply: Reply,
    *,
    cycle: str | None = None,
    centre: str | None = None,
) -> None:
    service = runtime(context).services.cupos
    try:
        found = await service.lookup(user_id, args, cycle=cycle, centre=centre)
    except CuposError as error:
        await reply(words.cupos_error(error), None)
        return
    except SiiauUnavailable:
        await reply(words.CUPOS_UNAVAILABLE, None)
        return
    except LayoutChanged as error:
        await reply(common.error_text(error), None)
        await report_to_operator(context, error)
        return
    signer = runtime(context).buttons
    if isinstance(found, CentreChoice):
        await reply(words.CUPOS_PICK_CENTRE, centre_keyboard(signer, chat_id, found))
    else:
        await reply(words.cupos_lookup(found), lookup_keyboard(signer, chat_id, found))


@private_only("cupos")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    press = await pressed(update, context, parse)
    if press is None:
        return
    service = runtime(context).services.cupos
    signer = runtime(context).buttons

    async def edit(text: str, keyboard: InlineKeyboardMarkup | None) -> object:
        return await query.edit_message_text(text, reply_markup=keyboard)

    async def send(text: str, keyboard: InlineKeyboardMarkup | None = None) -> object:
        return await context.bot.send_message(chat.id, text, reply_markup=keyboard)

    if press.kind == "c":  # a centre picked
        await _lookup(context, chat.id, user.id, [press.clave], edit, centre=press.centre)
    elif press.kind == "l":  # a cycle picked
        await _lookup(
            context, chat.id, user.id, [press.clave], edit, cycle=press.cycle, centre=press.centre
        )
    elif press.kind in ("y", "w"):
        try:
            form = await service.form()
        except (CuposError, SiiauUnavailable, LayoutChanged):
            await send(words.CUPOS_UNAVAILABLE)
            return
        if press.kind == "y":  # change the cycle
            cycles = sorted(
                (c for c in form.cycles if c.regular), key=lambda c: c.code, reverse=True
            )[:6]
            rows = [
                [
                    _button(
                        signer,
                        chat.id,
                        common.cycle_label(c.code),
                        CuposPress("l", c.code, press.centre, press.clave),
                    )
                ]
                for c in cycles
            ]
            await edit(words.CUPOS_PICK_CYCLE, InlineKeyboardMarkup(rows))
            return
        if press.cycle not in {c.code for c in form.cycles} or press.centre not in {
            c.code for c in form.centres
        }:
            await send(safety.BUTTON_INVALID)  # signed once, but the offer no longer has it
            return
        try:
            saved = await service.watch(
                user.id, chat.id, press.cycle, press.centre, press.clave, press.target
            )
        except CuposError as error:
            await send(words.cupos_error(error))
            return
        await send(
            words.cupos_saved(saved, press.clave),
            remove_keyboard(signer, chat.id, saved.id, words.CUPOS_STOP),
        )
    else:  # stop watching
        label = await service.unwatch(user.id, press.watch_id)
        await send(words.CUPOS_GONE if label is None else words.cupos_removed(label))
