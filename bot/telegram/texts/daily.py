"""/diario and /recordatorio: the morning digest and the reminder before each class."""

from __future__ import annotations

from bot.schedule.agenda import Meeting as _Meeting
from bot.services.timetable import daily as _daily
from bot.telegram.texts.common import WEEKDAYS

COMMANDS = [
    ("diario", "Mis clases del día, cada mañana"),
    ("recordatorio", "Avisarme antes de cada clase"),
]

DAILY_PICK_HOUR = "☀️ ¿A qué hora te mando tus clases del día? Solo los días que tengas clases (hora de Guadalajara)."
DAILY_OFF = "Apagar"
DAILY_TURNED_OFF = "Listo, ya no te mando tus clases cada mañana."
DAILY_NEED_SCHEDULE = (
    "Ojo: aún no tengo tu horario guardado. Pide tu /horario una vez y desde ahí funciona."
)
REMINDER_PICK = "⏰ ¿Cuánto antes de cada clase te aviso?"
REMINDER_OFF = "No avisarme"
REMINDER_TURNED_OFF = "Listo, ya no te aviso antes de tus clases."


def daily_status(hour: int | None) -> str:
    if hour is None:
        return "Resumen diario: apagado."
    return f"Resumen diario: activado a las {hour:02d}:00."


def daily_saved(hour: int, has_schedule: bool) -> str:
    text = f"✅ Listo: los días con clases te mando tu resumen a las {hour:02d}:00 (o unos minutos después)."
    return text if has_schedule else f"{text}\n{DAILY_NEED_SCHEDULE}"


def reminder_status(minutes: int | None) -> str:
    if minutes is None:
        return "Recordatorios: apagados."
    return f"Recordatorios: {minutes} min antes de cada clase."


def reminder_button(minutes: int) -> str:
    return f"{minutes} min"


def reminder_saved(minutes: int, has_schedule: bool) -> str:
    text = f"✅ Listo: te aviso {minutes} min antes de cada clase."
    return text if has_schedule else f"{text}\n{DAILY_NEED_SCHEDULE}"


def _class_details(meeting: _Meeting) -> str:
    return " · ".join(
        part for part in (meeting.session.place or "sin aula", meeting.session.professor) if part
    )


def daily_digest(digest: _daily.Digest) -> str:
    count = len(digest.meetings)
    classes = "1 clase" if count == 1 else f"{count} clases"
    day = f"{WEEKDAYS[digest.day.weekday()]} {digest.day:%d/%m}"
    lines = [f"☀️ Buenos días. Hoy, {day}, tienes {classes}:"]
    for meeting in digest.meetings:
        lines.append(
            f"• {meeting.session.hours} {meeting.course.name}\n   {_class_details(meeting)}"
        )
    return "\n".join(lines)


def daily_reminder(reminder: _daily.Reminder) -> str:
    meeting = reminder.meeting
    return (
        f"⏰ En {reminder.minutes} min: {meeting.course.name} ({meeting.session.hours})\n"
        f"{_class_details(meeting)}"
    )
