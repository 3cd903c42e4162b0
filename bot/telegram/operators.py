"""The operators' chats (`ADMIN_CHAT_IDS`): every notice the bot sends them goes through here."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.services.captures import PageCapturer
from bot.services.errors import LayoutChanged
from bot.telegram.texts import ops as ops_words
from bot.telegram.texts.captures import capture_saved

log = logging.getLogger(__name__)


class Operators:
    """A notice reaches every operator chat it can; one that refuses it is logged and skipped,
    so a blocked or mistyped admin id never stops the others from hearing it."""

    def __init__(
        self, bot: Bot, chat_ids: Sequence[int], captures: PageCapturer | None = None
    ) -> None:
        self._bot = bot
        self._chat_ids = list(chat_ids)
        self._captures = captures or PageCapturer.off()

    async def tell(self, text: str) -> None:
        for chat_id in self._chat_ids:
            try:
                await self._bot.send_message(chat_id, text)
            except TelegramError as error:
                log.warning("operator notice to chat %s failed: %s", chat_id, type(error).__name__)

    async def layout_changed(self, error: LayoutChanged, feature: str = "") -> None:
        """SIIAU's page changed: the page is saved redacted (when `SIIAU_CAPTURE_DIR` is set)
        and the notice names the file. `feature` prefixes where it happened («oferta»…)."""
        saved = await self._captures.save(error)
        where = f"{feature} · {error.where}" if feature else error.where
        notice = ops_words.admin_layout_changed(type(error).__name__, where, error.fragment)
        await self.tell(notice + capture_saved(saved))
