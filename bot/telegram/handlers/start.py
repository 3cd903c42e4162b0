"""/start (also `/start <payload>` from a t.me link), /ayuda and the hint for anything else."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.handlers import friends, register
from bot.telegram.private import is_private, private_only


@private_only("ayuda")
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A link from a group (`?start=registrar`) starts registration; any other payload is /start."""
    if context.args and context.args[0] == register.REGISTER_PAYLOAD:
        await register.begin(update, context)
        return
    if context.args and context.args[0].startswith(friends.INVITE_PAYLOAD):
        await friends.open_link(
            update, context, context.args[0].removeprefix(friends.INVITE_PAYLOAD)
        )
        return
    if update.effective_message:
        await update.effective_message.reply_text(texts.WELCOME)


async def hint(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat only: the bot does not answer what it does not understand in a group."""
    if update.effective_message and is_private(update):
        await update.effective_message.reply_text(texts.HINT)
