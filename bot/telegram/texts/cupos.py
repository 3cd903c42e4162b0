"""/cupos: seat alerts, from the course's sections to the alert itself (issue 11)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.offer import OfferSection as _OfferSection
from bot.services.offer import cupos as _cupos
from bot.telegram.texts.common import cycle_label

COMMAND = ("cupos", "Avisarme cuando se abra un lugar en una materia")

CUPOS_BAD_CLAVE = "Esa clave no parece válida. Es algo como I5890. Ejemplo: /cupos I5890 D"
CUPOS_PICK_CENTRE = "¿De qué centro? Elige uno (la próxima vez lo recuerdo)."
CUPOS_PICK_CYCLE = "¿De qué ciclo?"
CUPOS_NEED_SCHEDULE = (
    "Para saber qué no choca necesito tu horario: pídelo con /horario y vuelve a intentarlo."
)
CUPOS_PAUSED = "SIIAU no responde ahora, así que las alertas de cupo están en pausa ⏸️. Vuelvo a intentar solo en unos minutos."
CUPOS_UNAVAILABLE = "La oferta de SIIAU no responde; inténtalo en unos minutos."
CUPOS_NONE = (
    "No tienes alertas de cupo. Crea una con /cupos CLAVE CENTRO, por ejemplo /cupos I5890 D."
)
CUPOS_GONE = "Esa alerta ya no existe."
CUPOS_ANY = "Cualquier sección"
CUPOS_FIT = "Solo las que no choquen con mi horario"
CUPOS_STOP = "Dejar de avisar"
CUPOS_WATCH = "🔔 Avísame {section}"
CUPOS_REMOVE = "Quitar {label}"
CUPOS_CHANGE_CYCLE = "Cambiar ciclo ({cycle})"


def cupos_error(error: _cupos.CuposError) -> str:
    if isinstance(error, _cupos.LooksLikeNrc):
        return (
            f"{error.nrc} parece un NRC, no una clave 🙂. La clave va junto al NRC en la oferta académica "
            "de SIIAU (o en tu /horario) y es algo como I5890. Ejemplo: /cupos I5890 D"
        )
    if isinstance(error, _cupos.UnknownCentre):
        return f"No conozco el centro «{error.centre}». Escribe /cupos y la clave, sin centro, y te muestro la lista."
    if isinstance(error, _cupos.CycleNotOpen):
        return (
            f"El ciclo {cycle_label(error.cycle) or 'elegido'} no está abierto; elige otro ciclo."
        )
    if isinstance(error, _cupos.UnknownClave):
        return (
            f"No encontré esa clave ({error.clave}) en el centro {error.centre}, "
            f"ciclo {cycle_label(error.cycle.code)} 🤔. Revísala o prueba otro centro."
        )
    if isinstance(error, _cupos.WatchLimitReached):
        return f"Ya tienes {error.limit} alertas, el máximo. Quita alguna con /cupos y vuelve a intentarlo."
    if isinstance(error, _cupos.NoScheduleToFit):
        return CUPOS_NEED_SCHEDULE
    if isinstance(error, _cupos.PollingPaused):
        return CUPOS_PAUSED
    return CUPOS_BAD_CLAVE


def _surnames(name: str) -> str:
    return name.split(",")[0].strip()


def cupos_when(section: _OfferSection) -> str:
    parts = []
    for session in section.sessions:
        days = ", ".join(d.short_es for d in session.days)
        hours = (
            f"{session.start:%H:%M}–{session.end:%H:%M}" if session.start and session.end else ""
        )
        parts.append(" ".join(p for p in (days, hours) if p))
    return " / ".join(p for p in parts if p) or "sin horario"


def cupos_professor(section: _OfferSection) -> str:
    names = dict.fromkeys(_surnames(p.name) for p in section.professors if p.name)
    return " / ".join(names) or "sin profesor"


def cupos_lookup(lookup: _cupos.Lookup) -> str:
    lines = [
        f"📚 {lookup.clave} {lookup.name} · centro {lookup.centre.code} · ciclo {cycle_label(lookup.cycle.code)}"
    ]
    for s in lookup.sections:
        icon = "🟢" if s.free > 0 else "🔴"
        clash = (
            " · ⚠️ choca con tu horario"
            if lookup.fits is not None and s.nrc not in lookup.fits
            else ""
        )
        lines.append(
            f"{icon} {s.section} · NRC {s.nrc} · {cupos_professor(s)} · {cupos_when(s)} · "
            f"{s.free} de {s.seats} libres{clash}"
        )
    lines.append("\nToca un botón y te aviso cuando se abra un lugar.")
    return "\n".join(lines)


def _date(expires_ts: int) -> str:
    return f"{_cupos.expires_on(expires_ts):%d/%m}"


def _target(label: str, target: str, clave: str) -> str:
    if target == "*":
        return f"cualquier sección de {clave}"
    if target == "fit":
        return f"las secciones de {clave} que no choquen con tu horario"
    return f"{label} (NRC {target})"


def cupos_saved(saved: _cupos.WatchSaved, clave: str) -> str:
    return (
        f"✅ Listo: te aviso cuando haya lugar en {_target(saved.label, saved.target, clave)}. "
        f"La alerta dura hasta el {_date(saved.expires_ts)}. Tus alertas: /cupos"
    )


def cupos_watch_list(watches: list[_cupos.WatchRecord]) -> str:
    lines = ["🔔 Tus alertas de cupo:"]
    for w in watches:
        what = _target(w.label, w.target, w.key.clave)
        lines.append(
            f"• {what} · centro {w.key.centre} · {cycle_label(w.key.cycle)} · hasta el {_date(w.expires_ts)}"
        )
    return "\n".join(lines)


def cupos_removed(label: str) -> str:
    return f"Listo, ya no te aviso de {label}."


def cupos_alert(section: _OfferSection) -> str:
    seats = "1 lugar" if section.free == 1 else f"{section.free} lugares"
    return (
        f"🎉 Hay {seats} en {section.key} {section.section} (NRC {section.nrc}) · {cupos_when(section)} · "
        f"{cupos_professor(section)}"
    )


def cupos_expired(watch: _cupos.WatchRecord) -> str:
    return (
        f"⌛ Terminó tu alerta de cupo de {_target(watch.label, watch.target, watch.key.clave)}. "
        f"Si aún la necesitas, créala otra vez con /cupos {watch.key.clave} {watch.key.centre}."
    )


def cupos_status(status: _cupos.CuposStatus, now_ts: float, zone: ZoneInfo) -> str:
    if status.last_ok_ts is None:
        last = "todavía ninguna"
    else:
        ago = max(0, int(now_ts - status.last_ok_ts))
        at = datetime.fromtimestamp(status.last_ok_ts, zone)
        last = f"hace {ago // 60} min {ago % 60} s ({at:%H:%M})"
    state = "⏸️ en pausa: SIIAU no responde" if status.paused else "▶️ activas"
    return "\n".join(
        [
            "📡 Alertas de cupo",
            f"Estado: {state}",
            f"Última consulta exitosa: {last}",
            f"Rondas tardías: {status.late_polls}",
            f"Materias vigiladas: {status.subjects} · alertas: {status.watches} · con fallas: {status.failing}",
            f"Consulto cada {status.interval // 60} min {status.interval % 60} s, una vez por materia.",
        ]
    )
