"""/estado: what is stored about the student, and their last runs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.records import FlowRun, State

COMMAND = ("estado", "Ver mis datos y mis últimas consultas")

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
