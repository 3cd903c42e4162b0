"""The Bot API stand-in keeps Telegram's rules that the bot must live with."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest

from bot.sim.botapi import BotApiStandIn
from tests.helpers import TEST_TOKEN


def test_more_than_thirty_sends_a_second_get_429_with_retry_after() -> None:
    with BotApiStandIn(TEST_TOKEN) as api, httpx.Client(base_url=api.base_url + TEST_TOKEN) as http:
        answers = [
            http.post("/sendMessage", data={"chat_id": "1", "text": f"m{i}"}) for i in range(40)
        ]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and all(a.json()["parameters"]["retry_after"] >= 1 for a in limited)
    assert len([a for a in answers if a.status_code == 200]) <= 30
    assert api.too_many_requests == len(limited)


def test_wrong_token_is_unauthorized_and_file_ids_can_be_resent() -> None:
    with BotApiStandIn(TEST_TOKEN) as api, httpx.Client() as http:
        assert http.post(api.base_url + "123:wrong/getMe").status_code == 401
        url = api.base_url + TEST_TOKEN
        sent = http.post(
            url + "/sendDocument",
            data={"chat_id": "5"},
            files={"document": ("h.pdf", b"%PDF-1.4 x", "application/pdf")},
        ).json()
        file_id = sent["result"]["document"]["file_id"]
        again = http.post(url + "/sendDocument", data={"chat_id": "5", "document": file_id}).json()
        assert again["ok"] and again["result"]["document"]["file_id"] == file_id
        assert api.uploads == 1
        assert [m.document for m in api.documents(5)] == [b"%PDF-1.4 x", b"%PDF-1.4 x"]
        bogus = http.post(url + "/sendDocument", data={"chat_id": "5", "document": "nope"})
        assert bogus.status_code == 400


def _png(width: int, height: int) -> bytes:
    """A valid PNG header is all the stand-in reads (Telegram would decode the whole image)."""
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + b"IHDR" + ihdr + b"\x00" * 4


async def test_photos_are_sent_edited_in_place_and_checked_like_telegram_does() -> None:
    """Through PTB itself, so the shapes (multipart `attach://` media) are the ones it sends."""
    with BotApiStandIn(TEST_TOKEN) as api:
        async with Bot(TEST_TOKEN, base_url=api.base_url, base_file_url=api.file_url) as bot:
            button = InlineKeyboardMarkup([[InlineKeyboardButton("▶️", callback_data="p:1")]])
            sent = await bot.send_photo(
                5, _png(1080, 1920), caption="Opción 1 de 3", reply_markup=button
            )
            assert (sent.photo[-1].width, sent.photo[-1].height) == (1080, 1920)
            edited = await bot.edit_message_media(
                InputMediaPhoto(_png(800, 600), caption="Opción 2 de 3"),
                chat_id=5,
                message_id=sent.message_id,
            )
            assert isinstance(edited, Message) and edited.caption == "Opción 2 de 3"
            await bot.edit_message_caption(
                chat_id=5, message_id=sent.message_id, caption="Opción 2 de 3 (lleno)"
            )
            with pytest.raises(BadRequest, match="(?i)image_process_failed"):
                await bot.send_photo(5, b"%PDF-1.4 not a picture")
    [photo] = api.photos(5)
    assert photo.photo == _png(800, 600) and photo.caption == "Opción 2 de 3 (lleno)"
    assert photo.edits == ["Opción 1 de 3", "Opción 2 de 3"] and api.documents(5) == []


async def test_groups_have_members_whose_leaving_is_an_update_and_a_lookup() -> None:
    with BotApiStandIn(TEST_TOKEN) as api:
        api.user_says(
            11, "/libres", "Ana", chat_id=-100, chat_type="supergroup", title="Equipo Redes"
        )
        async with Bot(TEST_TOKEN, base_url=api.base_url, base_file_url=api.file_url) as bot:
            assert (await bot.get_chat_member(-100, 11)).status == ChatMemberStatus.MEMBER
            assert (await bot.get_chat_member(-100, 12)).status == ChatMemberStatus.LEFT
            api.group_event(-100, 11, "left")
            assert (await bot.get_chat_member(-100, 11)).status == ChatMemberStatus.LEFT
            message, left = await bot.get_updates(allowed_updates=["message", "chat_member"])
    assert message.effective_chat is not None and message.effective_chat.title == "Equipo Redes"
    assert message.effective_user is not None and message.effective_user.first_name == "Ana"
    assert (
        left.chat_member is not None
        and left.chat_member.new_chat_member.status == ChatMemberStatus.LEFT
    )


async def test_a_press_is_answered_once_and_an_unknown_query_not_at_all() -> None:
    """Telegram takes one answer per callback query: a second one (or an id no press had)
    is a 400, as it would be for a handler that answers twice."""
    with BotApiStandIn(TEST_TOKEN) as api:
        async with Bot(TEST_TOKEN, base_url=api.base_url, base_file_url=api.file_url) as bot:
            button = InlineKeyboardMarkup([[InlineKeyboardButton("Sí", callback_data="x:1")]])
            sent = await bot.send_message(5, "¿Seguro?", reply_markup=button)
            [message] = api.bot_messages(5)
            assert message.message_id == sent.message_id
            query_id = api.user_sends_callback(5, message, "x:1")
            assert await bot.answer_callback_query(query_id, "Listo", show_alert=True)
            with pytest.raises(
                BadRequest, match="(?i)query is too old and response timeout expired"
            ):
                await bot.answer_callback_query(query_id)
            with pytest.raises(BadRequest, match="(?i)query id is invalid"):
                await bot.answer_callback_query("0123456789abcdef", "Hola")
    assert api.callback_answer(query_id) == "Listo"
    assert api.answers_refused == 2
    assert api.transcript.count("< (aviso) Listo") == 1 and "< (aviso) Hola" not in api.transcript
