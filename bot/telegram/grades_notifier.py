"""Grade alerts' way out to Telegram: the alert, the student's notices, the operator's notice."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.schedule.grades import Posting
from bot.services.captures import PageCapturer
from bot.services.errors import RecipientGone
from bot.siiau.errors import LayoutChanged
from bot.telegram import texts
from bot.telegram.texts import grades as words
from bot.telegram.texts.captures import capture_saved

log = logging.getLogger(__name__)


class TelegramGradeNotifier:
    def __init__(
        self, bot: Bot, admin_chat_ids: Sequence[int] = (), captures: PageCapturer | None = None
    ) -> None:
        self._bot = bot
        self._admin_chat_ids = list(admin_chat_ids)
        self._captures = captures or PageCapturer.off()

    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        await self._send(chat_id, words.grade_alert(posting))

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        text = words.survey(survey_link) if notice == "survey" else words.NOTICES[notice]
        await self._send(chat_id, text)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        saved = await self._captures.save(
            error
        )  # the grade page, redacted, when SIIAU_CAPTURE_DIR is set
        text = texts.admin_layout_changed(
            type(error).__name__, f"calificaciones · {error.where}", error.fragment
        )
        text += capture_saved(saved)
        for chat_id in self._admin_chat_ids:
            try:
                await self._bot.send_message(chat_id, text)
            except TelegramError as failure:
                log.warning(
                    "operator notice to chat %s failed: %s", chat_id, type(failure).__name__
                )

    async def _send(self, chat_id: int, text: str) -> None:
        """Raises `RecipientGone` for a chat that is gone; other Telegram errors as they are."""
        try:
            await self._bot.send_message(chat_id, text)
        except Forbidden as error:
            raise RecipientGone(str(error)) from None
        except BadRequest as error:
            if "chat not found" in str(error).lower():
                raise RecipientGone(str(error)) from None
            raise
