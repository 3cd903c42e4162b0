"""Words of the safety checks: what a forged, stale or out-of-range button gets, and what a
personal command or a secret gets outside a private chat (`bot/telegram/private.py`)."""

from __future__ import annotations

BUTTON_INVALID = "Ese botón ya no es válido"


def private_only(link: str) -> str:
    return f"Eso es personal: escríbeme en privado 🔒 {link}"


def group_secret_warning(link: str) -> str:
    return (
        "⚠️ No escribas tu código ni tu NIP en un grupo. Borré el mensaje si pude; "
        f"si era tu NIP, cámbialo en SIIAU. Escríbeme en privado: {link}"
    )
