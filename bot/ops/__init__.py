"""Operator-facing surfaces: the health and metrics endpoint."""
