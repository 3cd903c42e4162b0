"""The seat watcher's way out to Telegram: alerts with a "Dejar de avisar" button, expiry notices.

Calls go through the application's bot, so PTB's rate limiter paces them with
every other send.
"""

from __future__ import annotations

from telegram import Bot

from bot.services.cupos import WatchRecord
from bot.siiau.offer import OfferSection
from bot.telegram import texts
from bot.telegram.handlers.cupos import remove_keyboard


class TelegramCuposNotifier:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
        await self._bot.send_message(
            chat_id, texts.cupos_alert(section), reply_markup=remove_keyboard(watch_id, texts.CUPOS_STOP)
        )

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
        await self._bot.send_message(chat_id, texts.cupos_expired(watch))
