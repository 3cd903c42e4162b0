"""The operator's words: /stats and the notices sent to ADMIN_CHAT_IDS."""

from __future__ import annotations

from bot.telegram.texts.start import HINT
from bot.telegram.texts.status import RUN_OUTCOMES

ADMIN_UNREADABLE_CREDENTIALS = (
    "⚠️ Ninguna llave de ENCRYPTION_KEYS abre datos guardados de estudiantes ({count} hasta ahora). "
    "No pausé ninguna suscripción: se reintentan solas cuando la llave correcta vuelva a ENCRYPTION_KEYS."
)


def admin_layout_changed(error_class: str, where: str, fragment: str) -> str:
    return f"⚠️ SIIAU devolvió una página desconocida ({error_class}) en {where}. Fragmento:\n{fragment[:500]}"


def admin_breaker_open(failures: str) -> str:
    return f"⚠️ SIIAU falla repetidamente ({failures}); el corta-circuitos está abierto."


def stats(
    runs: dict[str, float],
    retries: float,
    breaker: str,
    openings: float,
    weekly: dict[str, float],
    lag: float,
) -> str:
    def listing(values: dict[str, float]) -> str:
        names = {**RUN_OUTCOMES, **WEEKLY_OUTCOMES}
        return (
            ", ".join(f"{names.get(k, k)} {int(v)}" for k, v in sorted(values.items())) or "ninguna"
        )

    return "\n".join(
        [
            "📊 Estadísticas desde el último arranque",
            f"Ejecuciones: {listing(runs)}",
            f"Reintentos: {int(retries)}",
            f"SIIAU: corta-circuitos {BREAKER_STATES.get(breaker, breaker)} (se abrió {int(openings)} veces)",
            f"Entregas semanales: {listing(weekly)}",
            f"Retraso de la fila semanal: {lag:.0f} s",
        ]
    )


WEEKLY_OUTCOMES = {
    "sent": "enviadas",
    "resent_unchanged": "reenviadas sin cambios",
    "skipped_unchanged": "omitidas sin cambios",
    "retry": "reintentos",
    "expired": "vencidas",
    "paused": "pausadas",
    "no_schedule": "sin materias",
    "already_done": "ya hechas",
}
BREAKER_STATES = {"closed": "cerrado", "open": "abierto", "half_open": "a prueba"}
NOT_ADMIN = HINT
