"""The deployment as shipped: read the Dockerfile, the compose files and `.env.example` (what an
operator copies to `.env`) the way Docker does, and check that every port the bot listens on
is bound where what should reach it can: a published port, a proxy on the compose network,
the image's HEALTHCHECK. No Docker engine runs here, so this is the check instead."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import BotSettings, CalendarSettings, TelegramSettings

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILES = sorted(p.name for p in REPO.glob("docker-compose*.yml"))
EVERY_INTERFACE = {"0.0.0.0", "::", ""}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            out.append((instruction.upper(), arguments.strip()))
    return out


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, value = pair.split("=", 1)
                env[key] = value
    return env


def env_example() -> dict[str, str]:
    """`.env.example` as `cp .env.example .env` leaves it: what env_file and interpolation read."""
    pairs: dict[str, str] = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(value: object, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$, from the project's .env."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        current = env.get(name, "")
        if operator == ":-" and not current:
            return rest
        if operator == ":?" and not current:
            return f"<{name} required>"
        return current

    return re.sub(r"\$\$|\$\{(\w+)(:[-?])?([^}]*)\}", one, str(value))


@dataclass(frozen=True)
class Listener:
    what: str
    host: str
    port: int


def listeners(env: dict[str, str]) -> list[Listener]:
    """The servers the bot starts with this environment, and where they bind (config defaults
    for what is unset)."""

    def get(name: str, default: object) -> str:
        return env.get(name, str(default))

    bot, calendar, telegram = (
        BotSettings.model_fields,
        CalendarSettings.model_fields,
        TelegramSettings.model_fields,
    )
    found = []
    metrics_port = int(get("METRICS_PORT", bot["metrics_port"].default))
    if metrics_port:
        found.append(
            Listener("metrics", get("METRICS_HOST", bot["metrics_host"].default), metrics_port)
        )
    calendar_port = int(get("CALENDAR_PORT", calendar["port"].default))
    if calendar_port:
        found.append(
            Listener("calendar", get("CALENDAR_HOST", calendar["host"].default), calendar_port)
        )
    if get("TELEGRAM_WEBHOOK_URL", ""):
        found.append(
            Listener(
                "webhook",
                get("TELEGRAM_WEBHOOK_LISTEN", telegram["webhook_listen"].default),
                int(get("TELEGRAM_WEBHOOK_PORT", telegram["webhook_port"].default)),
            )
        )
    return found


def bot_services(name: str) -> dict[str, tuple[dict[str, str], dict[str, Any]]]:
    """Each service built from this repository: its environment as the container sees it (image
    ENV < env_file < environment) and its compose definition."""
    project = env_example()
    compose = yaml.safe_load((REPO / name).read_text())
    out = {}
    for service, spec in compose["services"].items():
        if spec.get("build") is None:
            continue
        env = dict(image_env())
        if spec.get("env_file"):
            env.update(project)
        environment = spec.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        env.update({k: interpolate(v, project) for k, v in environment.items()})
        out[service] = (env, spec)
    return out


def published(spec: dict[str, Any]) -> list[tuple[str, int]]:  # spec: parsed YAML
    """(host address, container port) of each `ports:` entry."""
    out = []
    for entry in spec.get("ports") or []:
        parts = str(entry).split(":")
        host = parts[0] if len(parts) == 3 else ""
        out.append((host, int(parts[-1].split("/")[0])))
    return out


def upstreams(name: str, service: str) -> set[int]:
    """Ports of `service` that other services (a reverse proxy's config) send traffic to."""
    text = (REPO / name).read_text()
    return {int(port) for port in re.findall(rf"\b{re.escape(service)}:(\d+)\b", text)}


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_every_port_the_bot_listens_on_is_reachable_where_it_is_published(name: str) -> None:
    services = bot_services(name)
    assert services, f"{name} runs no bot"
    for service, (env, spec) in services.items():
        bound = {listener.port: listener for listener in listeners(env)}
        assert "metrics" in {b.what for b in bound.values()}, (
            f"{name}/{service}: no /healthz for the HEALTHCHECK"
        )
        for listener in bound.values():
            # In a container, a server on loopback is reached by nothing outside it.
            assert listener.host in EVERY_INTERFACE, (
                f"{name}/{service}: {listener} binds inside the container only"
            )
        for host, port in published(spec):
            assert port in bound, (
                f"{name}/{service}: publishes {port}, where nothing listens ({sorted(bound)})"
            )
            assert host == "127.0.0.1", (
                f"{name}/{service}: {port} published beyond the host's loopback"
            )
        for port in upstreams(name, service):
            assert port in bound, (
                f"{name}/{service}: a proxy sends to {port}, where nothing listens"
            )
        exposed = {int(p) for p in spec.get("expose") or []}
        assert exposed <= bound.keys(), (
            f"{name}/{service}: exposes {exposed - bound.keys()} with no server"
        )


def test_the_default_compose_publishes_metrics_and_the_calendar_feed() -> None:
    [(env, spec)] = bot_services("docker-compose.yml").values()
    ports = {port for _, port in published(spec)}
    assert {listener.what for listener in listeners(env) if listener.port in ports} == {
        "metrics",
        "calendar",
    }


def test_the_webhook_example_sits_behind_a_reverse_proxy() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.webhook.yml").read_text())
    [(env, spec)] = bot_services("docker-compose.webhook.yml").values()
    webhook = [listener for listener in listeners(env) if listener.what == "webhook"]
    assert webhook and webhook[0].port not in {
        port for _, port in published(spec)
    }  # only the proxy is public
    proxies = [s for s in compose["services"].values() if s.get("build") is None]
    assert any({"80:80", "443:443"} <= set(map(str, s.get("ports", []))) for s in proxies)
    assert webhook[0].port in upstreams("docker-compose.webhook.yml", "bot")
    assert env["TELEGRAM_WEBHOOK_URL"].startswith("https://") and env[
        "TELEGRAM_WEBHOOK_URL"
    ].endswith("/telegram")


def test_the_image_exposes_and_healthchecks_what_it_listens_on() -> None:
    env = image_env()
    exposed = {
        int(p)
        for instruction, args in dockerfile()
        if instruction == "EXPOSE"
        for p in args.split()
    }
    assert env["METRICS_HOST"] == "0.0.0.0" and env["CALENDAR_HOST"] == "0.0.0.0"
    for name in COMPOSE_FILES:
        for env_, _ in bot_services(name).values():
            assert {listener.port for listener in listeners(env_)} <= exposed, name
    healthcheck = next(args for instruction, args in dockerfile() if instruction == "HEALTHCHECK")
    assert "METRICS_PORT" in healthcheck and "/healthz" in healthcheck
