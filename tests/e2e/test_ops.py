"""Health, metrics, /stats and structured logs of a running bot."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import schedule as schedule_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess

ADMIN = 4242


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = free_port()


@pytest.mark.bot_env(METRICS_PORT=str(PORT), ADMIN_CHAT_IDS=str(ADMIN), LOG_FORMAT="json")
def test_healthz_metrics_stats_and_json_logs(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    register(botapi, ADMIN, DEMO_CODE, DEMO_NIP)
    asked = botapi.user_says(ADMIN, "/horario")
    botapi.wait_for_text(ADMIN, schedule_words.DONE, after=asked)

    health = httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=10)
    assert health.status_code == 200
    body = health.json()
    assert body["database"] == "ok" and body["siiau_breaker"] == "closed"
    assert body["last_tick_age_seconds"] is not None and body["last_tick_age_seconds"] < 30

    exposition = httpx.get(f"http://127.0.0.1:{PORT}/metrics", timeout=10).text
    assert 'horario_flow_runs_total{name="horario",outcome="delivered"} 1.0' in exposition
    assert 'horario_flow_runs_total{name="verificar",outcome="verified"} 1.0' in exposition
    assert 'horario_task_duration_seconds_count{state="completed",task="pdf"} 1.0' in exposition
    assert "horario_siiau_breaker_open 0.0" in exposition
    assert httpx.get(f"http://127.0.0.1:{PORT}/nope", timeout=10).status_code == 404

    asked = botapi.user_says(ADMIN, "/stats")
    stats = botapi.wait_for_text(ADMIN, "Estadísticas", after=asked)
    assert "entregado 1" in stats.text and "corta-circuitos cerrado" in stats.text
    other = 4343
    asked = botapi.user_says(other, "/stats")
    botapi.wait_for_text(other, "No entendí", after=asked)

    bot.stop()
    lines = [json.loads(line) for line in bot.log_text().splitlines() if line.startswith("{")]
    flow_lines = [line for line in lines if line["msg"].startswith("flow run=")]
    assert len(flow_lines) == 2
    assert all(line.get("user_id") == str(ADMIN) for line in flow_lines)
    assert any("run_id" in line for line in flow_lines)
