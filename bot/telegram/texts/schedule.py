"""/horario: the stages of a run, the PDF's captions and what changed in SIIAU."""

from __future__ import annotations

from bot.schedule.diff import CourseChange

COMMAND = ("horario", "Recibir mi horario en PDF")

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
