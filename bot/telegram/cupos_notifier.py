"""The seat watcher's way out to Telegram: alerts with a "Dejar de avisar" button, expiry notices.

Calls go through the application's bot, so PTB's rate limiter paces them with
every other send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot

from bot.services.captures import PageCapturer
from bot.services.errors import LayoutChanged
from bot.services.offer import OfferSection
from bot.services.offer.cupos import WatchRecord
from bot.telegram.buttons import ButtonSigner
from bot.telegram.handlers.cupos import remove_keyboard
from bot.telegram.operators import Operators
from bot.telegram.texts import cupos as words

log = logging.getLogger(__name__)


class TelegramCuposNotifier:
    def __init__(
        self,
        bot: Bot,
        signer: ButtonSigner,
        admin_chat_ids: Sequence[int] = (),
        captures: PageCapturer | None = None,
    ) -> None:
        self._bot = bot
        self._signer = signer
        self._operators = Operators(bot, admin_chat_ids, captures)

    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
        await self._bot.send_message(
            chat_id,
            words.cupos_alert(section),
            reply_markup=remove_keyboard(self._signer, chat_id, watch_id, words.CUPOS_STOP),
        )

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
        await self._bot.send_message(chat_id, words.cupos_expired(watch))

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        await self._operators.layout_changed(error, "oferta")
