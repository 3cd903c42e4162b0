"""Plain data shared by every layer (no I/O, no imports from the rest of `bot`)."""
