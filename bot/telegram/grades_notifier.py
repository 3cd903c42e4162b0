"""Grade alerts' way out to Telegram: the alert, the student's notices, the operator's notice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from bot.schedule.grades import Posting
from bot.services.captures import PageCapturer
from bot.services.errors import LayoutChanged, RecipientGone
from bot.telegram.operators import Operators
from bot.telegram.texts import grades as words

log = logging.getLogger(__name__)
OPERATOR_QUIET_SECONDS = 3600.0


class TelegramGradeNotifier:
    def __init__(
        self,
        bot: Bot,
        admin_chat_ids: Sequence[int] = (),
        captures: PageCapturer | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._operators = Operators(bot, admin_chat_ids, captures)
        self._clock = clock
        self._told: dict[str, float] = {}  # where SIIAU changed → when the operator was told

    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        await self._send(chat_id, words.grade_alert(posting))

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        text = words.survey(survey_link) if notice == "survey" else words.NOTICES[notice]
        await self._send(chat_id, text)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        # Every student's poll meets the same changed page: tell the operator once an hour per
        # page, not once per student per poll.
        now, where = self._clock(), error.where
        if now - self._told.get(where, -OPERATOR_QUIET_SECONDS) < OPERATOR_QUIET_SECONDS:
            return
        self._told[where] = now
        await self._operators.layout_changed(error, "calificaciones")

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
