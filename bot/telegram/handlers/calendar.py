"""/calendario: the schedule as an .ics file and, when the operator set it up, a live link.

`/calendario nuevo` revokes the live link and gives another.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.services.errors import AlreadyRunning, NotRegistered, RateLimited
from bot.telegram import texts
from bot.telegram.private import private_only
from bot.telegram.runtime import report_to_operator, runtime

log = logging.getLogger(__name__)
RENEW = "nuevo"


@private_only("calendario")
async def calendario(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    rt = runtime(context)
    if await rt.services.delivery.profile(user.id) is None:
        await context.bot.send_message(chat.id, texts.NOT_REGISTERED)
        return
    args = context.args or []
    renew = bool(args) and args[0].lower() == RENEW
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    except TelegramError:
        pass  # only a hint that something is coming
    calendar = rt.services.calendar
    try:
        ics = await calendar.file(user.id)
    except AlreadyRunning:
        await context.bot.send_message(chat.id, texts.ALREADY_RUNNING)
        return
    except RateLimited:
        await context.bot.send_message(chat.id, texts.RATE_LIMITED)
        return
    except NotRegistered:
        await context.bot.send_message(chat.id, texts.NOT_REGISTERED)
        return
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        log.info("calendario failed user=%s error=%s", user.id, type(error).__name__)
        await context.bot.send_message(chat.id, texts.error_text(error))
        await report_to_operator(context, error)
        return
    term = texts.cycle_label(ics.term)
    if ics.events:
        await context.bot.send_document(
            chat.id,
            ics.content,
            filename=ics.filename,
            caption=texts.CALENDAR_CAPTION.format(term=term),
        )
    else:
        await context.bot.send_message(chat.id, texts.CALENDAR_EMPTY.format(term=term))
    if ics.unscheduled:
        await context.bot.send_message(chat.id, texts.calendar_unscheduled(ics.unscheduled))
    if not calendar.live or not ics.events:
        return
    try:
        state = await calendar.link(user.id, renew=renew)
    except NotRegistered:
        return  # forgotten meanwhile
    except Exception as error:  # noqa: BLE001 - the file is sent; the link can wait
        log.warning("calendar link failed user=%s error=%s", user.id, type(error).__name__)
        await context.bot.send_message(chat.id, texts.CALENDAR_LINK_FAILED)
        return
    if state is not None:
        await context.bot.send_message(
            chat.id, texts.calendar_link(state, rt.zone), disable_web_page_preview=True
        )
