"""Issue 10 through the real bot: the login guard across restarts, strangers vs owners,
/olvidar during a run, private file modes, the webhook's front door."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.services.errors import CodeHeld
from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import common
from bot.telegram.texts import forget as forget_words
from bot.telegram.texts import register as register_words
from bot.telegram.texts import schedule as schedule_words
from tests.e2e.test_registration import register
from tests.helpers import PATIENCE, BotProcess, wait_until

HELD = common.ERRORS[CodeHeld][:40]


def try_nips(botapi: BotApiStandIn, user: int, code: str, nips: list[str]) -> list[str]:
    """One /registrar dialog: the code, then each NIP; the bot's answer to each."""
    asked = botapi.user_says(user, "/registrar")
    botapi.wait_for_text(user, "código de estudiante", after=asked)
    typed = botapi.user_says(user, code)
    botapi.wait_for_text(user, "NIP", after=typed)
    answers = []
    for nip in nips:
        typed = botapi.user_says(user, nip)
        answer = botapi.wait_for(user, lambda m: "Verificando" not in m.text, after=typed)
        answers.append(answer.text)
    return answers


def test_wrong_nips_across_a_restart_never_lock_the_account(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    """Two rounds of 3 wrong NIPs with a restart between: before, the second round locked it."""
    user = 6001
    first = try_nips(botapi, user, DEMO_CODE, ["wrongA1", "wrongA2"])
    assert first == [register_words.NIP_REJECTED_RETRY, register_words.NIP_REJECTED_STOP]
    [third, fourth] = try_nips(botapi, user, DEMO_CODE, ["wrongA3", "wrongA4"])
    assert third == register_words.NIP_REJECTED_RETRY and fourth.startswith(HELD)
    assert siiau.wrong_nips[DEMO_CODE] == 3

    bot.restart()
    for nips in (["wrongB1"], ["wrongB2"], ["wrongB3"]):
        [answer] = try_nips(botapi, user, DEMO_CODE, nips)
        assert answer.startswith(HELD), answer
    assert siiau.wrong_nips[DEMO_CODE] == 3 and not siiau.is_locked(DEMO_CODE)


def test_a_strangers_wrong_nips_do_not_block_the_owners_horario(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    owner, stranger = 6101, 6102
    register(botapi, owner, DEMO_CODE, DEMO_NIP)
    try_nips(botapi, stranger, DEMO_CODE, ["wrongS1", "wrongS2"])
    answers = try_nips(botapi, stranger, DEMO_CODE, ["wrongS3", "wrongS4"])
    assert answers[-1].startswith(HELD)
    assert siiau.wrong_nips[DEMO_CODE] == 3

    asked = botapi.user_says(owner, "/horario")
    botapi.wait_for_text(owner, schedule_words.DONE, timeout=60, after=asked)
    assert botapi.documents(owner)
    assert not siiau.is_locked(DEMO_CODE)


@pytest.mark.bot_env(SIIAU_READ_TIMEOUT="120")  # SIIAU is held on purpose; no read may time out
def test_forget_during_horario_ends_the_run_quietly(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    user = 6201
    register(botapi, user, DEMO_CODE, DEMO_NIP)
    siiau.hold()
    botapi.user_says(user, "/horario")
    wait_until(lambda: siiau.held() >= 1, "the run never reached SIIAU")
    forget = botapi.user_says(user, "/olvidar")
    confirm = botapi.wait_for_text(user, "No se puede deshacer", after=forget)
    botapi.user_presses(user, confirm, forget_words.FORGET_YES)
    botapi.wait_for(
        user, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
    )
    siiau.release()
    # Nothing more reaches the student (tests/e2e/test_forget_in_flight.py): the log says when it ended.
    wait_until(
        lambda: "user forgotten mid-run" in bot.log_text(), "the run never ended", timeout=60
    )
    bot.stop()
    said = [m.text for m in botapi.bot_messages(user)]
    assert not any(common.UNEXPECTED in text for text in said), said
    assert "Traceback" not in bot.log_text() and "handler failed" not in bot.log_text()
    with sqlite3.connect(bot.db_path) as db:
        for table in ("users", "credentials", "flow_runs", "task_runs", "documents", "dialogs"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_folder_are_private(bot: BotProcess, botapi: BotApiStandIn) -> None:
    register(botapi, 6301, DEMO_CODE, DEMO_NIP)
    folder = bot.db_path.parent
    assert mode(folder) == 0o700
    files = sorted(folder.glob("horario.db*"))
    assert bot.db_path in files and len(files) >= 2, files  # the database and its WAL
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_demo_output_is_private(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", "demo-out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = tmp_path / "demo-out"
    assert mode(out) == 0o700
    files = list(out.iterdir())
    assert any(f.suffix == ".pdf" for f in files)
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


# ---- the webhook's front door -----------------------------------------------------
SECRET = "s3cret-webhook_token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = free_port()
URL = f"http://127.0.0.1:{PORT}/telegram"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def status_after_headers(head: str, body: bytes = b"") -> tuple[int, socket.socket]:
    """Send a request head (and maybe a little body); read the status line the bot answers."""
    conn = socket.create_connection(("127.0.0.1", PORT), timeout=PATIENCE)
    conn.sendall(head.encode() + body)
    answer = b""
    while b"\r\n" not in answer:
        chunk = conn.recv(4096)
        assert chunk, f"closed without an answer: {answer!r}"
        answer += chunk
    return int(answer.split()[1]), conn


def post_head(length: int, secret: str | None) -> str:
    lines = [
        "POST /telegram HTTP/1.1",
        "Host: bot",
        "Content-Type: application/json",
        f"Content-Length: {length}",
    ]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.fixture
def webhook_bot(
    tmp_path: Path, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> Iterator[BotProcess]:
    botapi.route_webhook_to([URL])
    process = BotProcess(
        tmp_path,
        botapi,
        siiau.url,
        {
            "TELEGRAM_WEBHOOK_URL": URL,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(PORT),
            "TELEGRAM_WEBHOOK_HEADER_TIMEOUT": "1",
        },
    )
    registered = botapi.calls["setWebhook"]
    process.start()
    wait_until(
        lambda: botapi.calls["setWebhook"] > registered, "the bot did not register its webhook"
    )
    yield process
    process.stop()
    assert SECRET not in process.log_text()


def test_webhook_refuses_before_reading_and_bounds_what_it_reads(
    webhook_bot: BotProcess, botapi: BotApiStandIn
) -> None:
    hello = botapi.user_says(100, "/start")
    botapi.wait_for_text(100, "Hola", after=hello)
    assert webhook_bot.process is not None
    pid = webhook_bot.process.pid

    # 60 MB without the secret: refused on the headers alone, the body never read.
    before = rss_bytes(pid)
    status, conn = status_after_headers(post_head(60_000_000, None), b"x" * 65536)
    assert status == 403
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(60):
            conn.sendall(chunk)
    except OSError:
        pass  # the bot hung up, as it should: the rest never leaves this process
    conn.close()
    assert rss_bytes(pid) - before < 20 * 2**20

    status, conn = status_after_headers(post_head(2_000_000, SECRET))  # the right secret, too big
    conn.close()
    assert status == 413
    bad = httpx.post(
        URL,
        content=b"{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        timeout=PATIENCE,
    )
    assert bad.status_code == 400
    wrong = httpx.post(
        URL,
        json={"update_id": 1},
        headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
        timeout=PATIENCE,
    )
    assert wrong.status_code == 403

    # Half a header, then nothing: the bot closes the connection (TELEGRAM_WEBHOOK_HEADER_TIMEOUT=1).
    slow = socket.create_connection(("127.0.0.1", PORT), timeout=PATIENCE)
    slow.sendall(b"POST /telegram HTTP/1.1\r\nHost: bot\r\nContent-Le")
    try:
        closed = slow.recv(4096) == b""
    except ConnectionResetError:
        closed = True
    slow.close()
    assert closed, "a connection that stalls mid-header must be closed"

    hello = botapi.user_says(100, "/start")  # and real updates still get in
    botapi.wait_for_text(100, "Hola", after=hello)
