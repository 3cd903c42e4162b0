"""Every word the bot says, in Spanish: short, friendly, one next step each.

Wording is reviewed in this package and nowhere else: one module per feature
(`texts/grades.py`, `texts/planner.py`, …), and this module for what came before
them. Handlers pick a text; they never write one.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.records import FlowRun, State
from bot.pdf.renderer import RenderError
from bot.schedule.agenda import Meeting as _Meeting
from bot.schedule.diff import CourseChange
from bot.schedule.ical import CalendarWords as _CalendarWords
from bot.schedule.model import Course
from bot.services.errors import CredentialsRejected, CredentialsUndecryptable
from bot.services.offer import cupos as _cupos
from bot.services.runtime.login_guard import CodeHeld
from bot.services.timetable import daily as _daily
from bot.services.timetable import everyday as _everyday
from bot.services.timetable.calendar import LinkState as _LinkState
from bot.siiau.errors import (
    AccountLocked,
    CircuitOpen,
    CourseNotInOffer,
    InvalidCredentials,
    LayoutChanged,
    LoginLimitReached,
    LoginUnconfirmed,
    NoSchedule,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauErrorPage,
    SiiauUnavailable,
    SurveyPending,
)
from bot.siiau.offer import OfferSection as _OfferSection

COMMANDS = [
    ("horario", "Recibir mi horario en PDF"),
    ("semanal", "Recibir mi horario cada semana"),
    ("registrar", "Guardar mi código y NIP de SIIAU"),
    ("estado", "Ver mis datos y mis últimas consultas"),
    ("olvidar", "Borrar todos mis datos"),
    ("ayuda", "Qué hace este bot"),
    ("cancelar", "Cancelar lo que estoy haciendo"),
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
NOT_REGISTERED = "Primero registra tus datos de SIIAU con /registrar y luego pide tu /horario."

ASK_CODE = "Escribe tu código de estudiante (solo números). Puedes salir con /cancelar."
BAD_CODE = (
    "Ese código no parece válido: son 5 dígitos, o 7 o más. Escríbelo de nuevo o usa /cancelar."
)
ASK_NIP = "Gracias. Ahora escribe tu NIP de SIIAU. Borraré tu mensaje en cuanto lo lea 🔒."
BAD_NIP_FORMAT = "Un NIP tiene de 1 a 10 letras o números. Escríbelo de nuevo o usa /cancelar."
VERIFYING = "🔐 Verificando tus datos con SIIAU…"
# SIIAU's verdict, the moment it comes; the rest goes on behind it (no «Listo» yet).
VERIFIED_READING = "✅ SIIAU aceptó tu NIP. Guardo tus datos y leo tu horario ⏳"
VERIFIED_SAVING = "✅ SIIAU aceptó tu NIP. Guardo tus datos ⏳"
NIP_REJECTED_RETRY = "SIIAU no aceptó ese NIP. Revísalo y escríbelo de nuevo, o usa /cancelar."
NIP_REJECTED_STOP = (
    "SIIAU rechazó el NIP dos veces, así que paro aquí ✋. SIIAU bloquea la cuenta "
    "después de unos 5 intentos fallidos. Revisa tu NIP entrando a SIIAU y vuelve con /registrar."
)
VERIFY_RETRY_LATER = "Escribe tu NIP otra vez cuando quieras reintentar, o usa /cancelar."
CHOOSE_CAREER = "Tienes más de una carrera. ¿De cuál quieres el horario?"
CANCELLED = "Listo, cancelado. No guardé nada nuevo."
NOTHING_TO_CANCEL = "No hay nada que cancelar 🙂."
NOTHING_TO_CANCEL_REGISTERED = "No hay nada en curso que cancelar. Tus datos ya están guardados; si quieres borrarlos, usa /olvidar."
CANCELLED_VERIFYING = "Listo, cancelado. Cuando SIIAU conteste no guardaré nada 🙂."
VERIFY_CANCELLED = "Cancelaste el registro, así que no guardé tus datos."
ALREADY_SAVED = (
    "Ya no alcanzo a cancelarlo: SIIAU aceptó tus datos y ya los guardé cifrados. "
    "Si quieres borrarlos, usa /olvidar."
)
STILL_VERIFYING = "Sigo verificando tus datos con SIIAU ⏳. Espera un momento, o usa /cancelar."
DIALOG_EXPIRED = "Tu registro expiró ⌛. Empieza de nuevo con /registrar."
NIP_IS_CODE = (
    "Eso es tu código de estudiante otra vez 🙂. Ahora necesito tu NIP (la contraseña de SIIAU). "
    "Escríbelo, o usa /cancelar."
)
NIP_FORWARDED = "No acepto un NIP reenviado 🔒. Escríbelo tú directamente aquí, o usa /cancelar."
INTERRUPTED = "⚠️ Esto se interrumpió porque me reinicié. Inténtalo de nuevo, por favor."


def registered(career_name: str) -> str:
    return (
        f"✅ ¡Listo! SIIAU aceptó tus datos y los guardé cifrados ({career_name}).\n"
        "Pide tu horario con /horario."
    )


STAGES = {
    "queued": "⏳ En fila, enseguida voy…",
    "login": "⏳ Iniciando sesión en SIIAU…",
    "fetch": "📥 Descargando horario…",
    "pdf": "🧾 Generando PDF…",
}
DONE = "✅ Listo, aquí está tu horario."
DOCUMENT_CAPTION = "Tu horario {term} 📚"
DOCUMENT_CAPTION_UNCHANGED = "Tu horario {term} 📚 (sin cambios desde la última vez)"
SAVED_COPY_CAPTION = "Tu horario {term} 📚 guardado el {date}. Verificando con SIIAU…"
VERIFIED_UNCHANGED = "✅ Sin cambios en SIIAU: tu horario de arriba está al día."
CHANGED_CAPTION = "Tu horario {term} 📚 cambió en SIIAU:"
SAVED_COPY_KEPT = "{reason}\n📄 El PDF de arriba es tu copia guardada del {date}."
ALREADY_RUNNING = "Ya estoy sacando tu horario, dame un momento ⏳."
RATE_LIMITED = "Pediste tu horario muchas veces seguidas. Espera un minuto y vuelve a intentar 🙏."

ERRORS: dict[type[BaseException], str] = {
    SiiauUnavailable: "SIIAU no responde; inténtalo en unos minutos.",
    CircuitOpen: "SIIAU no responde; inténtalo en unos minutos.",
    InvalidCredentials: "SIIAU ya no acepta tu NIP: tu NIP cambió: usa /registrar.",
    CredentialsRejected: "Tu NIP cambió: usa /registrar para guardarlo de nuevo.",
    AccountLocked: (
        "SIIAU bloqueó tu cuenta por intentos fallidos 🔒. Desbloquéala en la ventanilla de "
        "control escolar de tu centro o en SIIAU, y luego usa /registrar."
    ),
    SurveyPending: "SIIAU te pide contestar una encuesta antes de ver tu horario. Contéstala en SIIAU y vuelve a pedirlo.",
    SessionAlreadyOpen: "Tienes una sesión abierta de SIIAU en otro lado. Ciérrala y vuelve a intentar en unos minutos.",
    SessionExpired: "SIIAU cerró la sesión a medio camino; inténtalo en unos minutos.",
    LayoutChanged: "SIIAU cambió su página; ya avisamos al administrador. Inténtalo más tarde.",
    NoSchedule: "No tienes materias registradas en este ciclo 📭.",
    LoginLimitReached: (
        "Ya intenté entrar a SIIAU muchas veces por ti. Para proteger tu cuenta, espera unas horas "
        "y vuelve a intentarlo 🙏."
    ),
    RenderError: "No pude generar el PDF esta vez. Inténtalo en unos minutos.",
    CredentialsUndecryptable: "No pude leer tus datos guardados. Regístrate de nuevo con /registrar, por favor.",
}
UNEXPECTED = "Algo salió mal de mi lado 😓. Inténtalo en unos minutos."

# ---- login guard, operator notices (issue 10) ------------------------------------
ERRORS[CodeHeld] = (
    "Hubo varios intentos seguidos con NIP equivocado para este código, así que dejé de "
    "intentarlo 🔒: uno más podría hacer que SIIAU bloquee la cuenta. Si es tu código, revisa tu "
    "NIP entrando a SIIAU desde el navegador y pide al administrador del bot que lo libere."
)
# ---- pages SIIAU answered that say neither yes nor no (issue 9, "Bad input") --------
ERRORS[LoginUnconfirmed] = (
    "SIIAU respondió a tu NIP con una página que no reconozco, así que no sé si lo aceptó. "
    "No lo volví a intentar para no arriesgar tu cuenta 🔒; ya avisamos al administrador. "
    "Revisa que entras a SIIAU desde el navegador y vuelve a intentarlo más tarde."
)
ERRORS[SiiauErrorPage] = "SIIAU mostró una página de error; inténtalo en unos minutos."
ERRORS[CourseNotInOffer] = (
    "Una de tus materias registradas no aparece en la oferta de SIIAU, así que no te mando un "
    "horario incompleto. Ya avisamos al administrador; inténtalo más tarde."
)
ADMIN_UNREADABLE_CREDENTIALS = (
    "⚠️ Ninguna llave de ENCRYPTION_KEYS abre datos guardados de estudiantes ({count} hasta ahora). "
    "No pausé ninguna suscripción: se reintentan solas cuando la llave correcta vuelva a ENCRYPTION_KEYS."
)


def error_text(error: BaseException) -> str:
    """The text of the nearest class in the error's MRO that has one (`CircuitOpen` has its own)."""
    for cls in type(error).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return UNEXPECTED


