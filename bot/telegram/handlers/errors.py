"""The last line of defence: log what broke without logging what users typed."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.private import is_private
from bot.telegram.send_gate import Erased
from bot.telegram.texts import common

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, Erased):  # the student was erased while this ran: it ends quietly
        log.info("update dropped: its student asked to be forgotten")
        return
    # Never log the update itself: mid-registration its text is a NIP.
    if isinstance(update, Update):
        user = update.effective_user.id if update.effective_user else "-"
        log.error(
            "handler failed update=%s user=%s error=%s",
            update.update_id,
            user,
            type(error).__name__,
            exc_info=error,
        )
        if update.effective_chat is not None and is_private(update):  # never a notice into a group
            try:
                await context.bot.send_message(update.effective_chat.id, common.UNEXPECTED)
            except Exception:  # noqa: BLE001
                log.warning("could not tell the user about the failure")
    else:
        log.error("background failure error=%s", type(error).__name__, exc_info=error)
