"""/cupos: seat alerts from the public course offer.

`/cupos CLAVE [CENTRO]` lists the sections with buttons to watch one, any, or the
ones that fit the student's schedule; `/cupos` lists the student's alerts with a
remove button each; `/cupos estado` says how polling goes. Callback data carries
the whole choice (`cu:<kind>:…`), so nothing is kept between taps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.services.cupos import ANY, FIT, CentreChoice, CuposError, Lookup
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.telegram import texts
from bot.telegram.private import private_only
from bot.telegram.runtime import report_to_operator, runtime

PREFIX = "cu:"
Reply = Callable[[str, InlineKeyboardMarkup | None], Awaitable[object]]


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=PREFIX + data)


def remove_keyboard(watch_id: int, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(label, f"x:{watch_id}")]])


def lookup_keyboard(lookup: Lookup) -> InlineKeyboardMarkup:
    where = f"{lookup.cycle.code}:{lookup.centre.code}:{lookup.clave}"
    watch = [_button(texts.CUPOS_WATCH.format(section=s.section), f"w:{where}:{s.nrc}") for s in lookup.sections]
    rows = [watch[i : i + 2] for i in range(0, len(watch), 2)]
    rows.append([_button(texts.CUPOS_ANY, f"w:{where}:{ANY}")])
    if lookup.fits is not None:
        rows.append([_button(texts.CUPOS_FIT, f"w:{where}:{FIT}")])
    if len(lookup.cycles) > 1:
        label = texts.CUPOS_CHANGE_CYCLE.format(cycle=texts.cycle_label(lookup.cycle.code))
        rows.append([_button(label, f"y:{lookup.centre.code}:{lookup.clave}")])
    return InlineKeyboardMarkup(rows)


def centre_keyboard(choice: CentreChoice) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(f"{c.code} · {c.name}"[:60], f"c:{c.code}:{choice.clave}")] for c in choice.centres]
    )


@private_only("cupos")
async def cupos(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    service = runtime(context).services.cupos
    args = context.args or []

    async def reply(text: str, keyboard: InlineKeyboardMarkup | None) -> object:
        return await message.reply_text(text, reply_markup=keyboard)

    if not args:
        watches = await service.watches(user.id)
        if not watches:
            await message.reply_text(texts.CUPOS_NONE)
            return
        keyboard = InlineKeyboardMarkup(
            [[_button(texts.CUPOS_REMOVE.format(label=w.label), f"x:{w.id}")] for w in watches]
        )
        await message.reply_text(texts.cupos_watch_list(watches), reply_markup=keyboard)
    elif args[0].lower() == "estado":
        status = await service.status()
        await message.reply_text(texts.cupos_status(status, service.clock(), runtime(context).zone))
    else:
        await _lookup(context, user.id, args, reply)


async def _lookup(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, args: list[str], reply: Reply,
    *, cycle: str | None = None, centre: str | None = None,
) -> None:  # fmt: skip
    service = runtime(context).services.cupos
    try:
        found = await service.lookup(user_id, args, cycle=cycle, centre=centre)
    except CuposError as error:
        await reply(texts.cupos_error(error), None)
        return
    except SiiauUnavailable:
        await reply(texts.CUPOS_UNAVAILABLE, None)
        return
    except LayoutChanged as error:
        await reply(texts.error_text(error), None)
        await report_to_operator(context, error)
        return
    if isinstance(found, CentreChoice):
        await reply(texts.CUPOS_PICK_CENTRE, centre_keyboard(found))
    else:
        await reply(texts.cupos_lookup(found), lookup_keyboard(found))


@private_only("cupos")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    await query.answer()
    service = runtime(context).services.cupos
    kind, *values = (query.data or "").removeprefix(PREFIX).split(":")

    async def edit(text: str, keyboard: InlineKeyboardMarkup | None) -> object:
        return await query.edit_message_text(text, reply_markup=keyboard)

    async def send(text: str, keyboard: InlineKeyboardMarkup | None = None) -> object:
        return await context.bot.send_message(chat.id, text, reply_markup=keyboard)

    if kind == "c" and len(values) == 2:  # a centre picked
        await _lookup(context, user.id, [values[1]], edit, centre=values[0])
    elif kind == "l" and len(values) == 3:  # a cycle picked
        await _lookup(context, user.id, [values[2]], edit, cycle=values[0], centre=values[1])
    elif kind == "y" and len(values) == 2:  # change the cycle
        try:
            form = await service.form()
        except (CuposError, SiiauUnavailable, LayoutChanged):
            await send(texts.CUPOS_UNAVAILABLE)
            return
        cycles = sorted((c for c in form.cycles if c.regular), key=lambda c: c.code, reverse=True)[:6]
        rows = [[_button(texts.cycle_label(c.code), f"l:{c.code}:{values[0]}:{values[1]}")] for c in cycles]
        await edit(texts.CUPOS_PICK_CYCLE, InlineKeyboardMarkup(rows))
    elif kind == "w" and len(values) == 4:  # watch
        cycle, centre, clave, target = values
        try:
            saved = await service.watch(user.id, chat.id, cycle, centre, clave, target)
        except CuposError as error:
            await send(texts.cupos_error(error))
            return
        await send(texts.cupos_saved(saved, clave), remove_keyboard(saved.id, texts.CUPOS_STOP))
    elif kind == "x" and len(values) == 1 and values[0].isdigit():  # stop watching
        label = await service.unwatch(user.id, int(values[0]))
        await send(texts.CUPOS_GONE if label is None else texts.cupos_removed(label))
