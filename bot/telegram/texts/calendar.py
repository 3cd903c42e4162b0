"""/calendario: the .ics file and the live calendar link (issue 13)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.schedule.ical import CalendarWords as _CalendarWords
from bot.services.timetable.calendar import LinkState as _LinkState

COMMAND = ("calendario", "Mi horario en Google Calendar o en el calendario del iPhone")

CALENDAR_WORDS = _CalendarWords(
    calendar_name="Horario UdG {term}",
    nrc="NRC {nrc}",
    section="Sección {section}",
    professor="Profesor: {professor}",
)
CALENDAR_CAPTION = (
    "📅 Tu horario {term} para tu calendario.\n"
    "Google Calendar (en computadora): Configuración → Importar y exportar → Importar este archivo.\n"
    "iPhone: abre el archivo y toca «Añadir todo»."
)
CALENDAR_EMPTY = "Tu horario {term} no tiene clases con día y hora fijos, así que no hay nada que poner en tu calendario."
CALENDAR_LINK_FAILED = (
    "No pude preparar tu enlace del calendario ahora; inténtalo en un rato con /calendario."
)


def calendar_unscheduled(courses: tuple[str, ...]) -> str:
    return "Sin horario fijo (no van en el calendario): " + ", ".join(courses) + "."


def calendar_link(state: _LinkState, zone: ZoneInfo) -> str:
    if state.issued is None:
        since = f" (del {state.since.astimezone(zone):%d/%m/%Y})" if state.since else ""
        return (
            f"🔗 Ya tienes un enlace que se actualiza solo{since}. Por seguridad no lo guardo, así que no "
            "puedo mostrártelo de nuevo; si lo perdiste, /calendario nuevo te da otro (el anterior deja de "
            "funcionar)."
        )
    return "\n".join(
        [
            "🔗 Enlace que se actualiza solo cuando cambie tu horario:",
            state.issued.webcal,
            "iPhone o Mac: tócalo y elige «Suscribirse».",
            "Google Calendar (en computadora): Otros calendarios → + → Desde URL, y pega este:",
            state.issued.url,
            "Es personal: quien lo tenga ve tu horario. Si se te filtra, /calendario nuevo lo cambia.",
        ]
    )
