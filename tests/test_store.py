from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.credentials import Credentials
from bot.core.records import FlowRun, State
from bot.store.crypto import CredentialCipher, CredentialsUndecryptable, KeyConfigError
from bot.store.db import create_engine, migrate
from bot.store.documents import DeliveredDocument
from bot.store.repository import Store
from bot.store.weekly import WeeklyStore

NIP = "zq9nip7x"


async def open_store(db: Path | str, keys: list[str]) -> Store:
    engine = create_engine(db if isinstance(db, str) else f"sqlite+aiosqlite:///{db}")
    await migrate(engine)
    return Store(engine, CredentialCipher(keys))


async def test_credentials_round_trip_and_nothing_plain_on_disk(tmp_path: Path) -> None:
    key = CredentialCipher.generate_key()
    store = await open_store(tmp_path / "h.db", [key])
    await store.save_credentials(1, 10, Credentials("219294382", NIP), "INCO", "INGENIERIA")
    loaded = await store.credentials(1)
    assert loaded is not None and loaded.credentials == Credentials("219294382", NIP)
    assert loaded.profile.code_hint == "******382"
    await store.engine.dispose()
    for file in tmp_path.glob("h.db*"):
        data = file.read_bytes()
        assert NIP.encode() not in data and b"219294382" not in data


async def test_rotation_moves_every_row_to_the_newest_key(db_url: str) -> None:
    old, new = CredentialCipher.generate_key(), CredentialCipher.generate_key()
    store = await open_store(db_url, [old])
    await store.save_credentials(1, 10, Credentials("219294382", NIP), "INCO", "X")
    await store.save_credentials(2, 20, Credentials("220000001", "other1"), "INCO", "X")
    await store.engine.dispose()

    both = await open_store(db_url, [new, old])
    assert await both.rotate_keys() == 2
    await both.engine.dispose()

    only_new = await open_store(db_url, [new])
    found = await only_new.credentials(2)
    assert found is not None and found.credentials.nip == "other1"
    await only_new.engine.dispose()

    only_old = await open_store(db_url, [CredentialCipher.generate_key()])
    with pytest.raises(CredentialsUndecryptable, match="user 1") as caught:
        await only_old.credentials(1)
    assert NIP not in str(caught.value)
    await only_old.engine.dispose()


def test_bad_keys_are_refused_clearly() -> None:
    with pytest.raises(KeyConfigError, match="empty"):
        CredentialCipher([])
    with pytest.raises(KeyConfigError, match="key #2"):
        CredentialCipher([CredentialCipher.generate_key(), "not-a-key"])


async def test_runs_are_recorded_and_forget_removes_everything(db_url: str) -> None:
    store = await open_store(db_url, [CredentialCipher.generate_key()])
    await store.save_credentials(1, 10, Credentials("219294382", NIP), "INCO", "X")
    run = FlowRun(name="horario")
    task = run.task("login")
    task.state, task.attempts, task.duration_ms = State.COMPLETED, 2, 120
    run.finish("delivered")
    await store.record_run(1, run)
    await store.record_delivered(1, DeliveredDocument("abc", "file-1", "202520", "{}"))
    [loaded] = await store.recent_runs(1)
    assert loaded.outcome == "delivered" and loaded.tasks[0].attempts == 2
    assert await store.find_document(1, "abc") == "file-1"
    assert await WeeklyStore(store.engine, store.cipher).snapshot(1) == ("abc", "{}")
    await store.forget(1)
    assert await store.profile(1) is None
    assert await store.recent_runs(1) == []
    assert await store.find_document(1, "abc") is None
    await store.engine.dispose()


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(cwd), **env},
    )


@pytest.mark.e2e
def test_gen_key_and_rotate_keys_commands(tmp_path: Path) -> None:
    key = run_cli("gen-key", env={}, cwd=tmp_path).stdout.strip()
    CredentialCipher([key])
    env = {"ENCRYPTION_KEYS": key, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db"}
    result = run_cli("rotate-keys", env=env, cwd=tmp_path)
    assert result.returncode == 0 and "0 users" in result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "hello"}, "TELEGRAM_BOT_TOKEN looks malformed"),
        (
            {"TELEGRAM_BOT_TOKEN": "123456789:AAHtestTokenForHorarioBot_abcdefghij"},
            "ENCRYPTION_KEYS is empty",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": "123456789:AAHtestTokenForHorarioBot_abcdefghij",
                "ENCRYPTION_KEYS": "short",
            },
            "key #1 is not a Fernet key",
        ),
    ],
)
def test_bot_refuses_to_start_with_one_clear_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_cli(env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "AAHtestToken" not in result.stderr


@pytest.mark.e2e
def test_rotate_keys_covers_codes_mid_dialog_and_counts_by_table(tmp_path: Path) -> None:
    import asyncio

    from bot.store.dialogs import Dialog, DialogStore

    old, new = CredentialCipher.generate_key(), CredentialCipher.generate_key()
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"

    async def fill() -> None:
        store = await open_store(url, [old])
        await store.save_credentials(1, 10, Credentials("219294382", NIP), "INCO", "X")
        dialogs = DialogStore(store.engine, store.cipher)
        await dialogs.put(Dialog(2, "nip", code="220000001"), expires_ts=4_000_000_000)
        await dialogs.put(Dialog(3, "code"), expires_ts=4_000_000_000)  # nothing encrypted
        await store.engine.dispose()

    asyncio.run(fill())
    result = run_cli(
        "rotate-keys", env={"ENCRYPTION_KEYS": f"{new},{old}", "DATABASE_URL": url}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "credentials: 1 rotated, 0 unreadable" in result.stdout
    assert "dialogs: 1 rotated, 0 unreadable" in result.stdout

    async def read_with_new_key_only() -> None:
        store = await open_store(url, [new])
        dialog = await DialogStore(store.engine, store.cipher).get(2, 0)
        assert dialog is not None and dialog.code == "220000001"  # the student's dialog goes on
        loaded = await store.credentials(1)
        assert loaded is not None and loaded.credentials.nip == NIP
        await store.engine.dispose()

    asyncio.run(read_with_new_key_only())


@pytest.mark.e2e
def test_rotate_keys_with_a_key_that_opens_no_row_says_so_in_one_line(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    written_with = CredentialCipher.generate_key()

    async def fill() -> None:
        store = await open_store(url, [written_with])
        await store.save_credentials(1, 10, Credentials("219294382", NIP), "INCO", "X")
        await store.engine.dispose()

    asyncio.run(fill())
    wrong = CredentialCipher.generate_key()
    result = run_cli(
        "rotate-keys", env={"ENCRYPTION_KEYS": wrong, "DATABASE_URL": url}, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no key in ENCRYPTION_KEYS opens any stored row" in lines[0]
    assert "Traceback" not in result.stderr and NIP not in result.stderr + result.stdout

    async def untouched() -> None:
        store = await open_store(url, [written_with])
        loaded = await store.credentials(1)
        assert loaded is not None and loaded.credentials.nip == NIP
        await store.engine.dispose()

    asyncio.run(untouched())
