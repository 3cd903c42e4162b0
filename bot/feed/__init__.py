"""The live calendar's own HTTP server (`CALENDAR_PORT`): `/cal/<token>.ics` and nothing else."""
