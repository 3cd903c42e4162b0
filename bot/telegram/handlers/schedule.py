"""/horario: run the workflow for the caller, with a progress message, then send the PDF."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.services.delivery import Delivery
from bot.services.errors import AlreadyRunning, NotRegistered, RateLimited
from bot.telegram import texts
from bot.telegram.documents import send_schedule_pdf
from bot.telegram.private import private_only
from bot.telegram.runtime import report_to_operator, runtime

log = logging.getLogger(__name__)
CHAT_ACTION_EVERY = 4.0  # Telegram shows a chat action for at most 5 s


class Progress:
    """One message, edited through the stages, plus a repeated 'sending a file' action."""

    def __init__(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
        self._context = context
        self._chat_id = chat_id
        self._user_id = user_id
        self.message: Message | None = None
        self._text = ""
        self._action: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Progress:
        await self.stage("login")
        self._action = asyncio.create_task(self._keep_action())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._action:
            self._action.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._action
        if self.message is not None:  # its last text is on screen: a restart need not finish it
            await runtime(self._context).services.progress.finished(self._chat_id, self.message.message_id)

    async def stage(self, name: str) -> None:
        await self.say(texts.STAGES.get(name, texts.STAGES["login"]))

    async def say(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        try:
            if self.message is None:
                self.message = await self._context.bot.send_message(self._chat_id, text)
                await runtime(self._context).services.progress.opened(
                    self._chat_id, self.message.message_id, self._user_id, "horario"
                )
            else:
                await self.message.edit_text(text)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                log.warning("progress message failed: %s", error)
        except TelegramError as error:
            log.warning("progress message failed: %s", type(error).__name__)

    async def _keep_action(self) -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await self._context.bot.send_chat_action(self._chat_id, ChatAction.UPLOAD_DOCUMENT)
            await asyncio.sleep(CHAT_ACTION_EVERY)


@private_only("horario")
async def horario(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    delivery_service = runtime(context).services.delivery
    if await delivery_service.profile(user.id) is None:
        await context.bot.send_message(chat.id, texts.NOT_REGISTERED)
        return
    async with Progress(context, chat.id, user.id) as progress:
        await runtime(context).services.book.refreshed(user.id)  # e.g. the read right after registration
        try:
            delivery = await delivery_service.deliver(user.id, on_stage=progress.stage)
        except AlreadyRunning:
            await progress.say(texts.ALREADY_RUNNING)
            return
        except RateLimited:
            await progress.say(texts.RATE_LIMITED)
            return
        except NotRegistered:
            await progress.say(texts.NOT_REGISTERED)
            return
        except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
            log.info("horario failed user=%s error=%s", user.id, type(error).__name__)
            await progress.say(texts.error_text(error))
            await report_to_operator(context, error)
            return
        await _send_document(context, chat.id, user.id, delivery)
        await progress.say(texts.DONE)


async def _send_document(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, delivery: Delivery
) -> None:
    delivery_service = runtime(context).services.delivery
    term = delivery.schedule.term_label
    sent = await send_schedule_pdf(
        context.bot, chat_id, delivery,
        reused_caption=texts.DOCUMENT_CAPTION_UNCHANGED.format(term=term),
        new_caption=texts.DOCUMENT_CAPTION.format(term=term),
        render_again=delivery_service.render_again,
    )  # fmt: skip
    if sent.uploaded:
        await delivery_service.remember_document(user_id, delivery, sent.file_id)
