"""/registrar and /cancelar: the code, the NIP, SIIAU's verdict and the career."""

from __future__ import annotations

COMMAND = ("registrar", "Guardar mi código y NIP de SIIAU")
CANCEL_COMMAND = ("cancelar", "Cancelar lo que estoy haciendo")

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


def registered(career_name: str) -> str:
    return (
        f"✅ ¡Listo! SIIAU aceptó tus datos y los guardé cifrados ({career_name}).\n"
        "Pide tu horario con /horario."
    )