FORGET_CONFIRM = (
    "¿Borro tu código, tu NIP, tu horario guardado, tu historial, tus PDFs, tus avisos, tu enlace de "
    "calendario, tus amistades y lo que compartes con grupos? No se puede deshacer."
)
FORGET_YES = "Sí, borrar todo"
FORGET_NO = "No, conservar"
FORGOTTEN = "🗑️ Listo, borré todos tus datos. Si quieres volver, usa /registrar."
FORGET_KEPT = "Perfecto, no borré nada."

RUN_OUTCOMES = {
    "delivered": "entregado",
    "reused": "entregado (sin cambios)",
    "verified": "datos verificados",
    "rendered": "PDF generado de nuevo",
    "swept": "sesiones huérfanas cerradas",
    "no_schedule": "sin materias",
    "failed": "falló",
}
TASK_NAMES = {
    "login": "sesión",
    "careers": "carreras",
    "fetch": "descarga",
    "logout": "salida",
    "clean": "lectura",
    "pdf": "PDF",
}
TASK_STATES = {
    State.COMPLETED: "✅",
    State.FAILED: "❌",
    State.CACHED: "♻️",
    State.SKIPPED: "⏭️",
    State.RUNNING: "⏳",
    State.PENDING: "⏳",
}


def status(
    code_hint: str,
    career: str,
    career_name: str,
    rejected: bool,
    runs: list[FlowRun],
    zone: ZoneInfo,
    weekly_line: str,
) -> str:
    lines = [
        "📋 Tus datos",
        f"Código: {code_hint}",
        f"Carrera: {career_name} ({career})",
        "NIP: guardado y cifrado" + (" — SIIAU lo rechazó, usa /registrar" if rejected else ""),
        weekly_line,
        "",
    ]
    if not runs:
        lines.append("Aún no hay consultas.")
    else:
        lines.append("Últimas consultas:")
        for run in runs:
            when = run.started_at.astimezone(zone).strftime("%d/%m %H:%M")
            outcome = RUN_OUTCOMES.get(run.outcome or "", run.outcome or "")
            lines.append(f"• {when} — {outcome} ({_duration(run.duration_ms)})")
            lines.append(
                "   "
                + " · ".join(
                    f"{TASK_STATES.get(t.state, '')} {TASK_NAMES.get(t.name, t.name)} "
                    f"{_duration(t.duration_ms)}" + (f" ×{t.attempts}" if t.attempts > 1 else "")
                    for t in run.tasks
                )
            )
    return "\n".join(lines)


