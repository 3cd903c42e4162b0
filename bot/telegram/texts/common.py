"""What every feature's words share: dates and days, the refusals of any request,
and the Spanish of each error (`error_text`)."""

from __future__ import annotations

from datetime import datetime

from bot.services.errors import (
    AccountLocked,
    CircuitOpen,
    CodeHeld,
    CourseNotInOffer,
    CredentialsRejected,
    CredentialsUndecryptable,
    InvalidCredentials,
    LayoutChanged,
    LoginLimitReached,
    LoginUnconfirmed,
    NoSchedule,
    RenderError,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauErrorPage,
    SiiauUnavailable,
    SurveyPending,
)

NOT_REGISTERED = "Primero registra tus datos de SIIAU con /registrar y luego pide tu /horario."
ALREADY_RUNNING = "Ya estoy sacando tu horario, dame un momento ⏳."
RATE_LIMITED = "Pediste tu horario muchas veces seguidas. Espera un minuto y vuelve a intentar 🙏."
INTERRUPTED = "⚠️ Esto se interrumpió porque me reinicié. Inténtalo de nuevo, por favor."

# ---- errors: every class the chat layer may hear of, from `bot.services.errors` ------------
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
    # the login guard (issue 10)
    CodeHeld: (
        "Hubo varios intentos seguidos con NIP equivocado para este código, así que dejé de "
        "intentarlo 🔒: uno más podría hacer que SIIAU bloquee la cuenta. Si es tu código, revisa tu "
        "NIP entrando a SIIAU desde el navegador y pide al administrador del bot que lo libere."
    ),
    # pages SIIAU answered that say neither yes nor no (issue 9, "Bad input")
    LoginUnconfirmed: (
        "SIIAU respondió a tu NIP con una página que no reconozco, así que no sé si lo aceptó. "
        "No lo volví a intentar para no arriesgar tu cuenta 🔒; ya avisamos al administrador. "
        "Revisa que entras a SIIAU desde el navegador y vuelve a intentarlo más tarde."
    ),
    SiiauErrorPage: "SIIAU mostró una página de error; inténtalo en unos minutos.",
    CourseNotInOffer: (
        "Una de tus materias registradas no aparece en la oferta de SIIAU, así que no te mando un "
        "horario incompleto. Ya avisamos al administrador; inténtalo más tarde."
    ),
}
UNEXPECTED = "Algo salió mal de mi lado 😓. Inténtalo en unos minutos."


def error_text(error: BaseException) -> str:
    """The text of the nearest class in the error's MRO that has one (`CircuitOpen` has its own)."""
    for cls in type(error).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return UNEXPECTED


# ---- days, dates and cycles -----------------------------------------------------------
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
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def when(moment_local: datetime) -> str:
    return f"{DAYS_SHORT[moment_local.weekday()].lower()} {moment_local:%d/%m %H:%M}"


def short_date(moment_local: datetime) -> str:
    return f"{moment_local:%d/%m}"


def cycle_label(code: str) -> str:
    """202610 → 2026-A, 202620 → 2026-B; other codes as they are."""
    if len(code) == 6 and code.isdigit() and code[4:] in ("10", "20"):
        return f"{code[:4]}-{'A' if code[4:] == '10' else 'B'}"
    return code


# ---- captions ------------------------------------------------------------------------------
CAPTION_LIMIT = 1024  # Telegram's, in characters


def fit_caption(caption: str) -> str:
    return caption if len(caption) <= CAPTION_LIMIT else caption[: CAPTION_LIMIT - 1] + "…"
