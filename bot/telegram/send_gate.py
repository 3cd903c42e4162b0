"""Every request to Telegram passes here after PTB's rate limiter, so a send is checked at
the moment it is made: nothing reaches a student from work begun before their `/olvidar`.

The gate wraps the rate limiter (PTB's one hook around every Bot API call, handlers',
notifiers' and progress edits' alike), and asks the erase ledger
(`bot.services.runtime.erasure.EraseLedger`) about the request's private chat. A dropped send
raises `Erased`, a `Forbidden`: the notifiers already read that as "recipient gone", and
a handler's run ends quietly (`handlers/errors.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import Forbidden
from telegram.ext import BaseRateLimiter

from bot.core.worktime import work_started
from bot.services.runtime.erasure import EraseLedger

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Answer = bool | JSONDict | list[JSONDict]


class Erased(Forbidden):
    """Not sent: the student asked to be forgotten after this work began."""

    def __init__(self) -> None:
        super().__init__("the student asked to be forgotten")


class SendGate(BaseRateLimiter[int]):
    """PTB's rate limiter, with the erase check made once its turn comes.

    `ledger` is set once the services exist (`post_init`); until then nothing is held back.
    """

    def __init__(self, inner: BaseRateLimiter[int]) -> None:
        self._inner = inner
        self.ledger: EraseLedger | None = None
        self.dropped = 0

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        async def checked(*a: Any, **kw: Any) -> Answer:
            await self.check(endpoint, data)
            return await callback(*a, **kw)

        return await self._inner.process_request(
            checked, args, kwargs, endpoint, data, rate_limit_args
        )

    async def check(self, endpoint: str, data: dict[str, Any]) -> None:
        """Raise `Erased` when the request is for a private chat whose student was erased
        after the current work began (a private chat's id is its user's id)."""
        chat = private_chat(data)
        if chat is None or self.ledger is None:
            return
        if await self.ledger.dropped(chat, work_started()):
            self.dropped += 1
            log.info(
                "send dropped: its student asked to be forgotten after this work began method=%s",
                endpoint,
            )
            raise Erased()


def private_chat(data: dict[str, Any]) -> int | None:
    """The request's chat when it is a private one (a positive id), else None."""
    value = data.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
