"""Sending a schedule PDF: re-send Telegram's copy when we have one, else upload."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest

from bot.services.timetable.events import Delivery, Ready
from bot.telegram.texts.common import CAPTION_LIMIT as CAPTION_LIMIT  # the senders' names for them
from bot.telegram.texts.common import fit_caption as fit_caption

log = logging.getLogger(__name__)

# The services' `DeliveryService.render_again`: the same `Ready` event, with the PDF made again.
RenderAgain = Callable[[Delivery], Awaitable[Ready]]


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
    render_again: RenderAgain,
) -> SentDocument:
    """A stored file_id Telegram refuses falls back to an upload.

    The PDF to upload is the delivery's own, or one `render_again` has the
    services make (`DeliveryService.render_again`): the chat layer never renders.
    """
    if delivery.document_ref is not None:
        try:
            sent = await bot.send_document(
                chat_id, delivery.document_ref, filename=delivery.filename, caption=reused_caption
            )
            return SentDocument(
                sent.document.file_id if sent.document else delivery.document_ref, False
            )
        except BadRequest as error:
            log.warning("stored file_id refused (%s); uploading again", error)
    ready = Ready(delivery) if delivery.pdf is not None else await render_again(delivery)
    pdf = ready.delivery.pdf
    assert pdf is not None
    sent = await bot.send_document(chat_id, pdf, filename=delivery.filename, caption=new_caption)
    assert sent.document is not None
    return SentDocument(sent.document.file_id, True)
