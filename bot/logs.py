"""Structured logging that cannot print a bot token.

PTB puts the token in every request URL (`…/bot<TOKEN>/method`) and httpx logs
URLs at INFO, so httpx's request lines are silenced and every record passes a
redacting filter on its way out. NIPs never reach a log call in the first place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.core import logcontext

TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    return TOKEN_PATTERN.sub("<token>", text)


class RedactingFormatter(logging.Formatter):
    def __init__(self, style: str = "kv") -> None:
        super().__init__()
        self._json = style == "json"

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        extra = {
            **logcontext.current(),
            **{k: v for k, v in vars(record).items() if k not in _STANDARD},
        }
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if record.exc_info:
            extra["exc"] = redact(self.formatException(record.exc_info))
        if self._json:
            payload = {"ts": when, "level": record.levelname, "logger": record.name, "msg": message}
            payload.update({k: redact(str(v)) for k, v in extra.items()})
            return json.dumps(payload, ensure_ascii=False)
        fields = " ".join(f"{k}={redact(str(v))!r}" for k, v in extra.items())
        return f"{when} {record.levelname} {record.name}: {message}" + (
            f" {fields}" if fields else ""
        )


def configure(level: str = "INFO", style: str = "kv", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(style))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx/httpcore log full request URLs, and PTB's carry the bot token.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # At DEBUG, PTB logs whole updates and every Bot API call's parameters and
    # results, which hold what users typed (a NIP, mid-registration). So PTB's
    # loggers never go below INFO, whatever the level asked for.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
