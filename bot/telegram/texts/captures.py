"""Words of the operator notices about redacted captures (SIIAU_CAPTURE_DIR)."""

from __future__ import annotations

from pathlib import Path


def capture_saved(path: Path | None) -> str:
    """The line a layout-change notice ends with: where the redacted page is, if it was saved."""
    if path is None:
        return ""
    return f"\n📄 Guardé la página, sin datos personales, en {path}"
