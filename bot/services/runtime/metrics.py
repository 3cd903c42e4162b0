"""Prometheus metrics of the workflow and the weekly deliveries, in one registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.core.records import FlowRun
from bot.siiau.errors import LayoutChanged

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS = Counter(
    "horario_flow_runs", "Flow runs by name and outcome", ["name", "outcome"], registry=REGISTRY
)
TASK_SECONDS = Histogram(
    "horario_task_duration_seconds",
    "Task durations",
    ["task", "state"],
    registry=REGISTRY,
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RETRIES = Counter(
    "horario_task_retries", "Task retries after transient failures", ["task"], registry=REGISTRY
)
BREAKER_OPEN = Gauge(
    "horario_siiau_breaker_open", "1 while the SIIAU circuit breaker is open", registry=REGISTRY
)
BREAKER_OPENINGS = Counter(
    "horario_siiau_breaker_openings", "Times the SIIAU breaker opened", registry=REGISTRY
)
DELIVERIES = Counter("horario_weekly_deliveries", "Weekly outcomes", ["outcome"], registry=REGISTRY)
QUEUE_LAG = Gauge(
    "horario_weekly_queue_lag_seconds", "Lateness of the last claimed delivery", registry=REGISTRY
)
LAST_TICK = Gauge(
    "horario_weekly_last_tick_timestamp",
    "Unix time of the last successful weekly tick",
    registry=REGISTRY,
)
LAYOUT_CHANGES = Counter(
    "horario_siiau_layout_changes",
    "Runs ended on a SIIAU page the bot could not read, by error",
    ["error"],
    registry=REGISTRY,
)
DAILY_LAG = Gauge(
    "horario_daily_queue_lag_seconds",
    "Lateness of the last claimed digest or reminder",
    ["kind"],
    registry=REGISTRY,
)
DAILY_LAST_TICK = Gauge(
    "horario_daily_last_tick_timestamp",
    "Unix time of the last successful daily tick",
    registry=REGISTRY,
)


def _layout_errors(kind: type[LayoutChanged] = LayoutChanged) -> set[str]:
    """`LayoutChanged` and every subclass, by name (runs keep only the error's class name)."""
    return {kind.__name__}.union(*(_layout_errors(sub) for sub in kind.__subclasses__()))


def record_run(run: FlowRun) -> None:
    RUNS.labels(run.name, run.outcome or "unknown").inc()
    if run.error_class and run.error_class in _layout_errors():
        LAYOUT_CHANGES.labels(run.error_class).inc()
    for task in run.tasks:
        TASK_SECONDS.labels(task.name, task.state.value).observe(task.duration_ms / 1000)


def totals(counter: Counter) -> dict[str, float]:
    """A labelled counter's values by its last label, for people to read."""
    out: dict[str, float] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                label = list(sample.labels.values())[-1] if sample.labels else "total"
                out[label] = out.get(label, 0) + sample.value
    return out


def gauge_value(gauge: Gauge) -> float:
    """An unlabelled gauge's current value, read through the public collector API."""
    for metric in gauge.collect():
        for sample in metric.samples:
            return sample.value
    return 0.0
