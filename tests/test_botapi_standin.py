"""The Bot API stand-in keeps Telegram's rules that the bot must live with."""

from __future__ import annotations

import httpx

from bot.sim.botapi import BotApiStandIn
from tests.helpers import TEST_TOKEN


def test_more_than_thirty_sends_a_second_get_429_with_retry_after() -> None:
    with BotApiStandIn(TEST_TOKEN) as api, httpx.Client(base_url=api.base_url + TEST_TOKEN) as http:
        answers = [http.post("/sendMessage", data={"chat_id": "1", "text": f"m{i}"}) for i in range(40)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and all(a.json()["parameters"]["retry_after"] >= 1 for a in limited)
    assert len([a for a in answers if a.status_code == 200]) <= 30
    assert api.too_many_requests == len(limited)


def test_wrong_token_is_unauthorized_and_file_ids_can_be_resent() -> None:
    with BotApiStandIn(TEST_TOKEN) as api, httpx.Client() as http:
        assert http.post(api.base_url + "123:wrong/getMe").status_code == 401
        url = api.base_url + TEST_TOKEN
        sent = http.post(url + "/sendDocument", data={"chat_id": "5"},
                         files={"document": ("h.pdf", b"%PDF-1.4 x", "application/pdf")}).json()  # fmt: skip
        file_id = sent["result"]["document"]["file_id"]
        again = http.post(url + "/sendDocument", data={"chat_id": "5", "document": file_id}).json()
        assert again["ok"] and again["result"]["document"]["file_id"] == file_id
        assert api.uploads == 1
        assert [m.document for m in api.documents(5)] == [b"%PDF-1.4 x", b"%PDF-1.4 x"]
        bogus = http.post(url + "/sendDocument", data={"chat_id": "5", "document": "nope"})
        assert bogus.status_code == 400
