"""/hoy, /manana and /siguiente: the student's classes without opening the PDF (issue 13)."""

from __future__ import annotations

import math
from datetime import date, datetime

from bot.schedule.agenda import Meeting as _Meeting
from bot.schedule.model import Course
from bot.services.timetable import everyday as _everyday
from bot.telegram.texts.common import WEEKDAYS

COMMANDS = [
    ("hoy", "Mis clases de hoy"),
    ("manana", "Mis clases de mañana"),
    ("siguiente", "Mi siguiente clase"),
]

EVERYDAY_SLOW = "🔎 Consultando SIIAU…"
SOON_MINUTES = 120  # under this, /siguiente says "en 25 min"


def _day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"


def _place(meeting: _Meeting) -> str:
    return meeting.session.place or "sin aula"


def class_line(meeting: _Meeting) -> str:
    """One class: time, course, building and room, professor (or the day off that cancels it)."""
    start, end = meeting.starts, meeting.ends
    hours = f"{start:%H:%M}–{end:%H:%M}" + (" (+1 día)" if end.date() != start.date() else "")
    parts = [f"• {hours} {meeting.course.name}"]
    if meeting.day_off is not None:
        parts.append(f"día inhábil ({meeting.day_off.name})")
    else:
        parts.append(_place(meeting))
        if meeting.session.professor:
            parts.append(meeting.session.professor)
    return " · ".join(parts)


def _saved(saved: _everyday.Saved | None) -> list[str]:
    if saved is None:
        return []
    return [f"ℹ️ Es tu horario guardado del {saved.read_at:%d/%m}; lo estoy actualizando con SIIAU."]


def _unscheduled(courses: tuple[Course, ...]) -> list[str]:
    if not courses:
        return []
    return ["", "Sin horario fijo: " + ", ".join(c.name for c in courses)]


def _cycle_over(term: str, last: date | None, today: date) -> str:
    if last is None:
        return (
            f"Tu ciclo {term} ya terminó. Cuando tengas tu nuevo horario, actualízalo con /horario."
        )
    verb = "terminó" if last < today else "termina"
    return f"Tu ciclo {term} {verb} el {_day(last)} 🎓. Cuando tengas tu nuevo horario, actualízalo con /horario."


def everyday_day(answer: _everyday.DayAnswer) -> str:
    """/hoy and /manana."""
    label = "Mañana" if answer.tomorrow else "Hoy"
    header = f"📅 {label}, {_day(answer.day)}"
    lines = _saved(answer.saved)
    if answer.cycle_end is not None:
        lines.append(f"{header}: no tienes clases.")
        lines.append(_cycle_over(answer.term_label, answer.cycle_end, answer.today))
    elif answer.held:
        lines.append(f"{header}:")
        lines.extend(class_line(m) for m in answer.meetings)
    else:
        day_off = answer.meetings[0].day_off if answer.meetings else None
        if day_off is not None:
            lines.append(f"{header}: día inhábil ({day_off.name}) 🎉, no tienes clases.")
            lines.extend(class_line(m) for m in answer.meetings)
        else:
            lines.append(f"{header}: no tienes clases 🙌.")
        if answer.next_day is not None and answer.next_first is not None:
            lines.append(
                f"Tu próximo día con clases: {_day(answer.next_day)}, desde las {answer.next_first.starts:%H:%M}."
            )
        else:
            lines.append(
                "No veo más clases en tu horario guardado. Si cambió, actualízalo con /horario."
            )
    lines.extend(_unscheduled(answer.unscheduled))
    return "\n".join(lines)


def next_when(now: datetime, starts: datetime) -> str:
    """When the next class starts: "en 25 min", "hoy 15:00", "mañana 07:00", "el jueves 07:00"…"""
    minutes = math.ceil(
        (starts - now).total_seconds() / 60
    )  # rounded up: "en 1 min", never "en 0 min"
    if minutes < 60:
        return f"en {max(minutes, 1)} min"
    if minutes < SOON_MINUTES:
        hours, rest = divmod(minutes, 60)
        return f"en {hours} h {rest} min" if rest else f"en {hours} h"
    days = (starts.date() - now.date()).days
    if days == 0:
        return f"hoy {starts:%H:%M}"
    if days == 1:
        return f"mañana {starts:%H:%M}"
    if days < 7:
        return f"el {WEEKDAYS[starts.weekday()]} {starts:%H:%M}"
    return f"el {_day(starts.date())} {starts:%H:%M}"


def everyday_next(answer: _everyday.NextAnswer) -> str:
    """/siguiente."""
    lines = _saved(answer.saved)
    if answer.cycle_end is not None:
        lines.append(_cycle_over(answer.term_label, answer.cycle_end, answer.now.date()))
    elif answer.meeting is None:
        lines.append(
            "No veo próximas clases en tu horario guardado. Si cambió, actualízalo con /horario."
        )
    else:
        lines.append(f"⏭️ Tu siguiente clase es {next_when(answer.now, answer.meeting.starts)}:")
        lines.append(class_line(answer.meeting))
    lines.extend(_unscheduled(answer.unscheduled))
    return "\n".join(lines)
