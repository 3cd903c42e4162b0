"""/start, /ayuda and the hint for anything else; the command menu every feature adds to."""

from __future__ import annotations

from bot.telegram.texts import (
    calendar,
    cupos,
    daily,
    everyday,
    forget,
    register,
    schedule,
    status,
    weekly,
)

HELP_COMMAND = ("ayuda", "Qué hace este bot")
# The menu, in the order features came; /armar, /amigos… and /calificaciones follow it (app.py).
COMMANDS = [
    schedule.COMMAND,
    weekly.COMMAND,
    register.COMMAND,
    status.COMMAND,
    forget.COMMAND,
    HELP_COMMAND,
    register.CANCEL_COMMAND,
    cupos.COMMAND,
    calendar.COMMAND,
    *daily.COMMANDS,
    *everyday.COMMANDS,
]

WELCOME = (
    "¡Hola! 👋 Te mando tu horario de la UdG en PDF, sacado de SIIAU.\n\n"
    "1. /registrar — guardas tu código y NIP una sola vez.\n"
    "2. /horario — te mando el PDF cuando quieras.\n"
    "3. /hoy, /manana, /siguiente — tus clases sin abrir el PDF; /diario, /recordatorio y "
    "/calendario para tenerlas siempre a la mano.\n"
    "4. /calificaciones — tus calificaciones, tu kárdex en PDF y un aviso cuando salga una nueva.\n\n"
    "Qué guardo: tu código y tu NIP cifrados, tu carrera, tu horario y tus calificaciones cifrados y un "
    "registro de tus consultas. Solo leo tu horario y tus calificaciones; nunca hago trámites por ti.\n"
    "Para borrar todo: /olvidar."
)

HINT = "No entendí 🤔. Usa /horario para tu PDF, /hoy para tus clases de hoy, /registrar para tus datos o /ayuda."
