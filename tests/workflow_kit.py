"""Builds a real workflow against a running simulator, with fast retries."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import pytest

from bot.config import PdfSettings, SiiauSettings
from bot.core.records import FlowRun
from bot.pdf.renderer import PdfRenderer
from bot.services.errors import FlowFailed
from bot.services.runtime.breaker import CircuitBreaker
from bot.services.runtime.flow import FlowRunner, RetryPolicy
from bot.services.runtime.login_guard import LoginGuard
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.siiau.client import SiiauClientFactory

CREATED: list[ScheduleWorkflow] = []  # closed after each test by conftest's fixture
JITTER_SEED = 5  # backoff jitter, like every random source in the tests, is seeded
E = TypeVar("E", bound=BaseException)


class ManualClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_workflow(
    base_url: str,
    *,
    breaker_clock: Callable[[], float] = time.monotonic,
    guard: LoginGuard | None = None,
    renderer: PdfRenderer | None = None,
    **overrides: object,
) -> ScheduleWorkflow:
    """`renderer`: wkhtmltopdf's by default; tests of what happens around a PDF pass a quicker one."""
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
        CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown, clock=breaker_clock),
        rand=random.Random(JITTER_SEED).random,
    )
    workflow = ScheduleWorkflow(
        SiiauClientFactory(settings),
        renderer if renderer is not None else PdfRenderer(PdfSettings()),
        runner,
        settings,
        guard=guard,
    )
    CREATED.append(workflow)
    return workflow


@dataclass
class Failed(Generic[E]):
    """What `flow_fails` caught: the domain error and the finished run it ended."""

    error_: E | None = None
    run_: FlowRun | None = None

    @property
    def error(self) -> E:
        assert self.error_ is not None
        return self.error_

    @property
    def run(self) -> FlowRun:
        assert self.run_ is not None
        return self.run_


@contextmanager
def flow_fails(kind: type[E], match: str | None = None) -> Iterator[Failed[E]]:
    """Like `pytest.raises(kind)` for a workflow call: it raises `FlowFailed(run) from kind(...)`."""
    failed: Failed[E] = Failed()
    with pytest.raises(FlowFailed) as raised:
        yield failed
    cause = raised.value.__cause__
    assert isinstance(cause, kind), f"the run failed with {cause!r}, not {kind.__name__}"
    if match is not None:
        assert re.search(match, str(cause)), f"{str(cause)!r} does not match {match!r}"
    failed.error_, failed.run_ = cause, raised.value.run
