"""The webhook's HTTP front: a small asyncio server that feeds PTB's update queue.

PTB's own webhook server (tornado) reads a whole request body before it looks
at the secret header, up to 100 MB. This one answers in this order, and reads a
body only when everything before it is right:

1. the request line and headers must arrive within `header_timeout` seconds
   (and fit in 16 KiB), or the connection is closed: no slow-header hold-ups;
2. POST to the webhook path only (404/405 otherwise);
3. `X-Telegram-Bot-Api-Secret-Token` must match (403) *before* any body is read;
4. a `Content-Length` is required (411) and at most `max_body` bytes (413);
5. the body must be a JSON object at most `MAX_JSON_DEPTH` deep that PTB can read as
   an `Update` (400; a deeper body is refused before it is parsed).

Then the update goes to `application.update_queue` and the answer is 200. Every
answer closes the connection (a refusal after a short "lingering close" whose
reads are dropped). Nothing of a request is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot

from bot.core.http_front import TrackedServer, parse_head

log = logging.getLogger(__name__)

BODY_TIMEOUT = 30.0
# Telegram's updates nest about ten deep (a reply's pinned message's keyboard…); Python's
# parser would recurse until RecursionError on a body built of brackets.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
LINGER_SECONDS = 2.0
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
}


class Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class WebhookFront:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        path: str,
        secret: str,
        *,
        max_body: int,
        header_timeout: float,
    ) -> None:
        self._application = application
        self._path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._max_body = max_body
        self._header_timeout = header_timeout
        self._front = TrackedServer(self._serve)

    async def start(self, host: str, port: int) -> None:
        await self._front.start(host, port)
        log.info("webhook listening on %s:%d", host, port)

    async def stop(self) -> None:
        await self._front.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status = await self._handle(reader)
        except Refused as refused:
            status = refused.status
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            status = 0  # too slow, or gone: close without a word
        try:
            if status:
                writer.write(
                    f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
                await asyncio.wait_for(writer.drain(), 5)
                if status != 200:
                    await self._linger(reader, writer)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)

    @staticmethod
    async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Say we are done (FIN), then read and drop what the client still sends, for a
        moment: closing with unread data would reset the connection, and the client could
        lose the answer. Dropped chunks are not kept, so memory stays flat."""
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_SECONDS
        while (left := deadline - loop.time()) > 0:
            if not await asyncio.wait_for(reader.read(65536), left):
                return

    async def _handle(self, reader: asyncio.StreamReader) -> int:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._header_timeout)
        except (asyncio.LimitOverrunError, ValueError):
            raise Refused(431) from None
        request = parse_head(head)
        if request is None:
            raise Refused(400)
        method, headers = request.method, request.headers
        if request.path.rstrip("/") != self._path.rstrip("/"):
            raise Refused(404)
        if method != "POST":
            raise Refused(405)
        if not hmac.compare_digest(
            headers.get("x-telegram-bot-api-secret-token", "").encode(), self._secret
        ):
            raise Refused(403)  # before a single byte of the body is read
        if "transfer-encoding" in headers:
            raise Refused(501)
        try:
            length = int(headers["content-length"])
        except (KeyError, ValueError):
            raise Refused(411) from None
        if length < 0:
            raise Refused(400)
        if length > self._max_body:
            raise Refused(413)
        body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT)
        if json_depth(body) > MAX_JSON_DEPTH:
            raise Refused(400)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise Refused(400) from None
        if not isinstance(data, dict):
            raise Refused(400)
        bot = self._application.bot
        try:
            update = Update.de_json(data, bot)
        except Exception as error:  # noqa: BLE001 - whatever PTB can't read is a bad request
            log.warning("webhook: an update PTB could not read: %s", type(error).__name__)
            raise Refused(400) from None
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        await self._application.update_queue.put(update)
        return 200


def json_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest, strings left out (a bad text may say more
    than it is: the parser refuses it next)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
