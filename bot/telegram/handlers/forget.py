"""/olvidar: confirm with a signed button, then erase everything about the caller."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.core.worktime import begin_work
from bot.telegram.buttons import pressed
from bot.telegram.private import private_only
from bot.telegram.runtime import runtime
from bot.telegram.texts import forget as words

PREFIX = "forget:"
YES, NO = "forget:yes", "forget:no"


def parse(payload: str) -> bool | None:
    """True to erase, False to keep; None for anything else."""
    return {YES: True, NO: False}.get(payload)


@private_only("olvidar")
async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    signer = runtime(context).buttons
    keyboard = InlineKeyboardMarkup(
        [
            [
                signer.button(chat.id, words.FORGET_YES, YES),
                signer.button(chat.id, words.FORGET_NO, NO),
            ]
        ]
    )
    await message.reply_text(words.FORGET_CONFIRM, reply_markup=keyboard)


@private_only("olvidar")
async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    erase = await pressed(update, context, parse)
    if erase is None:
        return
    if not erase:
        await query.edit_message_text(words.FORGET_KEPT)
        return
    services = runtime(context).services
    # Marked first: from now on nothing begun before reaches the student, on any replica.
    erased = await services.erasures.mark(user.id)
    await services.delivery.forget(user.id)
    services.planner.forget(user.id)
    context.application.drop_user_data(user.id)
    begin_work(erased)  # this answer, and what the student asks from now on, are work begun after
    await query.edit_message_text(words.FORGOTTEN)
