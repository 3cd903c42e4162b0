"""Every word of /armar (the schedule planner) and of /horario's picture."""

from __future__ import annotations

from bot.services.offer import OfferSection as _OfferSection
from bot.services.planner import request as _request
from bot.services.planner import service as _service
from bot.telegram.texts.common import CAPTION_LIMIT as _CAPTION_LIMIT
from bot.telegram.texts.common import cycle_label
from bot.telegram.texts.common import fit_caption as _fit_caption
from bot.telegram.texts.cupos import cupos_professor

STALE_BUTTON = "Ese botón ya no es válido"
COMMAND = ("armar", "Arma tu horario del próximo ciclo con la oferta")
PICK_CENTRE = "¿De qué centro? Elige uno (la próxima vez lo recuerdo)."
PICK_CYCLE = "¿De qué ciclo?"
FIXED_LEGEND = "Tu horario actual (se queda igual)"
CHANGE_CYCLE = "Ciclo {cycle}"
PREVIOUS = "◀️"
NEXT = "▶️"
WATCH_FULL = "🔔 Avísame de los llenos"
PLAN_B = "🅱️ Plan B"
ICS = "📅 .ics"
AS_PICTURE = "🖼 Como imagen"
OFFER_DOWN = (
    "La oferta de SIIAU no responde ahora y no tengo una copia reciente; inténtalo en unos minutos."
)
NEEDS_REGISTRATION = (
    "«con mi horario» necesita que te registres (/registrar) y pidas tu /horario una vez."
)
NEEDS_SCHEDULE = (
    "«con mi horario» necesita tu horario guardado: pídelo con /horario y vuelve a intentarlo."
)
NO_CYCLE = "No encontré un ciclo abierto en la oferta de SIIAU."
NO_SCHEDULE_PICTURE = "Aún no tengo tu horario guardado: pídelo con /horario."
PICTURE_CAPTION = "Tu horario como fondo de pantalla 📱"
HINT = (
    "Escríbelo así: /armar CLAVE [CLAVE …] [CENTRO] [opciones], por ejemplo\n"
    "/armar I5886 I7412 LE201 D desde 9 sin viernes\n\n"
    "Opciones: desde H · hasta H · sin DÍA (lunes…sábado o L M I J V S) · con cupo · con mi horario"
)
OPTION_NAMES = {"desde": "«desde»", "hasta": "«hasta»", "sin": "«sin»", "cupo": "«con cupo»"}


def pick_centre(choice: _service.PlanCentreChoice) -> str:
    if choice.unknown is None:
        return PICK_CENTRE
    return f"No conozco el centro «{choice.unknown}». {PICK_CENTRE}"


def request_error(error: _request.RequestError) -> str:
    if isinstance(error, _request.TooManyClaves):
        return f"Son demasiadas materias: hasta {_request.MAX_CLAVES} claves por búsqueda."
    if isinstance(error, _request.RepeatedClave):
        return f"Pusiste {error.clave} dos veces; escríbela una sola vez."
    if isinstance(error, _request.LooksLikeNrc):
        return f"{error.nrc} parece un NRC, no una clave 🙂. La clave es algo como I5890.\n\n{HINT}"
    if isinstance(error, _request.BadHours):
        if error.since is None or error.until is None:
            typed = f"desde {error.since}" if error.until is None else f"hasta {error.until}"
            return f"«{typed}» no es una hora: las horas van de 0 a 24."
        return f"«desde {error.since} hasta {error.until}» no deja ninguna hora: «desde» va antes que «hasta» (0 a 24)."
    if isinstance(error, _request.UnknownWords):
        return f"No entendí: {' '.join(error.words)}.\n\n{HINT}"
    return HINT


def planner_error(error: _service.PlannerError) -> str:
    if isinstance(error, _service.NeedsRegistration):
        return NEEDS_REGISTRATION
    if isinstance(error, _service.NeedsSchedule):
        return NEEDS_SCHEDULE
    if isinstance(error, _service.NoCycle):
        return NO_CYCLE
    return OFFER_DOWN


def count_text(plan: _service.Plan) -> str:
    return "más de 10,000" if plan.capped else f"{plan.count:,}"


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _notes(plan: _service.Plan, *, missing: bool = True) -> list[str]:
    notes = []
    if plan.missing and missing:
        notes.append(
            f"⚠️ No está en la oferta de este centro y ciclo: {', '.join(plan.missing)} (armé con las demás)."
        )
    if not plan.complete:
        notes.append(
            "⚠️ Son muchísimas combinaciones: son las mejores que encontré, puede haber alguna un poco mejor."
        )
    if plan.unread:
        notes.append(
            f"⚠️ La oferta de SIIAU no responde y no tengo copia reciente de {', '.join(plan.unread)} "
            "(armé con las demás)."
        )
    if plan.offer_age is not None:
        notes.append(
            f"⚠️ La oferta de SIIAU no responde: uso una copia de hace {_age(plan.offer_age)}."
        )
    return notes


