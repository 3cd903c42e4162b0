"""What handlers share: the services, the settings, and how to reach the operator."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.services.bundle import Services
from bot.services.errors import LayoutChanged
from bot.telegram.texts import ops as ops_words
from bot.telegram.texts.captures import capture_saved

if TYPE_CHECKING:
    from bot.telegram.buttons import ButtonSigner

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Handlers reach services only: no store, no workflow, no renderer."""

    settings: Settings
    services: Services
    zone: ZoneInfo
    buttons: ButtonSigner  # signs every callback button for its chat (`bot/telegram/buttons.py`)
    breaker_openings_reported: int = 0


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    rt = context.application.bot_data["runtime"]
    assert isinstance(rt, Runtime)
    return rt


async def notify_admins(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    for chat_id in runtime(context).settings.bot.admin_chat_ids:
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as error:
            log.warning("admin notice to chat %s failed: %s", chat_id, type(error).__name__)


async def report_to_operator(context: ContextTypes.DEFAULT_TYPE, error: BaseException) -> None:
    """Tell the operator about layout changes and about SIIAU failing for everyone."""
    rt = runtime(context)
    if isinstance(error, LayoutChanged):
        saved = await rt.services.captures.save(
            error
        )  # the page, redacted, when SIIAU_CAPTURE_DIR is set
        notice = ops_words.admin_layout_changed(type(error).__name__, error.where, error.fragment)
        await notify_admins(context, notice + capture_saved(saved))
        return
    openings = await rt.services.operations.breaker_openings()
    if openings > rt.breaker_openings_reported:
        rt.breaker_openings_reported = openings
        await notify_admins(context, ops_words.admin_breaker_open(type(error).__name__))
