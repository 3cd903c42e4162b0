"""/olvidar: confirm with a button, then erase everything about the caller."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.private import private_only
from bot.telegram.runtime import runtime

YES, NO = "forget:yes", "forget:no"


@private_only("olvidar")
async def ask(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.FORGET_YES, callback_data=YES),
          InlineKeyboardButton(texts.FORGET_NO, callback_data=NO)]]
    )  # fmt: skip
    await update.effective_message.reply_text(texts.FORGET_CONFIRM, reply_markup=keyboard)


@private_only("olvidar")
async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    if query.data != YES:
        await query.edit_message_text(texts.FORGET_KEPT)
        return
    await runtime(context).services.delivery.forget(user.id)
    runtime(context).services.planner.forget(user.id)
    context.application.drop_user_data(user.id)
    await query.edit_message_text(texts.FORGOTTEN)
