"""Shared test helpers: PDF text, the bot as a real process, secret greps."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import DecodedStreamObject, NameObject

from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau.server import SiiauSimulator
from bot.sim.siiau.students import demo_students
from bot.telegram.texts import schedule as schedule_words
from tests.botfork import ForkedBot, forking, spawn_bot

TEST_TOKEN = "123456789:AAHtestTokenForHorarioBot_abcdefghij"
TEST_KEY = "pbB6Qwx8o3f4R2oGKe2x3mS7ox3n0pCHc2Ye2bP0q2w="
DEMO_NIPS = [s.nip for s in demo_students()]
# How long a test waits for something that must happen. Generous on purpose: on a loaded
# machine things take longer, and a wait that ends early is the only way it can fail.
PATIENCE = 300.0
POLL = 0.05


def wait_until(condition: Callable[[], bool], message: str, timeout: float = PATIENCE) -> None:
    """Block until `condition()` holds; fail with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(POLL)


async def until(condition: Callable[[], bool], message: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        await asyncio.sleep(POLL)


async def until_async(
    condition: Callable[[], Awaitable[bool]], message: str, timeout: float = PATIENCE
) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, message
        await asyncio.sleep(POLL)


# A schedule's page stream is mostly the grid: wkhtmltopdf draws it in ~30,000 path, colour
# and clip operators, one line each, and pypdf's pure-Python parser spent most of a text
# extraction on them (most of the fifty-student workflow test's CPU). A line made only
# of numbers, names, number arrays and these operators changes no text state; dropping it,
# and then the q…Q pairs left empty, leaves pypdf the same text operators under the same
# transformation matrices, so it extracts the same text.
_PAINT_TOKEN = re.compile(
    rb"[-+]?(?:\d+\.?\d*|\.\d+)|/[^\s/\[\]()<>{}%]+"
    rb"|re|m|l|c|v|y|h|f\*?|F|S|s|B\*?|b\*?|n|W\*?|sc|SC|scn|SCN|cs|CS|rg|RG|g|G|k|K"
    rb"|w|J|j|M|d|i|ri|gs|sh"
)
_EMPTY_GROUP = re.compile(rb"(?m)^q\n(?:[-+0-9. ]+ cm\n)?Q\n")
_INLINE_IMAGE = re.compile(rb"(?:^|\s)ID\s")  # binary data: leave such a stream whole


def _paint_only(line: bytes) -> bool:
    if b"(" in line or b"<" in line:  # a string: text
        return False
    tokens = line.replace(b"[", b" ").replace(b"]", b" ").split()
    return all(_PAINT_TOKEN.fullmatch(token) for token in tokens)


def _text_operators(stream: bytes) -> bytes:
    if _INLINE_IMAGE.search(stream):
        return stream
    kept = b"".join(line + b"\n" for line in stream.split(b"\n") if not _paint_only(line))
    while True:
        kept, emptied = _EMPTY_GROUP.subn(b"", kept)
        if not emptied:
            return kept


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace folded to one space."""
    texts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        contents = page.get_contents()
        if contents is not None:
            text_only = DecodedStreamObject()
            text_only.set_data(_text_operators(contents.get_data()))
            page[NameObject("/Contents")] = text_only
        texts.append(page.extract_text() or "")
    return " ".join(" ".join(texts).split())


def assert_no_secrets(paths: list[Path], secrets: list[str]) -> None:
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} found in {path.name}"


def local_tcp_ports(pid: int) -> set[int]:
    """Local ports of the TCP sockets process `pid` holds open (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class BotProcess:
    """`python -m bot` as operators run it, pointed at the stand-ins by environment."""

    def __init__(
        self,
        workdir: Path,
        botapi: BotApiStandIn,
        siiau_url: str,
        extra_env: dict[str, str] | None = None,
        offer_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.botapi = botapi
        self.log_path = workdir / "bot.log"
        self.db_path = workdir / "data" / "horario.db"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(workdir),
            "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_URL": botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": TEST_KEY,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
            "SIIAU_BASE_URL": siiau_url,
            "SIIAU_PORTAL_URL": siiau_url,
            "SIIAU_BACKOFF_BASE": "0.05",
            "SIIAU_BACKOFF_MAX": "0.2",
            "SIIAU_READ_TIMEOUT": "3",
            "SIIAU_ORPHAN_SWEEP_SECONDS": "6",  # past the slowest reply the tests inject
            "SIIAU_BREAKER_COOLDOWN": "1",
            "LOG_LEVEL": "DEBUG",
            "HORARIO_PER_MINUTE": "10",
            "WEEKLY_TICK_SECONDS": "0.5",
            "WEEKLY_SPREAD_SECONDS": "0",
            # Most tests here exercise /horario's own run after registering, so registration only
            # verifies; tests of registration's first read (the default) opt in with
            # bot_env(SCHEDULE_READ_AT_REGISTRATION="true").
            "SCHEDULE_READ_AT_REGISTRATION": "false",
            **({"SIIAU_OFFER_URL": offer_url} if offer_url else {}),
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | ForkedBot | None = None
        self.ports_at_death: set[int] = set()  # local TCP ports it held when killed

    def start(self, wait: bool = True) -> BotProcess:
        ready_before = self.botapi.calls["setMyCommands"]
        if forking():  # the same start, less the imports (tests/botfork.py)
            self.process = spawn_bot(self.workdir, self.env, self.log_path)
        else:
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "bot"],
                    cwd=self.workdir,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        if wait:
            deadline = time.monotonic() + PATIENCE
            while self.botapi.calls["setMyCommands"] <= ready_before:
                if self.process.poll() is not None:
                    raise RuntimeError(f"bot exited early:\n{self.log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"bot did not start:\n{self.log_path.read_text()[-3000:]}")
                time.sleep(0.05)
        return self

    def stop(self) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        assert code is not None, "the bot was waited for above"
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, as when a machine dies.

        A request it had sent may still be served after its death; `ports_at_death`
        lets a test tell what the dead process left behind from what the living did.
        """
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)  # nothing new is sent while we look
        self.ports_at_death |= local_tcp_ports(self.process.pid)
        self.process.kill()
        self.process.wait()
        self.process = None

    def sessions_left_open(self, siiau: SiiauSimulator) -> dict[str, int]:
        """SIIAU sessions still open that this process could have closed.

        A login it sent just before being killed can be served after its death
        (SIIAU is slow), opening a session nobody has the cookie for; that one is
        SIIAU's inactivity timeout to end. Every other session must be closed.
        """
        return {
            code: port
            for code, port in siiau.open_session_ports().items()
            if port not in self.ports_at_death
        }

    def restart(self) -> BotProcess:
        self.stop()
        return self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def ask_schedule(botapi: BotApiStandIn, user: int, timeout: float = PATIENCE) -> ChatMessage:
    """Send /horario and wait until its run is over (the progress message says so, which
    happens after SIIAU's logout); return the last document it sent: the saved copy when
    nothing changed, else the new PDF."""
    asked = botapi.user_says(user, "/horario")
    finished = (schedule_words.DONE, schedule_words.VERIFIED_UNCHANGED)
    botapi.wait_for(user, lambda m: m.text in finished, timeout=timeout, after=asked)
    return [m for m in botapi.bot_messages(user) if m.message_id > asked and m.file_id is not None][
        -1
    ]
