"""What the small HTTP/1.1 fronts share (the webhook, the calendar feed): a server that
keeps track of its connections, so that stopping it ends them, and a request head read
into its parts. Each front decides its own answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

HEADER_LIMIT = 16 * 1024  # a request line and headers larger than this get 431

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def parse_head(head: bytes) -> RequestHead | None:
    """The request line and headers up to the blank line; None when the line is malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return RequestHead(parts[0], parts[1], headers)


class TrackedServer:
    """An asyncio server whose open connections `stop` cancels and waits for."""

    def __init__(self, handler: ConnectionHandler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._tracked, host, port, limit=HEADER_LIMIT)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _tracked(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._handler(reader, writer)
        finally:
            self._connections.discard(task)
