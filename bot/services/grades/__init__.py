"""Grades: `/calificaciones` (read, store sealed, show what is new, the kárdex PDF) and grade alerts."""
