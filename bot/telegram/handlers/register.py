"""/registrar: código → NIP (deleted at once, verified with SIIAU) → career if several.

The dialog's state is kept by the registration service (in the database, not in
this process), so a student whose messages land on different replicas, or who
writes across a restart, carries on where they were. The NIP is never part of it.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.credentials import Credentials
from bot.services.registration import Career, Dialog
from bot.siiau.errors import InvalidCredentials, SiiauUnavailable
from bot.telegram import texts
from bot.telegram.runtime import report_to_operator, runtime

log = logging.getLogger(__name__)

CODE_FORMAT = re.compile(r"^(\d{5}|\d{7,12})$")
NIP_FORMAT = re.compile(r"^[A-Za-z0-9]{1,10}$")
MAX_REJECTIONS = 2
CAREER_PREFIX = "career:"


async def _save(context: ContextTypes.DEFAULT_TYPE, dialog: Dialog) -> None:
    await runtime(context).services.registration.save_dialog(dialog)


async def _current(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> Dialog | None:
    return await runtime(context).services.registration.dialog(user_id)


async def _end(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    await runtime(context).services.registration.end_dialog(user_id)


async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await _save(context, Dialog(user.id, "code"))
    await message.reply_text(texts.ASK_CODE)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text outside a command: a step of the registration dialog, or a hint."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    dialog = await _current(context, user.id)
    if dialog is None:
        await message.reply_text(texts.HINT)
    elif dialog.step == "code":
        await _got_code(context, message, dialog)
    elif dialog.step == "nip":
        await _got_nip(context, message, dialog)
    else:
        await message.reply_text(texts.CHOOSE_CAREER)


async def _got_code(context: ContextTypes.DEFAULT_TYPE, message: Message, dialog: Dialog) -> None:
    code = (message.text or "").strip()
    if not CODE_FORMAT.match(code):
        await message.reply_text(texts.BAD_CODE)
        return
    await _save(context, Dialog(dialog.user_id, "nip", code=code))
    await message.reply_text(texts.ASK_NIP)


async def _got_nip(context: ContextTypes.DEFAULT_TYPE, message: Message, dialog: Dialog) -> None:
    nip = (message.text or "").strip()
    await _delete_quietly(message)  # first, whatever else happens
    if not NIP_FORMAT.match(nip):
        await message.chat.send_message(texts.BAD_NIP_FORMAT)
        return
    assert dialog.code is not None
    progress = await message.chat.send_message(texts.VERIFYING)
    registration = runtime(context).services.registration
    try:
        careers = await registration.register(dialog.user_id, message.chat.id, Credentials(dialog.code, nip))
    except InvalidCredentials:
        rejections = dialog.rejections + 1
        if rejections >= MAX_REJECTIONS:
            await _end(context, dialog.user_id)
            await progress.edit_text(texts.NIP_REJECTED_STOP)
        else:
            await _save(context, Dialog(dialog.user_id, "nip", code=dialog.code, rejections=rejections))
            await progress.edit_text(texts.NIP_REJECTED_RETRY)
        return
    except SiiauUnavailable as error:
        await progress.edit_text(f"{texts.error_text(error)}\n{texts.VERIFY_RETRY_LATER}")
        await report_to_operator(context, error)
        return
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        await _end(context, dialog.user_id)
        await progress.edit_text(texts.error_text(error))
        await report_to_operator(context, error)
        return
    finally:
        del nip
    if len(careers) == 1:
        await _end(context, dialog.user_id)
        await progress.edit_text(texts.registered(careers[0].name))
        return
    await _save(context, Dialog(dialog.user_id, "career", careers={c.code: c.name for c in careers}))
    keyboard = [[InlineKeyboardButton(f"{c.name} ({c.code})", callback_data=CAREER_PREFIX + c.code)]
                for c in careers]  # fmt: skip
    await progress.edit_text(texts.CHOOSE_CAREER, reply_markup=InlineKeyboardMarkup(keyboard))


async def chose_career(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    code = (query.data or "").removeprefix(CAREER_PREFIX)
    dialog = await _current(context, user.id)
    if dialog is None or dialog.step != "career" or code not in dialog.careers:
        return
    await runtime(context).services.registration.choose_career(user.id, Career(code, dialog.careers[code]))
    await _end(context, user.id)
    await query.edit_message_text(texts.registered(dialog.careers[code]))


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    if await _current(context, user.id) is None:
        await message.reply_text(texts.NOTHING_TO_CANCEL)
        return
    await _end(context, user.id)
    await message.reply_text(texts.CANCELLED)


async def _delete_quietly(message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as error:
        log.warning("could not delete the NIP message: %s", type(error).__name__)
