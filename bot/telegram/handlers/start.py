"""/start (also `/start <payload>` from a t.me link), /ayuda and the hint for anything else."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.private import is_private, open_link, private_only
from bot.telegram.texts import start as words


@private_only("ayuda")
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A link from a group (`?start=registrar`) or a friend's invitation (`?start=amigo_…`) opens
    its feature, which registered it with `private.opens_link`; any other payload is /start."""
    if context.args and await open_link(update, context, context.args[0]):
        return
    if update.effective_message:
        await update.effective_message.reply_text(words.WELCOME)


async def hint(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat only: the bot does not answer what it does not understand in a group."""
    if update.effective_message and is_private(update):
        await update.effective_message.reply_text(words.HINT)
