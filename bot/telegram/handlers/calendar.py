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
from bot.telegram.private import private_only, registered_only
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import calendar as words
from bot.telegram.texts import common

log = logging.getLogger(__name__)
RENEW = "nuevo"


@private_only("calendario")
@registered_only()
async def calendario(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    rt = runtime(context)
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
        await context.bot.send_message(chat.id, common.ALREADY_RUNNING)
        return
    except RateLimited:
        await context.bot.send_message(chat.id, common.RATE_LIMITED)
        return
    except NotRegistered:
        await context.bot.send_message(chat.id, common.NOT_REGISTERED)
        return
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        log.info("calendario failed user=%s error=%s", user.id, type(error).__name__)
        await context.bot.send_message(chat.id, common.error_text(error))
        await report_to_operator(context, error)
        return
    term = common.cycle_label(ics.term)
    if ics.events:
        await context.bot.send_document(
            chat.id,
            ics.content,
            filename=ics.filename,
            caption=words.CALENDAR_CAPTION.format(term=term),
        )
    else:
        await context.bot.send_message(chat.id, words.CALENDAR_EMPTY.format(term=term))
    if ics.unscheduled:
        await context.bot.send_message(chat.id, words.calendar_unscheduled(ics.unscheduled))
    if not calendar.live or not ics.events:
        return
    try:
        state = await calendar.link(user.id, renew=renew)
    except NotRegistered:
        return  # forgotten meanwhile
    except Exception as error:  # noqa: BLE001 - the file is sent; the link can wait
        log.warning("calendar link failed user=%s error=%s", user.id, type(error).__name__)
        await context.bot.send_message(chat.id, words.CALENDAR_LINK_FAILED)
        return
    if state is not None:
        await context.bot.send_message(
            chat.id, words.calendar_link(state, rt.zone), disable_web_page_preview=True
        )
