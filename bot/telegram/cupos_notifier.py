"""The seat watcher's way out to Telegram: alerts with a "Dejar de avisar" button, expiry notices.

Calls go through the application's bot, so PTB's rate limiter paces them with
every other send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.services.captures import PageCapturer
from bot.services.errors import LayoutChanged
from bot.services.offer import OfferSection
from bot.services.offer.cupos import WatchRecord
from bot.telegram.buttons import ButtonSigner
from bot.telegram.handlers.cupos import remove_keyboard
from bot.telegram.texts import cupos as words
from bot.telegram.texts import ops as ops_words
from bot.telegram.texts.captures import capture_saved

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
        self._admin_chat_ids = list(admin_chat_ids)
        self._captures = captures or PageCapturer.off()

    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
        await self._bot.send_message(
            chat_id,
            words.cupos_alert(section),
            reply_markup=remove_keyboard(self._signer, chat_id, watch_id, words.CUPOS_STOP),
        )

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
        await self._bot.send_message(chat_id, words.cupos_expired(watch))

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        saved = await self._captures.save(
            error
        )  # the offer page, redacted, when SIIAU_CAPTURE_DIR is set
        text = ops_words.admin_layout_changed(
            type(error).__name__, f"oferta · {error.where}", error.fragment
        )
        text += capture_saved(saved)
        for chat_id in self._admin_chat_ids:
            try:
                await self._bot.send_message(chat_id, text)
            except TelegramError as failure:
                log.warning(
                    "operator notice to chat %s failed: %s", chat_id, type(failure).__name__
                )
