"""A student's SIIAU login, which must never be printed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Credentials:
    code: str
    nip: str

    def __repr__(self) -> str:
        return f"Credentials(code={mask_code(self.code)!r}, nip='***')"

    __str__ = __repr__


def mask_code(code: str) -> str:
    """Show only the last three digits of a student code."""
    if len(code) <= 3:
        return "*" * len(code)
    return "*" * (len(code) - 3) + code[-3:]
