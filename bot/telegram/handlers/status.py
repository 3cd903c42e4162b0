"""/estado: what is stored about the caller, and their last runs."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.private import private_only
from bot.telegram.runtime import runtime
from bot.telegram.texts import grades as grades_words
from bot.telegram.texts import status as words
from bot.telegram.texts.weekly import weekly_line_of


@private_only("estado")
async def estado(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    rt = runtime(context)
    status = await rt.services.delivery.status(user.id)
    if status.profile is None:
        await message.reply_text(words.not_registered_status())
        return
    p = status.profile
    weekly_line = weekly_line_of(await rt.services.weekly.view(user.id), rt.zone)
    alerts = await rt.services.grades.alerts(user.id)
    last_check = alerts.last_check.astimezone(rt.zone) if alerts.last_check else None
    weekly_line += "\n" + grades_words.status_line(alerts.enabled, last_check, alerts.last_outcome)
    await message.reply_text(
        words.status(
            p.code_hint, p.career, p.career_name, p.rejected, status.runs, rt.zone, weekly_line
        )
    )
