"""The daily service's way out to Telegram: digests and reminders, in Spanish, paced by PTB's limiter."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.services.errors import RecipientGone, SendFailed
from bot.services.timetable.daily import Digest, Reminder
from bot.telegram.texts import daily as words

log = logging.getLogger(__name__)


class TelegramDailyNotifier:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_digest(self, chat_id: int, digest: Digest) -> None:
        await self._send(chat_id, digest.user_id, words.daily_digest(digest))

    async def send_reminder(self, chat_id: int, reminder: Reminder) -> None:
        await self._send(chat_id, reminder.user_id, words.daily_reminder(reminder))

    async def _send(self, chat_id: int, user_id: int, text: str) -> None:
        if chat_id != user_id:
            # A private chat's id is its user's id: anything else is a group or a channel.
            log.warning("daily message refused: chat is not user %s's private chat", user_id)
            raise RecipientGone("not the user's private chat")
        try:
            await self._bot.send_message(chat_id, text)
        except Forbidden as error:
            raise RecipientGone(str(error)) from None
        except BadRequest as error:
            if "chat not found" in str(error).lower():
                raise RecipientGone(str(error)) from None
            raise SendFailed(type(error).__name__, transient=False) from None
        except (RetryAfter, NetworkError) as error:
            raise SendFailed(type(error).__name__, transient=True) from None
        except TelegramError as error:
            raise SendFailed(type(error).__name__, transient=False) from None
