"""/stats: the operator's numbers in words (only for ADMIN_CHAT_IDS)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.private import private_only
from bot.telegram.runtime import runtime
from bot.telegram.texts import ops as words


@private_only("stats")
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    rt = runtime(context)
    if user.id not in rt.settings.bot.admin_chat_ids:
        await message.reply_text(words.NOT_ADMIN)
        return
    snapshot = await rt.services.operations.stats()
    await message.reply_text(
        words.stats(
            runs=snapshot.runs,
            retries=snapshot.retries,
            breaker=snapshot.breaker.value,
            openings=snapshot.breaker_openings,
            weekly=snapshot.weekly,
            lag=snapshot.queue_lag_seconds,
        )
    )
