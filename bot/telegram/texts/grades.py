"""Every word of /calificaciones and of grade alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.schedule.grades import BoletaRow, GradeKind, GradesReport, Posting

COMMAND = ("calificaciones", "Mis calificaciones, y un aviso cuando salga una nueva")

CHECKING = "⏳ Consultando tus calificaciones en SIIAU…"
STAGES = {
    "queued": "⏳ En fila, enseguida voy…",
    "login": "⏳ Iniciando sesión en SIIAU…",
    "fetch": "📥 Leyendo tu kárdex y tu boleta…",
}
SURVEY = "SIIAU te pide contestar la encuesta de evaluación docente antes de ver tus calificaciones"
BUTTON_KARDEX = "📄 Kárdex completo"
BUTTON_ALERTS_ON = "🔔 Avisarme cuando salga una calificación"
BUTTON_ALERTS_OFF = "🔕 Ya no avisarme"
NO_KARDEX_YET = "Todavía no tengo tu kárdex. Pídelo con /calificaciones."
KARDEX_CAPTION = "Tu kárdex completo 📄"
KARDEX_FAILED = "No pude generar el PDF de tu kárdex. Intenta de nuevo en un rato."
USAGE = "Usa /calificaciones para ver tus calificaciones, o /calificaciones avisar para prender o apagar los avisos."
ALERTS_ON = (
    "🔔 Listo: te aviso cuando salga una calificación nueva o cambie una.\n"
    "Reviso SIIAU cada pocas horas, solo cerca del fin de ciclo y mientras te falten calificaciones."
)
ALERTS_OFF = "🔕 Listo, ya no te aviso de calificaciones."
NOTHING_NEW = "✅ Verificado en SIIAU: nada nuevo."
NO_BOLETA = "SIIAU no muestra boleta del ciclo en curso por ahora."
NOTICES = {
    "rejected": (
        "🔕 SIIAU rechazó tu NIP, así que dejé de revisar tus calificaciones. "
        "Actualízalo con /registrar y vuelve a prender los avisos con /calificaciones avisar."
    ),
    "layout": (
        "⚠️ SIIAU cambió su página de calificaciones y por ahora no la puedo leer. "
        "Ya avisé a quien mantiene el bot; sigo intentando y te aviso cuando salga algo."
    ),
}
OUTCOMES = {
    "ok": "bien",
    "survey": "SIIAU pide la encuesta",
    "unavailable": "SIIAU no respondió",
    "layout_changed": "SIIAU cambió su página",
    "busy": "ocupado, se reintenta",
    "rejected": "NIP rechazado",
}


def kind_word(kind: GradeKind) -> str:
    return kind.value


def survey(link: str) -> str:
    return f"{SURVEY}: {link}" if link else f"{SURVEY}."


def ago(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} días"


def saved_header(read_at: datetime, now: datetime) -> str:
    return f"Tus calificaciones guardadas hace {ago(now - read_at)}, verificando…"


def saved_header_done(read_at: datetime, now: datetime) -> str:
    return f"Tus calificaciones guardadas hace {ago(now - read_at)}:"


def subject_line(row: BoletaRow) -> str:
    latest = row.latest
    label = f"{row.clave} {row.name}".strip()
    if latest is None:
        return f"{label}: sin calificación todavía"
    grade, kind = latest
    mark = " ❌" if grade.failing else ""
    return f"{label}: {grade.value} ({kind_word(kind)}){mark}"


def report(report: GradesReport) -> str:
    lines: list[str] = []
    if report.boleta is None:
        lines.append(NO_BOLETA)
    else:
        lines.append("📚 Ciclo en curso:")
        lines.extend(f"• {subject_line(row)}" for row in report.boleta.rows)
        if not report.boleta.rows:
            lines.append("• (sin materias)")
    lines.append("")
    if report.promedio is not None:
        lines.append(f"Promedio: {report.promedio.promedio}")
    lines.extend(report.kardex.credit_lines)
    if report.kardex.missing_credits:
        lines.append(f"Créditos faltantes: {report.kardex.missing_credits}")
    return "\n".join(lines).strip()


def posting_line(posting: Posting) -> str:
    return f"{posting.name}: {posting.value} ({kind_word(posting.kind)})"


def what_is_new(new: tuple[Posting, ...]) -> str:
    if not new:
        return NOTHING_NEW
    return "🆕 Nuevo en SIIAU:\n" + "\n".join(f"• {posting_line(p)}" for p in new)


def grade_alert(posting: Posting) -> str:
    return f"📝 Salió tu calificación de {posting_line(posting)}"


def status_line(enabled: bool, last_check: datetime | None, outcome: str | None) -> str:
    state = "prendidos" if enabled else "apagados (/calificaciones avisar)"
    line = f"Avisos de calificaciones: {state}"
    if last_check is not None:
        line += f"; última revisión {last_check.strftime('%d/%m %H:%M')}"
        if outcome:
            line += f" ({OUTCOMES.get(outcome, outcome)})"
    return line
