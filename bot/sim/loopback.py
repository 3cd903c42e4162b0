"""The HTTP server every stand-in runs on loopback: threaded, quiet, keep-alive."""

from __future__ import annotations

import select
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Serve = Callable[[BaseHTTPRequestHandler, str], None]


def loopback_server(host: str, port: int, serve: Serve) -> ThreadingHTTPServer:
    """A server whose GET and POST requests all go to `serve(request, method)`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_GET(self) -> None:
            serve(self, "GET")

        def do_POST(self) -> None:
            serve(self, "POST")

        def log_message(self, *_: object) -> None:
            return None

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def address(server: ThreadingHTTPServer) -> str:
    """`http://host:port` of a running server."""
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def hung_up(request: BaseHTTPRequestHandler) -> bool:
    """The client closed its side: whatever we answer now, nobody reads it."""
    try:
        readable, _, _ = select.select([request.connection], [], [], 0)
        return bool(readable) and request.connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
