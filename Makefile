# One command to set up and run each thing. Works on a fresh Debian/Ubuntu machine:
# it installs wkhtmltopdf and fonts with apt (sudo when not root), then a venv.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := wkhtmltopdf fonts-dejavu-core python3-venv

.PHONY: setup system-deps run demo test test-fast lint fetch-demo bench clean

setup: system-deps $(VENV)/.installed

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  if [ "$$pkg" = python3-venv ] && python3 -c "import ensurepip, venv" 2>/dev/null; then continue; fi; \
	  command -v dpkg >/dev/null && dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing with apt:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

run: setup
	@if [ ! -f .env ] && [ -z "$$TELEGRAM_BOT_TOKEN" ]; then \
	  echo "No .env found. Copy .env.example to .env and set two values:"; \
	  echo "  TELEGRAM_BOT_TOKEN  talk to @BotFather on Telegram, /newbot, paste the token it gives you"; \
	  echo "  ENCRYPTION_KEYS     run: $(PY) -m bot gen-key"; \
	  exit 1; \
	fi
	$(PY) -m bot

demo: setup
	$(PY) -m bot demo --out demo-out

# Workers take one test at a time, longest tier first (tests/conftest.py): xdist's default
# hands each worker a run of consecutive tests up front, and one worker got every e2e test.
XDIST := --dist load --maxschedchunk 1
# Bytecode caching on, whatever the shell says: pytest keeps its assertion-rewritten test
# modules as .pyc files, and without them each worker rewrites and compiles every test module
# again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest

# Everything CI runs: lint, type gate, every test tier on four workers: on two cores, most
# tests wait on bot processes, simulators and PostgreSQL more than they use a CPU (four
# workers finished well before three, side by side on the same machine).
test: lint
	$(PYTEST) -q -n 4 $(XDIST)

# The unit tier: no bot process, no wkhtmltopdf, no replicas (README, "Tests").
test-fast: setup
	$(PYTEST) -q -n 2 $(XDIST) -m "not e2e and not render and not slow"

lint: setup
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/flow.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache demo-out
