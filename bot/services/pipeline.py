"""Wiring: settings → one ScheduleWorkflow with its client factory, renderer, breaker and slots."""

from __future__ import annotations

from bot.config import Settings
from bot.pdf.renderer import PdfRenderer
from bot.services.breaker import Breaker, CircuitBreaker, SharedCircuitBreaker
from bot.services.coordination import LocalSessionSlots, SessionSlots, SharedSessionSlots
from bot.services.flow import FlowRunner, RetryPolicy
from bot.services.pdf_cache import PdfCache
from bot.services.workflow import ScheduleWorkflow
from bot.siiau.client import SiiauClientFactory
from bot.store.shared import SharedStore


def build_workflow(
    settings: Settings, *, pdf_cache_size: int = 128, shared: SharedStore | None = None
) -> ScheduleWorkflow:
    """`shared` given: the SIIAU session bound and the breaker hold across replicas."""
    siiau = settings.siiau
    breaker: Breaker
    slots: SessionSlots
    if shared is None:
        breaker = CircuitBreaker(siiau.breaker_threshold, siiau.breaker_cooldown)
        slots = LocalSessionSlots(siiau.max_concurrency)
    else:
        breaker = SharedCircuitBreaker(shared, siiau.breaker_threshold, siiau.breaker_cooldown)
        slots = SharedSessionSlots(shared, siiau.max_concurrency, settings.bot.shared_lease_seconds)
    runner = FlowRunner(RetryPolicy(siiau.retries, siiau.backoff_base, siiau.backoff_max), breaker)
    renderer = PdfRenderer(settings.pdf, timezone=settings.bot.bot_timezone)
    return ScheduleWorkflow(
        SiiauClientFactory(siiau), renderer, runner, siiau, pdf_cache=PdfCache(pdf_cache_size), slots=slots
    )
