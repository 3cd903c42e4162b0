"""Personal commands answer only in a private chat.

In a group or a channel, a personal command gets one short reply with a
`t.me/<bot>?start=<payload>` link to the private chat, and nothing is stored.
In Telegram a private chat's id is the user's id: `is_private` checks both.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram import texts

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def is_private(update: Update) -> bool:
    chat, user = update.effective_chat, update.effective_user
    return (
        chat is not None
        and user is not None
        and chat.type == ChatType.PRIVATE
        and chat.id == user.id
    )


def start_link(context: ContextTypes.DEFAULT_TYPE, payload: str) -> str:
    return f"https://t.me/{context.bot.username}?start={payload}"


def private_only(payload: str) -> Callable[[Handler], Handler]:
    """Run the handler in a private chat; elsewhere, point to the private chat once."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if is_private(update):
                await handler(update, context)
                return
            await redirect(update, context, payload)

        return guarded

    return decorate


async def redirect(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> None:
    """One short answer outside a private chat: a button's alert, or one message."""
    text = texts.private_only(start_link(context, payload))
    query = update.callback_query
    try:
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except TelegramError as error:
        log.info("could not point to the private chat: %s", type(error).__name__)
