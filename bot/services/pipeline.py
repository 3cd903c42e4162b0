"""Wiring: settings → one ScheduleWorkflow with its client factory, renderer and breaker."""

from __future__ import annotations

from bot.config import Settings
from bot.pdf.renderer import PdfRenderer
from bot.services.breaker import CircuitBreaker
from bot.services.flow import FlowRunner, RetryPolicy
from bot.services.workflow import PdfCache, ScheduleWorkflow
from bot.siiau.client import SiiauClientFactory


def build_workflow(settings: Settings, *, pdf_cache_size: int = 128) -> ScheduleWorkflow:
    siiau = settings.siiau
    runner = FlowRunner(
        RetryPolicy(siiau.retries, siiau.backoff_base, siiau.backoff_max),
        CircuitBreaker(siiau.breaker_threshold, siiau.breaker_cooldown),
    )
    renderer = PdfRenderer(settings.pdf, timezone=settings.bot.bot_timezone)
    return ScheduleWorkflow(
        SiiauClientFactory(siiau), renderer, runner, siiau, pdf_cache=PdfCache(pdf_cache_size)
    )
