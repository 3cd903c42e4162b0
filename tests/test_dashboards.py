"""The operator dashboards in deploy/ (a Grafana dashboard, Prometheus alert rules) name only
metrics the bot exports: read from a real /metrics, served by the ops server in this process."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

import bot.bootstrap  # noqa: F401 - imports every module that registers a metric
from bot.ops.http import HealthSources, OpsServer
from bot.services.runtime.breaker import CircuitBreaker
from bot.services.runtime.heartbeat import HeartbeatService
from bot.store.db import create_engine
from bot.store.heartbeat import HeartbeatStore

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = REPO / "deploy" / "grafana" / "horario-bot.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "summary": ("", "_sum", "_count", "_created"),
}
# The alerts the issue asks for, each by the metric it watches.
REQUIRED_ALERTS = {
    "breaker open": "horario_siiau_breaker_open",
    "deliveries failing": "horario_weekly_deliveries_total",
    "layout changes": "horario_siiau_layout_changes_total",
    "seat-poll lag": "horario_cupos_last_success_timestamp",
    "digest lag": "horario_daily_queue_lag_seconds",
}


async def scrape(tmp_path: Path) -> str:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/ops.db")
    heartbeat = HeartbeatService(HeartbeatStore(engine))
    server = OpsServer(HealthSources(heartbeat, CircuitBreaker(5, 60), 30), port=0)
    await server.start()
    try:
        assert server._server is not None
        port = server._server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        response = (await reader.read()).decode()
        writer.close()
    finally:
        await server.stop()
        await engine.dispose()
    head, _, body = response.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), head
    return body


def exported(body: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(body):
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def named_in(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in re.findall(r"\bhorario_\w+", expr)}


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:  # parsed YAML
    return [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]


async def test_every_metric_the_dashboards_name_is_exported(tmp_path: Path) -> None:
    metrics = exported(await scrape(tmp_path))
    assert (
        "horario_flow_runs_total" in metrics and "horario_cupos_polls_total" in metrics
    )  # the scrape is real
    dashboard = named_in(dashboard_expressions())
    alerts = named_in([str(rule["expr"]) for rule in alert_rules()])
    assert dashboard and alerts
    assert dashboard - metrics == set(), "the Grafana dashboard names metrics /metrics lacks"
    assert alerts - metrics == set(), "the alert rules name metrics /metrics lacks"


def test_the_alert_rules_cover_what_operators_must_hear_about() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["expr"] and rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
    watched = named_in([str(rule["expr"]) for rule in rules])
    for what, metric in REQUIRED_ALERTS.items():
        assert metric in watched, f"no alert on {what}"


def test_the_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    for panel in dashboard["panels"]:
        assert {"type", "title", "gridPos"} <= panel.keys()
        refs = [target["refId"] for target in panel.get("targets", [])]
        assert len(refs) == len(set(refs))
