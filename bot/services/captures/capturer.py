"""Saves the page behind a `LayoutChanged`, redacted, where the operator can fetch it.

Off unless `SIIAU_CAPTURE_DIR` is set. Each page goes through the same redactor as
`python -m bot diagnose --capture` (`bot.siiau.redact`), with a first line naming the
error, the step, the path and the time. The folder is 0700, each file 0600 and written
once (never overwritten); at most `SIIAU_CAPTURE_MAX` files are kept, the oldest removed
first. A capture that cannot be written costs a log line, never the notice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.siiau import redact
from bot.siiau.errors import LayoutChanged

log = logging.getLogger(__name__)

SUFFIX = ".html"


class PageCapturer:
    def __init__(
        self, folder: Path | None, max_files: int = 50, clock: Callable[[], float] = time.time
    ) -> None:
        if max_files < 1:
            raise ValueError("max_files must be at least 1")
        self._folder = folder
        self._max = max_files
        self._clock = clock

    @classmethod
    def off(cls) -> PageCapturer:
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self._folder is not None

    async def save(self, error: LayoutChanged) -> Path | None:
        """The file written for `error`'s page, or None (captures off, no page, or a failed write)."""
        if self._folder is None or error.page is None:
            return None
        try:
            return await asyncio.to_thread(self._write, self._folder, error)
        except OSError as failure:
            log.warning("siiau capture not written: %s", type(failure).__name__)
            return None

    def _write(self, folder: Path, error: LayoutChanged) -> Path:
        page = error.page
        assert page is not None
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        moment = datetime.fromtimestamp(self._clock(), UTC)
        step = error.step or "unknown"
        # The name starts with the UTC time to the microsecond: sorting by name is oldest first.
        slug = re.sub(r"[^a-z0-9]+", "_", step.lower()).strip("_") or "page"
        path = folder / f"{moment:%Y%m%dT%H%M%S%f}Z_{slug}_{secrets.token_hex(3)}{SUFFIX}"
        about = (
            f"horario-bot capture · {type(error).__name__} · step: {step} · path: {error.path or page.path}"
            f" · {page.method} HTTP {page.status} · missing: {error.marker or '-'} · {moment.isoformat()}"
        )
        header = "<!-- " + redact.Redactor().redact(about).replace("--", "-") + " -->\n"
        text = header + redact.redact_page(page)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        self._prune(folder)
        log.info("siiau capture written step=%s file=%s", step, path.name)
        return path

    def _prune(self, folder: Path) -> None:
        files = sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())
        for old in files[: max(0, len(files) - self._max)]:
            old.unlink(missing_ok=True)
