"""The real bot process for benches, against the Bot API stand-in (run the benches as scripts,
`.venv/bin/python bench/<name>.py`; each puts the checkout on the import path for `bench.*`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.sim.botapi import BotApiStandIn


def start_bot(workdir: Path, env: dict[str, str], botapi: BotApiStandIn) -> subprocess.Popen[bytes]:
    log = (workdir / "bot.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while botapi.calls["setMyCommands"] == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"bot did not start; see {workdir / 'bot.log'}")
        time.sleep(0.05)
    return process


def stop_bot(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)
