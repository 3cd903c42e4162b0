"""Sending a schedule PDF: re-send Telegram's copy when we have one, else upload."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest

from bot.schedule.model import Schedule
from bot.services.delivery import Delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SentDocument:
    file_id: str
    uploaded: bool


async def send_schedule_pdf(
    bot: Bot,
    chat_id: int,
    delivery: Delivery,
    *,
    reused_caption: str,
    new_caption: str,
    render: Callable[[Schedule], Awaitable[bytes]] | None = None,
) -> SentDocument:
    """A stored file_id Telegram refuses falls back to an upload (rendering if `render` is given)."""
    if delivery.document_ref is not None:
        try:
            sent = await bot.send_document(
                chat_id, delivery.document_ref, filename=delivery.filename, caption=reused_caption
            )
            return SentDocument(sent.document.file_id if sent.document else delivery.document_ref, False)
        except BadRequest as error:
            if delivery.pdf is None and render is None:
                raise
            log.warning("stored file_id refused (%s); uploading again", error)
    pdf = delivery.pdf
    if pdf is None:
        assert render is not None
        pdf = await render(delivery.schedule)
    sent = await bot.send_document(chat_id, pdf, filename=delivery.filename, caption=new_caption)
    assert sent.document is not None
    return SentDocument(sent.document.file_id, True)
