"""/hoy, /manana, /siguiente: the classes of a day, or the next one, from the stored schedule.

The answer comes from the stored copy at once. A student with no copy yet waits for one
SIIAU run; if that takes longer than `SLOW_AFTER`, a "consultando SIIAU…" message shows
first and becomes the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from bot.services.errors import AlreadyRunning, NotRegistered, RateLimited
from bot.services.timetable import everyday
from bot.telegram import progress
from bot.telegram.private import private_only, registered_only
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common
from bot.telegram.texts import everyday as words

log = logging.getLogger(__name__)
SLOW_AFTER = 1.0  # seconds before the "consultando SIIAU…" message
Answer = TypeVar("Answer")


@private_only("hoy")
@registered_only()
async def hoy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    book = runtime(context).services.book
    await _answer(
        update,
        context,
        lambda user_id: everyday.day(book, user_id, everyday.TODAY),
        words.everyday_day,
    )


@private_only("manana")
@registered_only()
async def manana(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    book = runtime(context).services.book
    await _answer(
        update,
        context,
        lambda user_id: everyday.day(book, user_id, everyday.TOMORROW),
        words.everyday_day,
    )


@private_only("siguiente")
@registered_only()
async def siguiente(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    book = runtime(context).services.book
    await _answer(
        update, context, lambda user_id: everyday.next_class(book, user_id), words.everyday_next
    )


async def _answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    ask: Callable[[int], Awaitable[Answer]],
    word: Callable[[Answer], str],
) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    pending = asyncio.ensure_future(ask(user.id))
    shown: progress.Shown | None = None
    try:
        done, _ = await asyncio.wait({pending}, timeout=SLOW_AFTER)
        if not done:
            shown = await progress.open_message(
                context, chat.id, user.id, "everyday", words.EVERYDAY_SLOW
            )
    except BaseException:
        pending.cancel()
        raise
    failure: Exception | None = None
    try:
        text = word(await pending)
    except AlreadyRunning:
        text = common.ALREADY_RUNNING
    except RateLimited:
        text = common.RATE_LIMITED
    except NotRegistered:
        text = common.NOT_REGISTERED
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        log.info("everyday answer failed user=%s error=%s", user.id, type(error).__name__)
        text, failure = common.error_text(error), error
    if shown is not None:
        await shown.finish(text)
    else:
        await context.bot.send_message(chat.id, text)
    if failure is not None:
        await report_to_operator(context, failure)
