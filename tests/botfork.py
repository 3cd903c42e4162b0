"""`python -m bot` forked from an interpreter that has already imported the bot.

Every end-to-end test starts the bot at least once, and each start spent over a second of CPU
importing SQLAlchemy, python-telegram-bot, Alembic and the bot's own modules before it read
its first setting: over a hundred starts, the largest share of the suite's CPU.
So each pytest worker keeps one "zygote": a Python that imported all that once and waits.
A test's bot is a fork of it that then does what `python -m bot` does after its imports:
the test's environment, working directory and log file, `bot/__main__.py` run as `__main__`,
the interpreter's own exit (atexit hooks, SystemExit's code, death by an unhandled SIGINT).

Nothing the bot does at run time is imported state: settings, the database, the loggers and
the event loop are all made after the fork, from the environment the test gave. The bot
module reads no environment and starts no thread at import. The CLI's own tests
(`tests/test_store.py`, `tests/test_demo.py`, `tests/test_packaging.py`, `tests/e2e/test_security.py`)
still run `python -m bot` as a fresh interpreter. `HORARIO_TEST_EXEC=1` runs every
bot of the suite that way too.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Runs as `python -c`. The zygote answers "pid N" to each request and "exit N CODE" when a
# bot it forked ends (it is the bots' parent, so only it can reap them). A forked bot closes
# what belongs to the zygote and becomes the bot.
ZYGOTE = r"""
import json, os, runpy, selectors, signal, sys

import bot.__main__, bot.telegram.app  # the imports every start would repeat
# ... and those the libraries make on first use (httpx's transport, SQLAlchemy's drivers)
import anyio._backends._asyncio, httpcore, aiosqlite, asyncpg
import sqlalchemy.dialects.sqlite.aiosqlite, sqlalchemy.dialects.postgresql.asyncpg

def serve():
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wake-up fd is written
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    pending = b""

    def answer(line):
        os.write(1, line.encode() + b"\n")

    while True:
        for key, _ in selector.select():
            if key.fd == wake_r:
                os.read(wake_r, 512)
            else:
                chunk = os.read(0, 65536)
                if not chunk:
                    os._exit(0)  # the pytest worker is gone; bots it left run on alone
                pending += chunk
        while True:  # reap every bot that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            answer(f"exit {pid} {os.waitstatus_to_exitcode(status)}")
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                selector.close()
                return json.loads(line)
            answer(f"pid {pid}")

request = serve()
os.chdir(request["cwd"])
os.environ.clear()
os.environ.update(request["env"])
null = os.open(os.devnull, os.O_RDONLY)
log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.dup2(null, 0)
os.dup2(log, 1)
os.dup2(log, 2)
os.closerange(3, 65536)  # the zygote's pipes, selector and wake-up fd
sys.argv = [""]
sys.path[0] = os.getcwd()  # as `python -m` sets it
del request, null, log, serve
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


class ForkedBot:
    """The subset of `subprocess.Popen` that `BotProcess` uses, for a bot the zygote forked."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self._zygote.wait_exit(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(["python", "-m", "bot"], timeout or 0)
        self.returncode = code
        return code

    def send_signal(self, sig: int) -> None:
        # Like Popen: once the bot is reaped its pid may belong to another process.
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    def __init__(self) -> None:
        self._home = home = tempfile.mkdtemp(prefix="horario-zygote-")
        self._process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            cwd=home,
            # The environment `BotProcess` gives a bot, less what each test sets after the fork:
            # Python reads these at start, before any bot code.
            env={"PATH": os.environ.get("PATH", ""), "HOME": home},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._lock = threading.Lock()  # one request, one "pid" answer
        self._changed = threading.Condition()
        self._started: list[int] = []
        self._exits: dict[int, int] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            word, *numbers = raw.decode().split()
            with self._changed:
                if word == "pid":
                    self._started.append(int(numbers[0]))
                else:
                    self._exits[int(numbers[0])] = int(numbers[1])
                self._changed.notify_all()
        with self._changed:
            self._started.append(-1)  # the zygote died: wake whoever waits
            self._changed.notify_all()

    def spawn(self, cwd: Path, env: dict[str, str], log: Path) -> ForkedBot:
        assert self._process.stdin is not None
        request = json.dumps({"cwd": str(cwd), "env": env, "log": str(log)})
        with self._lock:
            self._process.stdin.write(request.encode() + b"\n")
            self._process.stdin.flush()
            with self._changed:
                self._changed.wait_for(lambda: bool(self._started))
                pid = self._started.pop(0)
        if pid < 0:
            raise RuntimeError("the bot zygote died")
        return ForkedBot(self, pid)

    def exit_code(self, pid: int) -> int | None:
        with self._changed:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while pid not in self._exits:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._changed.wait(left)
            return self._exits[pid]

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()  # the zygote exits when its requests end
        self._process.wait()
        shutil.rmtree(self._home, ignore_errors=True)


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def spawn_bot(cwd: Path, env: dict[str, str], log: Path) -> ForkedBot:
    """A `python -m bot` in `cwd` with exactly `env`, its output appended to `log`."""
    global _zygote
    with _zygote_lock:
        if _zygote is None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        zygote = _zygote
    return zygote.spawn(cwd, env, log)


def forking() -> bool:
    return os.environ.get("HORARIO_TEST_EXEC", "") != "1"