def _duration(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def not_registered_status() -> str:
    return "No tengo datos tuyos guardados. Usa /registrar para empezar."


def admin_layout_changed(error_class: str, where: str, fragment: str) -> str:
    return f"⚠️ SIIAU devolvió una página desconocida ({error_class}) en {where}. Fragmento:\n{fragment[:500]}"


def admin_breaker_open(failures: str) -> str:
    return f"⚠️ SIIAU falla repetidamente ({failures}); el corta-circuitos está abierto."


# ---- weekly deliveries ---------------------------------------------------------
DAYS = ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado")
DAYS_SHORT = (
    "Lun",
    "Mar",
    "Mié",
    "Jue",
    "Vie",
    "Sáb",
    "Dom",
)  # Dom: a due time may fall on a Sunday
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


def when(moment_local: datetime) -> str:
    return f"{DAYS_SHORT[moment_local.weekday()].lower()} {moment_local:%d/%m %H:%M}"


def short_date(moment_local: datetime) -> str:
    return f"{moment_local:%d/%m}"


def weekly_changes(changes: list[CourseChange]) -> str:
    lines = []
    for change in changes:
        if change.kind == "added":
            lines.append(f"• Nueva: {change.name} (NRC {change.nrc})")
        elif change.kind == "removed":
            lines.append(f"• Quitada: {change.name} (NRC {change.nrc})")
        else:
            lines.append(f"• Cambió horario/aula: {change.name} — {change.before} → {change.after}")
    return "\n".join(lines)


# ---- operator ---------------------------------------------------------------------
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


# ---- groups and channels ------------------------------------------------------------
PRIVATE_ONLY_BUTTON = "Escríbeme en privado 🔒"


def private_only(link: str) -> str:
    return f"Eso es personal: escríbeme en privado 🔒 {link}"


def group_secret_warning(link: str) -> str:
    return (
        "⚠️ No escribas tu código ni tu NIP en un grupo. Borré el mensaje si pude; "
        f"si era tu NIP, cámbialo en SIIAU. Escríbeme en privado: {link}"
    )


# ---- /cupos: seat alerts (issue 11) -------------------------------------------------
# Imported here so this block stays in one piece at the end of the file.

COMMANDS.append(("cupos", "Avisarme cuando se abra un lugar en una materia"))
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


def cycle_label(code: str) -> str:
    """202610 → 2026-A, 202620 → 2026-B; other codes as they are."""
    if len(code) == 6 and code.isdigit() and code[4:] in ("10", "20"):
        return f"{code[:4]}-{'A' if code[4:] == '10' else 'B'}"
    return code


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


# ---- /calendario: the .ics file and the live calendar link (issue 13) -------------------

COMMANDS.append(("calendario", "Mi horario en Google Calendar o en el calendario del iPhone"))
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


# ---- daily digest and reminders (/diario, /recordatorio) ----

COMMANDS.append(("diario", "Mis clases del día, cada mañana"))
COMMANDS.append(("recordatorio", "Avisarme antes de cada clase"))
DAILY_PICK_HOUR = "☀️ ¿A qué hora te mando tus clases del día? Solo los días que tengas clases (hora de Guadalajara)."
DAILY_OFF = "Apagar"
DAILY_TURNED_OFF = "Listo, ya no te mando tus clases cada mañana."
DAILY_NEED_SCHEDULE = (
    "Ojo: aún no tengo tu horario guardado. Pide tu /horario una vez y desde ahí funciona."
)
REMINDER_PICK = "⏰ ¿Cuánto antes de cada clase te aviso?"
REMINDER_OFF = "No avisarme"
REMINDER_TURNED_OFF = "Listo, ya no te aviso antes de tus clases."
_DAY_NAMES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


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
    day = f"{_DAY_NAMES[digest.day.weekday()]} {digest.day:%d/%m}"
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


# ---- everyday answers: /hoy, /manana, /siguiente (issue 13) --------------------------
# Imported here so this block stays in one piece at the end of the file.


COMMANDS.extend(
    [
        ("hoy", "Mis clases de hoy"),
        ("manana", "Mis clases de mañana"),
        ("siguiente", "Mi siguiente clase"),
    ]
)
EVERYDAY_SLOW = "🔎 Consultando SIIAU…"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
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
