"""/horario: run the workflow for the caller, with a progress message, then send the PDF."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.services.errors import AlreadyRunning, NotRegistered, RateLimited
from bot.services.timetable.events import (
    Changed,
    Delivery,
    Failed,
    Ready,
    SavedCopy,
    Stage,
    Unchanged,
    Verdict,
)
from bot.telegram.documents import fit_caption, send_schedule_pdf
from bot.telegram.handlers.armar import picture_keyboard
from bot.telegram.private import private_only, require_registration
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common
from bot.telegram.texts import schedule as words

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
        # No message yet: a saved PDF, when there is one, is the first thing the student sees;
        # the workflow's first stage ("queued" or "login") opens the message right after.
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._action:
            self._action.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._action
        if self.message is not None:  # its last text is on screen: a restart need not finish it
            await runtime(self._context).services.progress.finished(
                self._chat_id, self.message.message_id
            )

    async def stage(self, name: str) -> None:
        await self.say(words.STAGES.get(name, words.STAGES["login"]))

    async def say(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        if text == self._text and keyboard is None:
            return
        self._text = text
        try:
            if self.message is None:
                self.message = await self._context.bot.send_message(
                    self._chat_id, text, reply_markup=keyboard
                )
                self._action = asyncio.create_task(self._keep_action())
                await runtime(self._context).services.progress.opened(
                    self._chat_id, self.message.message_id, self._user_id, "horario"
                )
            else:
                await self.message.edit_text(text, reply_markup=keyboard)
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
    """A returning student gets their saved PDF at once, then SIIAU's answer: "no changes",
    or the new PDF with what changed. The delivery's events come up one by one and this is
    the code that tells Telegram: the new PDF goes out as soon as it is `Ready`; the
    progress message is finished with the verdict, after SIIAU's logout, when the run is over."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    rt = runtime(context)
    delivery_service = rt.services.delivery
    if rt.services.book.is_refreshing(user.id) and await delivery_service.profile(user.id) is None:
        await rt.services.book.refreshed(user.id)  # a registration heard its verdict and is saving
    if not await require_registration(update, context):
        return
    shown: SavedCopy | None = None
    verdict: Verdict = Failed(RuntimeError("the delivery ended without a verdict"))
    async with Progress(context, chat.id, user.id) as progress:
        if rt.services.book.is_refreshing(user.id):  # e.g. the read right after registration
            await progress.stage("login")
            await rt.services.book.refreshed(user.id)
        try:
            async with contextlib.aclosing(
                delivery_service.deliver(user.id, saved_copy=True)
            ) as events:
                async for event in events:
                    match event:
                        case SavedCopy() as copy:
                            if await _show_saved_copy(context, chat.id, user.id, copy):
                                events.shown(copy)
                                shown = copy
                        case Stage(name=name):
                            await progress.stage(name)
                        case Ready(delivery=delivery):
                            await _send_document(context, chat.id, user.id, delivery)
                        case Unchanged() | Changed() | Failed():
                            verdict = event
        except Exception as error:  # noqa: BLE001 - sending broke: the student gets a plain answer
            verdict = Failed(error)
        match verdict:
            case Unchanged():
                # «🖼 Como imagen»: the same schedule as a phone wallpaper (handlers/armar.py).
                await progress.say(words.VERIFIED_UNCHANGED, picture_keyboard(rt.buttons, chat.id))
            case Changed():
                await progress.say(words.DONE, picture_keyboard(rt.buttons, chat.id))
            case Failed(error=failure):
                await _say_failure(context, progress, user.id, failure, shown)


async def _show_saved_copy(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, copy: SavedCopy
) -> bool:
    """Send the saved copy; True when it reached the student."""
    rt = runtime(context)
    saved_on = common.short_date(copy.read_at.astimezone(rt.zone))
    caption = words.SAVED_COPY_CAPTION.format(term=copy.schedule.term_label, date=saved_on)
    try:
        sent = await context.bot.send_document(
            chat_id, copy.document, filename=copy.filename, caption=caption
        )
    except TelegramError as error:  # a file id Telegram no longer takes: the run sends a PDF
        log.info("saved copy not shown user=%s error=%s", user_id, type(error).__name__)
        return False
    if copy.pdf is not None and sent.document is not None:  # registration's PDF, uploaded just now
        await rt.services.delivery.remember_copy(user_id, copy, sent.document.file_id)
    return True


async def _say_failure(
    context: ContextTypes.DEFAULT_TYPE,
    progress: Progress,
    user_id: int,
    error: Exception,
    shown: SavedCopy | None,
) -> None:
    match error:
        case AlreadyRunning():
            await progress.say(common.ALREADY_RUNNING)
        case RateLimited():
            await progress.say(common.RATE_LIMITED)
        case NotRegistered():
            await progress.say(common.NOT_REGISTERED)
        case _:  # whatever broke, the student gets a plain answer
            log.info("horario failed user=%s error=%s", user_id, type(error).__name__)
            reason = common.error_text(error)
            if shown is not None:
                saved_on = common.short_date(shown.read_at.astimezone(runtime(context).zone))
                reason = words.SAVED_COPY_KEPT.format(reason=reason, date=saved_on)
            await progress.say(reason)
            await report_to_operator(context, error)


async def _send_document(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, delivery: Delivery
) -> None:
    delivery_service = runtime(context).services.delivery
    term = delivery.schedule.term_label
    changes = delivery.changes_since_shown
    if changes:
        new_caption = fit_caption(
            f"{words.CHANGED_CAPTION.format(term=term)}\n{words.weekly_changes(changes)}"
        )
        reused_caption = new_caption
    else:
        reused_caption = words.DOCUMENT_CAPTION_UNCHANGED.format(term=term)
        new_caption = words.DOCUMENT_CAPTION.format(term=term)
    sent = await send_schedule_pdf(
        context.bot,
        chat_id,
        delivery,
        reused_caption=reused_caption,
        new_caption=new_caption,
        render_again=delivery_service.render_again,
    )
    if sent.uploaded:
        await delivery_service.remember_document(user_id, delivery, sent.file_id)
