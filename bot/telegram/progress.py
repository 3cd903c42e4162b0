"""Progress messages that a restart can finish: recorded when sent, forgotten when finished."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.services.timetable.progress import ProgressService
from bot.telegram.runtime import runtime
from bot.telegram.texts import common

log = logging.getLogger(__name__)


@dataclass
class Shown:
    """A progress message on screen, recorded until `finish` gives it its last text."""

    service: ProgressService
    bot: Bot
    chat_id: int
    message_id: int

    async def finish(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self.bot.edit_message_text(
                text, self.chat_id, self.message_id, reply_markup=reply_markup
            )
        except TelegramError as error:
            log.warning("progress message failed: %s", type(error).__name__)
        await self.service.finished(self.chat_id, self.message_id)


async def open_message(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, kind: str, text: str
) -> Shown:
    service = runtime(context).services.progress
    sent = await context.bot.send_message(chat_id, text)
    await service.opened(chat_id, sent.message_id, user_id, kind)
    return Shown(service, context.bot, chat_id, sent.message_id)


async def finish_leftovers(bot: Bot, service: ProgressService) -> int:
    """At start-up: every progress message a dead process left says it was interrupted."""
    leftovers = await service.leftovers()
    for item in leftovers:
        try:
            await bot.edit_message_text(common.INTERRUPTED, item.chat_id, item.message_id)
        except BadRequest as error:
            log.info("leftover progress message not edited: %s", error)
        except TelegramError as error:
            log.warning("leftover progress message not edited: %s", type(error).__name__)
        await service.close_interrupted(item)
    if leftovers:
        log.info("finished %d progress messages left by a previous process", len(leftovers))
    return len(leftovers)
