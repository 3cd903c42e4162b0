"""Every Spanish word of friends and groups (/amigos, /libres, /compartir, /nocompartir)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.schedule.free_time import FreeDay, SharedClass, Window
from bot.schedule.model import Day

COMMANDS = [
    ("amigos", "Mis amigos y mi enlace para invitar"),
    ("libres", "Horas libres en común con mis amigos (o en un grupo)"),
    ("compartir", "Compartir mis horas libres con este grupo"),
    ("nocompartir", "Dejar de compartir mis horas libres"),
]

BUTTON_INVALID = "Ese botón ya no es válido"
YES, NO, REMOVE = "Sí", "No", "Quitar"
NOT_REGISTERED = "Primero registra tus datos de SIIAU con /registrar y luego pide tu /horario."

INVITE_NEW = (
    "🤝 Tu enlace para invitar amigos (pásalo solo a quien quieras):\n{link}\n\n"
    "Quien lo abra y diga que sí verá tus horas libres, y tú las suyas. Nunca tus materias ni aulas."
)
INVITE_EXISTS = (
    "🤝 Ya tienes un enlace para invitar (del {since:%d/%m}). Por seguridad no lo guardo, así que no "
    "puedo mostrarlo otra vez: si lo perdiste, /amigos nuevo te da otro y el anterior deja de servir."
)
NO_FRIENDS_YET = "Aún no tienes amigos aquí. Comparte tu enlace y, cuando acepten, /libres te dice cuándo coinciden."
FRIENDS_LIST = "Tus amigos ({count} de {most}): {names}\nToca «Quitar» para dejar de compartir con alguien (no se le avisa)."
REMOVED = "Listo, ya no compartes horas libres con {name}."


def remove_label(name: str) -> str:
    return f"{REMOVE} a {name}"


def invite_question(name: str) -> str:
    """The issue's question word for word: "¿Compartir tus horas libres con Sofía? Ella verá
    las tuyas." ("Ella" is the issue's; the name alone is left unchanged)."""
    return f"¿Compartir tus horas libres con {name}? Ella verá las tuyas."


INVITE_INVALID = "Ese enlace de amistad no sirve: puede que esté mal copiado o que ya lo hayan cambiado. Pide uno nuevo."
INVITE_OWN = "Ese es tu propio enlace 😄. Pásalo a tus amigos para que lo abran ellos."
INVITE_ALREADY = "Ya compartes horas libres con {name}. Usa /libres para verlas."
INVITE_REGISTER_FIRST = (
    "{name} te invitó a compartir horas libres. Primero regístrate con /registrar; "
    "luego escribe /amigos y ahí estará su invitación esperándote."
)
INVITE_STALE = "Esa invitación ya no está vigente."
INVITE_REVOKED = "{name} cambió su enlace desde entonces; pídele el nuevo."
INVITE_DECLINED = "Va, no comparto nada con {name}."
INVITE_FULL = "No se pudo: alguno de los dos ya llegó al máximo de amigos ({most})."
FRIENDS_NOW = "🤝 ¡Listo! Tú y {name} ya comparten horas libres. Escribe /libres para verlas."
FRIENDS_NOW_INVITER = (
    "🤝 {name} aceptó tu invitación: ya comparten horas libres. Escribe /libres para verlas."
)
WAITING_INVITES = "Tienes invitaciones esperando respuesta:"

