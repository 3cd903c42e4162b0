"""What handlers share: the services, the settings, and how to reach the operator."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.services.bundle import Services
from bot.services.errors import LayoutChanged
from bot.telegram.operators import Operators
from bot.telegram.texts import ops as ops_words

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


def operators(context: ContextTypes.DEFAULT_TYPE) -> Operators:
    rt = runtime(context)
    return Operators(context.bot, rt.settings.bot.admin_chat_ids, rt.services.captures)


async def notify_admins(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    await operators(context).tell(text)


async def report_to_operator(context: ContextTypes.DEFAULT_TYPE, error: BaseException) -> None:
    """Tell the operator about layout changes and about SIIAU failing for everyone."""
    rt = runtime(context)
    if isinstance(error, LayoutChanged):
        await operators(context).layout_changed(error)
        return
    openings = await rt.services.operations.breaker_openings()
    if openings > rt.breaker_openings_reported:
        rt.breaker_openings_reported = openings
        await notify_admins(context, ops_words.admin_breaker_open(type(error).__name__))
