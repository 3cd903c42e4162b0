"""/olvidar: the question before erasing everything, and its answers."""

from __future__ import annotations

COMMAND = ("olvidar", "Borrar todos mis datos")

FORGET_CONFIRM = (
    "¿Borro tu código, tu NIP, tu horario guardado, tu historial, tus PDFs, tus avisos, tu enlace de "
    "calendario, tus amistades y lo que compartes con grupos? No se puede deshacer."
)
FORGET_YES = "Sí, borrar todo"
FORGET_NO = "No, conservar"
FORGOTTEN = "🗑️ Listo, borré todos tus datos. Si quieres volver, usa /registrar."
FORGET_KEPT = "Perfecto, no borré nada."
