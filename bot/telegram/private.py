"""Personal commands answer only in a private chat, and most only to a registered student.

In a group or a channel, a personal command gets one short reply with a
`t.me/<bot>?start=<payload>` link to the private chat, and nothing is stored.
In Telegram a private chat's id is the user's id: `is_private` checks both.
A feature opened by such a link says so here (`opens_link`), so /start follows the link
without importing the feature's handlers.
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

from bot.telegram.runtime import runtime
from bot.telegram.texts import common, safety

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
# Opens what a `/start <payload>` link points to; gets what follows the registered payload.
LinkOpener = Callable[[Update, ContextTypes.DEFAULT_TYPE, str], Coroutine[Any, Any, None]]
_OPENERS: dict[tuple[str, bool], LinkOpener] = {}  # (payload, is a prefix) → the feature's opener


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
    text = safety.private_only(start_link(context, payload))
    query = update.callback_query
    try:
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except TelegramError as error:
        log.info("could not point to the private chat: %s", type(error).__name__)


def registered_only(text: str = common.NOT_REGISTERED) -> Callable[[Handler], Handler]:
    """Run the command for a registered student; anyone else is told `text` in the chat.

    Goes under `private_only`. A button handler calls `require_registration` itself, after its
    press is verified, so that a forged button gets «Ese botón ya no es válido» first."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if await require_registration(update, context, text):
                await handler(update, context)

        return guarded

    return decorate


async def require_registration(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str = common.NOT_REGISTERED,
    *,
    edit: bool = False,
) -> bool:
    """True if the user has registered; otherwise tell them `text` and answer False: in a new
    message, or, with `edit`, in place of the message whose button was pressed."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    if await runtime(context).services.delivery.profile(user.id) is not None:
        return True
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text)
    else:
        await context.bot.send_message(chat.id, text)
    return False


def opens_link(payload: str, *, prefix: bool = False) -> Callable[[LinkOpener], LinkOpener]:
    """Registers what a `t.me/<bot>?start=<payload>` link opens (registration; with `prefix`,
    `<payload><token>`: a friend's invitation). The feature's handler module registers it when
    it is imported, as `bot.telegram.app` imports every handler before the first update."""

    def register(opener: LinkOpener) -> LinkOpener:
        _OPENERS[payload, prefix] = opener
        return opener

    return register


async def open_link(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> bool:
    """Open the feature a /start payload points to; False if none claims it."""
    for (known, prefix), opener in _OPENERS.items():
        if payload == known or (prefix and payload.startswith(known)):
            await opener(update, context, payload.removeprefix(known))
            return True
    return False