def none_text(plan: _service.Plan) -> str:
    why = plan.why_none or _service.NoOption()
    if why.none_in_offer:
        other = " u otro ciclo" if len(plan.cycles) > 1 else ""
        lines = [
            f"No encontré {', '.join(plan.missing)} en el centro {plan.centre.code}, ciclo "
            f"{cycle_label(plan.cycle.code)} 🤔. Revisa las claves o prueba otro centro{other}."
        ]
        return "\n".join(lines + _notes(plan, missing=False))
    if why.emptied is not None:
        clave, option = why.emptied
        reason = f"con {OPTION_NAMES[option]} no queda ninguna sección de {clave}."
    elif why.with_schedule is not None:
        reason = f"ninguna sección de {why.with_schedule} cabe en tu horario actual."
    elif why.clash is not None and why.by_options:
        settings = "tus opciones y tu horario" if plan.fixed else "tus opciones"
        reason = (
            f"{why.clash[0]} y {why.clash[1]} siempre chocan con {settings}: ninguna sección "
            "que queda de una cabe con alguna de la otra."
        )
    elif why.clash is not None:
        reason = f"{why.clash[0]} y {why.clash[1]} siempre chocan: ninguna sección de una cabe con alguna de la otra."
    else:
        reason = "juntas no caben: cada par tiene alguna combinación, pero todas a la vez siempre chocan."
    lines = [f"😕 No hay ninguna combinación sin choques: {reason}", *_notes(plan)]
    return "\n".join(lines)


def seats(section: _OfferSection) -> str:
    return (
        "lleno"
        if section.free <= 0
        else "1 libre"
        if section.free == 1
        else f"{section.free} libres"
    )


def when(section: _OfferSection) -> str:
    """Each session's days and hours, as /cupos shows them; a session with no day or no
    hour never clashes but is listed ("sin día ni hora", or the half it has)."""
    parts = []
    for session in section.sessions:
        days = ", ".join(d.short_es for d in session.days)
        hours = (
            f"{session.start:%H:%M}–{session.end:%H:%M}" if session.start and session.end else ""
        )
        parts.append(" ".join(p for p in (days, hours) if p) or "sin día ni hora")
    return " / ".join(parts) or "sin día ni hora"


def legend(section: _OfferSection) -> str:
    return f"{section.key} {section.section} · NRC {section.nrc} · {section.name[:40]} · {seats(section)}"


def option_title(plan: _service.Plan, index: int) -> str:
    return f"Opción {index + 1} de {count_text(plan)} · {cycle_label(plan.cycle.code)} · centro {plan.centre.code}"


def option_caption(plan: _service.Plan, index: int) -> str:
    """Within Telegram's caption limit with every subject and every warning: long professors'
    names go first, then the professors; past that, the warnings move up so the cut spares them."""
    title = f"🧩 {option_title(plan, index)}"
    more = (
        [f"(te muestro las {len(plan.options)} mejores)"]
        if len(plan.options) < plan.count and index == len(plan.options) - 1
        else []
    )
    notes = _notes(plan)
    for professor_width in (None, 24, 0):
        lines = []
        for section in plan.sections_of(index):
            professor = cupos_professor(section)
            if professor_width is not None and len(professor) > professor_width:
                professor = (
                    professor[: max(professor_width - 1, 0)] + "…" if professor_width else ""
                )
            parts = [
                f"• NRC {section.nrc}",
                f"{section.key} {section.section}",
                when(section),
                professor,
                seats(section),
            ]
            lines.append(" · ".join(p for p in parts if p))
        caption = "\n".join([title, *lines, *more, *notes])
        if len(caption) <= _CAPTION_LIMIT:
            return caption
    return _fit_caption("\n".join([title, *notes, *lines, *more]))


MESSAGE_LIMIT = 4096  # Telegram's, in characters, for one text message


def plan_b(
    plan: _service.Plan, index: int, alternatives: tuple[tuple[_OfferSection, ...], ...]
) -> list[str]:
    """One message, or as many as Telegram's limit asks for (whole lines each)."""
    lines = [f"🅱️ Plan B de la opción {index + 1}: otras secciones que también caben"]
    for chosen, others in zip(plan.sections_of(index), alternatives, strict=True):
        if not others:
            lines.append(f"{chosen.key}: ninguna otra cabe")
            continue
        listed = "; ".join(f"{s.section} (NRC {s.nrc}, {when(s)}, {seats(s)})" for s in others)
        lines.append(f"{chosen.key}: {listed}")
    messages = [""]
    for line in lines:
        while len(line) > MESSAGE_LIMIT:  # a subject's line alone too long: cut at a section
            cut = line.rfind("; ", 0, MESSAGE_LIMIT) + 1 or MESSAGE_LIMIT
            messages.append(line[:cut])
            line = line[cut:].lstrip()
        if messages[-1] and len(messages[-1]) + 1 + len(line) > MESSAGE_LIMIT:
            messages.append("")
        messages[-1] = f"{messages[-1]}\n{line}" if messages[-1] else line
    return [m for m in messages if m]


def watched(outcome: _service.WatchOutcome) -> str:
    if not outcome.saved and not outcome.limit_reached:
        return "Todas las secciones de esta opción tienen lugar 🙂: no hay llenos que vigilar."
    lines = []
    if outcome.saved:
        lines.append(
            f"🔔 Te aviso cuando se abra lugar en: {', '.join(outcome.saved)}. Las ves en /cupos."
        )
    if outcome.limit_reached:
        lines.append(
            f"Ya tienes {outcome.limit} alertas, el máximo: no vigilo {', '.join(outcome.limit_reached)}. "
            "Quita alguna con /cupos."
        )
    return "\n".join(lines)


def ics_caption(plan: _service.Plan, index: int) -> str:
    return f"📅 Opción {index + 1} ({cycle_label(plan.cycle.code)}) para tu calendario"