FREE_NO_SCHEDULE = "Aún no tengo tu horario guardado. Pide tu /horario una vez y luego /libres (no entro a SIIAU por esto)."
FREE_NO_FRIENDS = "Aún no tienes amigos con quien comparar. Usa /amigos para invitar."
FREE_NO_MATCH = "No tienes un amigo con ese nombre. Tus amigos: {names}"
FREE_NONE_STORED = (
    "Aún no tengo guardado el horario de {names}, así que no hay con qué comparar. "
    "Cuando pidan su /horario una vez, /libres ya sirve."
)
FREE_AMBIGUOUS = "Hay varios amigos que se llaman así: {names}. Elige uno:"
FREE_HEADER = "🕒 Horas libres en común con {names} ({opens}–{closes}, de {minimum} min o más):"
GROUP_HEADER = "Libres los {count} ({names}):"
FREE_NONE_LINE = "{day} sin horas libres en común"
TOGETHER = "En clase juntos: {classes}"
WITHOUT_SCHEDULE = "Sin horario guardado (no cuentan): {names}."
CYCLE_NOTE = (
    "Nota: algún horario guardado es de un ciclo que ya terminó o que aún no empieza; "
    "uso sus clases de cada semana tal cual."
)
STALE_NOTE = "Nota: uso horarios guardados; alguno es del {since:%d/%m} y puede haber cambiado."
GROUP_TOO_FEW = (
    "Para ver horas libres en común hacen falta al menos 2 del grupo que compartan "
    "(ahora {count}). Cada quien escribe /compartir aquí y acepta en privado."
)

PICTURE_BUTTON = "🖼️ Ver la semana en imagen"
PICTURE_TITLE = "Horas libres con {names}"
PICTURE_GROUP_TITLE = "Libres los {count} ({names})"
PICTURE_LEGEND = ("libre para todos", "ocupado")
PICTURE_BUSY = "ocupado"
PICTURE_FAILED = (
    "No pude hacer la imagen ahora 😕. Intenta en un momento; las horas de arriba siguen valiendo."
)

SHARE_QUESTION = "¿Compartir tus horas libres con el grupo «{title}»?"  # the issue's, word for word
SHARE_ASKED = "{name}, te pregunté en privado 🔒."
SHARE_CANT_WRITE = (
    "{name}, no pude escribirte en privado. Ábreme aquí y vuelve a escribir /compartir: {link}"
)
SHARE_NOT_REGISTERED = (
    "Para compartir tus horas libres primero regístrate conmigo en privado 🔒: {link}"
)
SHARE_ONLY_GROUPS = (
    "/compartir se usa dentro de un grupo. Aquí en privado tienes /amigos y /libres."
)
SHARE_DONE = (
    "Listo: el grupo verá tus horas libres y tu nombre, nunca tus materias. /nocompartir lo quita."
)
SHARE_DECLINED = "Va, no comparto nada con ese grupo."
UNSHARED_GROUP = "Listo, ya no comparto tus horas libres con este grupo."
UNSHARED_NOTHING_GROUP = "No estabas compartiendo tus horas libres con este grupo."
UNSHARED_ALL = (
    "Listo, dejé de compartir tus horas libres con {count} grupo(s). Tus amigos siguen en /amigos."
)
UNSHARED_NONE = "No compartes tus horas libres con ningún grupo."


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def window(w: Window) -> str:
    return f"{clock(w.start)}–{clock(w.end)}"


def day_line(day: FreeDay) -> str:
    """`Lun 07:00–09:00, 13:00–15:00`, or `Lun sin horas libres en común`; days off marked."""
    label = day.weekday.short_es
    if not day.free:
        return FREE_NONE_LINE.format(day=label)
    line = f"{label} " + ", ".join(window(w) for w in day.free)
    if day.day_off is not None:
        line += f" (día inhábil: {day.day_off.name})"
    return line


def names_list(names: Sequence[str]) -> str:
    return ", ".join(names)


def names_and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " y " + names[-1]


def shared_class(shared: SharedClass) -> str:
    """`I5886 (Mar, Jue 09:00)`: its key, and when each session meets."""
    parts = [
        ", ".join(Day(d).short_es for d in days) + f" {start:%H:%M}"
        for days, start in shared.meetings
    ]
    return f"{shared.key} ({'; '.join(parts)})" if parts else shared.key


def free_lines(days: Sequence[FreeDay]) -> str:
    return "\n".join(day_line(d) for d in days)


def stale_note(since: datetime, zone: ZoneInfo) -> str:
    return STALE_NOTE.format(since=since.astimezone(zone))
