"""Builds a real workflow against a running simulator, with fast retries."""

from __future__ import annotations

from bot.config import PdfSettings, SiiauSettings
from bot.pdf.renderer import PdfRenderer
from bot.services.breaker import CircuitBreaker
from bot.services.flow import FlowRunner, RetryPolicy
from bot.services.workflow import ScheduleWorkflow
from bot.siiau.client import SiiauClientFactory

CREATED: list[ScheduleWorkflow] = []  # closed after each test by conftest's fixture


def make_workflow(base_url: str, **overrides: object) -> ScheduleWorkflow:
    options: dict[str, object] = {
        "base_url": base_url,
        "retries": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "read_timeout": 2.0,
        "connect_timeout": 2.0,
        "task_timeout": 10.0,
        "breaker_threshold": 5,
        "breaker_cooldown": 0.5,
        "max_logins_per_hour": 50,
    }
    options.update(overrides)
    settings = SiiauSettings(**options)  # type: ignore[arg-type]
    runner = FlowRunner(
        RetryPolicy(settings.retries, settings.backoff_base, settings.backoff_max),
        CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown),
    )
    workflow = ScheduleWorkflow(SiiauClientFactory(settings), PdfRenderer(PdfSettings()), runner, settings)
    CREATED.append(workflow)
    return workflow
