"""Faithful stand-ins for the outside world: a SIIAU simulator and a Bot API server.

Shipped with the package so that `fetch --simulate`, the demo and the
benchmarks work on any machine; the bot reaches them only through its URLs.
"""
