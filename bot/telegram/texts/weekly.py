"""/semanal: the weekly delivery's menu, its captions and why it paused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.timetable.weekly import WeeklyView
from bot.telegram.texts.common import DAYS, DAYS_SHORT, when

COMMAND = ("semanal", "Recibir mi horario cada semana")

WEEKLY_PICK_DAY = "📅 ¿Qué día quieres recibir tu horario cada semana?"
WEEKLY_QUICK = "Lunes 07:00 (recomendado)"
WEEKLY_PICK_MODE = "¿Te lo mando siempre, o solo cuando cambie?"
WEEKLY_ALWAYS = "Siempre"
WEEKLY_ONLY_CHANGES = "Solo si cambia"
WEEKLY_OFF = "Desactivar envío semanal"
WEEKLY_CHANGE = "Cambiar día u hora"
WEEKLY_TURNED_OFF = (
    "Listo, desactivé el envío semanal. Puedes activarlo cuando quieras con /semanal."
)
WEEKLY_WAS_OFF = "No tenías envío semanal activado. Actívalo con /semanal."
WEEKLY_CAPTION_CHANGED = "Tu horario de la semana 📚 Hubo cambios:"
WEEKLY_CAPTION_NEW = "Tu horario de la semana 📚"
WEEKLY_CAPTION_UNCHANGED = "Tu horario de la semana 📚 (sin cambios)"
WEEKLY_FAILED = "No pude sacar tu horario de esta semana 😓. {reason} Puedes pedirlo con /horario."
WEEKLY_PAUSED_CREDENTIALS = "Pausé tu envío semanal: SIIAU ya no acepta tu NIP. Usa /registrar y luego /semanal para reactivarlo."
WEEKLY_PAUSED_LOCKED = "Pausé tu envío semanal: SIIAU bloqueó tu cuenta. Desbloquéala, usa /registrar y luego /semanal."
PAUSE_REASONS = {
    "invalid_credentials": "pausado: tu NIP cambió, usa /registrar",
    "account_locked": "pausado: cuenta bloqueada en SIIAU",
    "not_registered": "pausado: faltan tus datos, usa /registrar",
    "recipient_gone": "pausado",
}


def weekly_pick_hour(day: int) -> str:
    return f"🕖 {DAYS[day]}. ¿A qué hora? (hora de Guadalajara)"


def weekly_saved(day: int, hour: int, only_if_changed: bool, next_due: str) -> str:
    mode = " solo cuando cambie" if only_if_changed else ""
    return (
        f"✅ Listo: te mando tu horario cada {DAYS[day].lower()} a las {hour:02d}:00{mode}.\n"
        f"Próximo envío: {next_due}. Para apagarlo: /semanal off"
    )


def weekly_status(
    day: int, hour: int, only_if_changed: bool, active: bool, paused: str | None, next_due: str
) -> str:
    if not active:
        return f"Envío semanal: {PAUSE_REASONS.get(paused or '', 'pausado')}"
    mode = ", solo si cambia" if only_if_changed else ""
    return f"Envío semanal: {DAYS_SHORT[day].lower()} {hour:02d}:00{mode} — próximo: {next_due}"


WEEKLY_NONE = "Envío semanal: no activado (/semanal)"


def weekly_line_of(view: WeeklyView | None, zone: ZoneInfo) -> str:
    """The weekly delivery's line, in /semanal's menu and in /estado."""
    if view is None:
        return WEEKLY_NONE
    return weekly_status(
        view.weekday,
        view.hour,
        view.only_if_changed,
        view.active,
        view.paused_reason,
        chosen_slot(view.next_due, view.hour, zone),
    )


def chosen_slot(due: datetime, hour: int, zone: ZoneInfo) -> str:
    """The day and the hour the student picked; the few minutes of spread are ours, not theirs."""
    return when(due.astimezone(zone).replace(hour=hour, minute=0))
