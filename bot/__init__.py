"""horario-bot: SIIAU class schedules as PDF, delivered over Telegram."""
