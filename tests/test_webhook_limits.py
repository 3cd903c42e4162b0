"""The webhook bounds what it parses: a body nested too deep is a 400, never a RecursionError."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.telegram.webhook import MAX_JSON_DEPTH, WebhookFront, json_depth

SECRET = "s3cret"


class NoApplication:
    """Nothing may reach the application: every body here is refused before."""

    @property
    def bot(self) -> object:
        raise AssertionError("a refused body reached PTB")


@pytest.fixture
async def webhook() -> AsyncIterator[httpx.AsyncClient]:
    front = WebhookFront(NoApplication(), "/hook", SECRET, max_body=1_048_576, header_timeout=5)  # type: ignore[arg-type]
    await front.start("127.0.0.1", 0)
    port = front._front.port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http
    await front.stop()


def nested(depth: int) -> bytes:
    return b'{"update_id": 1, "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # Python's parser: RecursionError
        b"[" * 500_000,  # unbalanced, and deep
        nested(MAX_JSON_DEPTH + 1),
        b'{"a": "' + b"[" * 10 + b'", "b": ' + b"{" * 40 + b"}" * 40 + b"}",
    ],
    ids=["100k-deep", "unbalanced", "one-past-the-limit", "brackets-in-strings-then-deep"],
)
async def test_a_body_nested_too_deep_is_a_400(webhook: httpx.AsyncClient, body: bytes) -> None:
    answer = await webhook.post(
        "/hook", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert answer.status_code == 400


def test_the_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": "\\"[["}') == 1
    assert json_depth(nested(MAX_JSON_DEPTH)) == MAX_JSON_DEPTH
    assert json_depth(b"[]" * 1000) == 1
