"""/registrar: código → NIP (deleted at once, verified with SIIAU) → career if several."""

from __future__ import annotations

import logging
import re
import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.core.credentials import Credentials
from bot.siiau.errors import InvalidCredentials, SiiauUnavailable
from bot.siiau.portal import Career
from bot.telegram import texts
from bot.telegram.runtime import report_to_operator, runtime

log = logging.getLogger(__name__)

CODE, NIP, CAREER = range(3)
CODE_FORMAT = re.compile(r"^(\d{5}|\d{7,12})$")
NIP_FORMAT = re.compile(r"^[A-Za-z0-9]{1,10}$")
MAX_REJECTIONS = 2
CAREER_PREFIX = "career:"


async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.clear()  # type: ignore[union-attr]
    await update.effective_message.reply_text(texts.ASK_CODE)  # type: ignore[union-attr]
    return CODE


async def got_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    code = (message.text or "").strip()  # type: ignore[union-attr]
    if not CODE_FORMAT.match(code):
        await message.reply_text(texts.BAD_CODE)  # type: ignore[union-attr]
        return CODE
    context.user_data["code"] = code  # type: ignore[index]
    context.user_data["rejections"] = 0  # type: ignore[index]
    await message.reply_text(texts.ASK_NIP)  # type: ignore[union-attr]
    return NIP


async def got_nip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    nip = (message.text or "").strip()
    await _delete_quietly(message)  # first, whatever else happens
    if not NIP_FORMAT.match(nip):
        await message.chat.send_message(texts.BAD_NIP_FORMAT)
        return NIP
    data = context.user_data
    assert data is not None
    progress = await message.chat.send_message(texts.VERIFYING)
    service = runtime(context).service
    try:
        careers = await service.register(
            update.effective_user.id, message.chat.id, Credentials(data["code"], nip)
        )
    except InvalidCredentials:
        data["rejections"] = data.get("rejections", 0) + 1
        if data["rejections"] >= MAX_REJECTIONS:
            await progress.edit_text(texts.NIP_REJECTED_STOP)
            data.clear()
            return ConversationHandler.END
        await progress.edit_text(texts.NIP_REJECTED_RETRY)
        return NIP
    except SiiauUnavailable as error:
        await progress.edit_text(f"{texts.error_text(error)}\n{texts.VERIFY_RETRY_LATER}")
        await report_to_operator(context, error)
        return NIP
    except Exception as error:
        await progress.edit_text(texts.error_text(error))
        await report_to_operator(context, error)
        data.clear()
        return ConversationHandler.END
    finally:
        del nip
    if len(careers) == 1:
        await progress.edit_text(texts.registered(careers[0].name))
        data.clear()
        return ConversationHandler.END
    data["careers"] = {c.code: c.name for c in careers}
    keyboard = [[InlineKeyboardButton(f"{c.name} ({c.code})", callback_data=CAREER_PREFIX + c.code)]
                for c in careers]  # fmt: skip
    await progress.edit_text(texts.CHOOSE_CAREER, reply_markup=InlineKeyboardMarkup(keyboard))
    return CAREER


async def chose_career(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    code = (query.data or "").removeprefix(CAREER_PREFIX)
    careers: dict[str, str] = context.user_data.get("careers", {})  # type: ignore[union-attr]
    if code not in careers:
        return CAREER
    await runtime(context).service.choose_career(update.effective_user.id, Career(code, careers[code]))
    await query.edit_message_text(texts.registered(careers[code]))
    context.user_data.clear()  # type: ignore[union-attr]
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.clear()  # type: ignore[union-attr]
    await update.effective_message.reply_text(texts.CANCELLED)  # type: ignore[union-attr]
    return ConversationHandler.END


async def _delete_quietly(message) -> None:  # type: ignore[no-untyped-def]
    try:
        await message.delete()
    except TelegramError as error:
        log.warning("could not delete the NIP message: %s", type(error).__name__)


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    # The career buttons belong to the user's dialog, not to one message: per_message=False is meant.
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    return ConversationHandler(
        entry_points=[CommandHandler("registrar", begin)],
        states={
            CODE: [MessageHandler(text, got_code)],
            NIP: [MessageHandler(text, got_nip)],
            CAREER: [CallbackQueryHandler(chose_career, pattern=f"^{CAREER_PREFIX}")],
        },
        fallbacks=[CommandHandler("cancelar", cancel)],
        allow_reentry=True,
        conversation_timeout=15 * 60,
        name="registrar",
    )
