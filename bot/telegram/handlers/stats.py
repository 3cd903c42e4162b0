"""/stats: the operator's numbers in words (only for ADMIN_CHAT_IDS)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.services import metrics
from bot.telegram import texts
from bot.telegram.runtime import runtime


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    rt = runtime(context)
    if user.id not in rt.settings.bot.admin_chat_ids:
        await message.reply_text(texts.NOT_ADMIN)
        return
    await message.reply_text(
        texts.stats(
            runs=metrics.totals(metrics.RUNS),
            retries=sum(metrics.totals(metrics.RETRIES).values()),
            breaker=(await rt.service.workflow.breaker.state()).value,
            openings=await rt.service.workflow.breaker.openings(),
            weekly=metrics.totals(metrics.DELIVERIES),
            lag=metrics.QUEUE_LAG._value.get(),  # noqa: SLF001 - no public getter
        )
    )
