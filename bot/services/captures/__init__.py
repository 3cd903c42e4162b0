"""Redacted captures of SIIAU pages the bot could not read (`SIIAU_CAPTURE_DIR`)."""

from bot.services.captures.capturer import PageCapturer

__all__ = ["PageCapturer"]
