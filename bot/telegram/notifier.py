"""The weekly service's way out to Telegram: documents, captions and notices in Spanish."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.schedule.diff import CourseChange
from bot.services.errors import RecipientGone, SendFailed
from bot.services.timetable.events import Delivery
from bot.services.timetable.weekly import Notice, OperatorNotice
from bot.telegram.documents import RenderAgain, fit_caption, send_schedule_pdf
from bot.telegram.operators import Operators
from bot.telegram.texts import common
from bot.telegram.texts import ops as ops_words
from bot.telegram.texts import schedule as schedule_words
from bot.telegram.texts import weekly as words

log = logging.getLogger(__name__)


class TelegramNotifier:
    """`render_again` makes the PDF when Telegram refuses the file id we kept for it."""

    def __init__(
        self, bot: Bot, render_again: RenderAgain, admin_chat_ids: Sequence[int] = ()
    ) -> None:
        self._bot = bot
        self._render_again = render_again
        self._operators = Operators(bot, admin_chat_ids)

    async def send_schedule(
        self, delivery: Delivery, changes: list[CourseChange] | None, unchanged: bool
    ) -> str:
        if delivery.chat_id != delivery.user_id:
            # A private chat's id is its user's id: anything else is a group or a channel.
            log.warning(
                "weekly delivery refused: chat is not user %s's private chat", delivery.user_id
            )
            raise RecipientGone("not the user's private chat")
        caption = _caption(changes, unchanged)
        try:
            sent = await send_schedule_pdf(
                self._bot,
                delivery.chat_id,
                delivery,
                reused_caption=caption,
                new_caption=caption,
                render_again=self._render_again,
            )
        except Forbidden as error:
            raise RecipientGone(str(error)) from None
        except (RetryAfter, NetworkError) as error:
            raise SendFailed(type(error).__name__, transient=True) from None
        except TelegramError as error:
            raise SendFailed(type(error).__name__, transient=False) from None
        return sent.file_id

    async def send_notice(self, chat_id: int, notice: Notice, error: BaseException | None) -> None:
        if chat_id <= 0:  # groups and channels have negative ids; a private chat's is its user's
            log.warning("weekly notice refused: chat %s is not a private chat", chat_id)
            return
        if notice is Notice.PAUSED_CREDENTIALS:
            text = words.WEEKLY_PAUSED_CREDENTIALS
        elif notice is Notice.PAUSED_LOCKED:
            text = words.WEEKLY_PAUSED_LOCKED
        else:
            reason = common.error_text(error) if error is not None else ""
            text = words.WEEKLY_FAILED.format(reason=reason).replace("  ", " ")
        await self._bot.send_message(chat_id, text)

    async def send_operator_notice(self, notice: OperatorNotice, count: int) -> None:
        await self._operators.tell(ops_words.ADMIN_UNREADABLE_CREDENTIALS.format(count=count))


def _caption(changes: list[CourseChange] | None, unchanged: bool) -> str:
    if unchanged:
        return words.WEEKLY_CAPTION_UNCHANGED
    if not changes:
        return words.WEEKLY_CAPTION_NEW
    caption = f"{words.WEEKLY_CAPTION_CHANGED}\n{schedule_words.weekly_changes(changes)}"
    return fit_caption(caption)
