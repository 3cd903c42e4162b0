"""Words of the safety checks: what a forged, stale or out-of-range button gets."""

from __future__ import annotations

BUTTON_INVALID = "Ese botón ya no es válido"
