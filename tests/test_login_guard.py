"""The login guard kept in the database: restarts, replicas, owners and strangers, the hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.credentials import Credentials
from bot.services.errors import CodeHeld, InvalidCredentials, LoginLimitReached
from bot.services.runtime.login_guard import (
    MAX_IN_A_ROW,
    KeyedLoginGuard,
    LoginOutcome,
    Requester,
)
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.login_guard import LoginGuardStore
from bot.store.repository import Store
from tests.workflow_kit import ManualClock

CODE = "219294382"
OWNER = Requester(1, owner=True)
STRANGER = Requester(2, owner=False)
KEY = CredentialCipher.generate_key()


async def open_guard(db_url: str, clock: ManualClock) -> tuple[Store, KeyedLoginGuard]:
    """A fresh engine each time: what a restarted process (or another replica) sees."""
    engine = create_engine(db_url)
    await migrate(engine)
    store = Store(engine, CredentialCipher([KEY]))
    return store, KeyedLoginGuard(LoginGuardStore(engine), b"k" * 32, per_hour=50, clock=clock)


async def reject(guard: KeyedLoginGuard, nip: str, requester: Requester) -> None:
    ticket = await guard.admit(Credentials(CODE, nip), requester)
    await guard.settle(ticket, LoginOutcome.REJECTED)


async def test_the_count_survives_a_restart_and_only_an_operator_ends_a_hold(db_url: str) -> None:
    clock = ManualClock()
    store, guard = await open_guard(db_url, clock)
    for n in range(3):
        await reject(guard, f"wrong{n}", STRANGER)
    with pytest.raises(CodeHeld):  # a stranger stops at 3 in a row, leaving the owner one safe try
        await guard.admit(Credentials(CODE, "wrong3"), STRANGER)
    await store.engine.dispose()

    clock.advance(3 * 24 * 3600)  # days later, in another process: still 3 in a row
    store, guard = await open_guard(db_url, clock)
    assert await guard.in_a_row(CODE) == 3
    with pytest.raises(CodeHeld):
        await guard.admit(Credentials(CODE, "wrong4"), STRANGER)
    await reject(guard, "changed1", OWNER)  # the owner's stored NIP may try: it would be the 4th
    for requester in (OWNER, STRANGER):  # held: a 5th could lock the account, so nothing is sent
        with pytest.raises(CodeHeld):
            await guard.admit(Credentials(CODE, "right1"), requester)
    assert await guard.in_a_row(CODE) == MAX_IN_A_ROW

    assert await guard.release(CODE) == MAX_IN_A_ROW
    ticket = await guard.admit(Credentials(CODE, "right1"), OWNER)
    await guard.settle(ticket, LoginOutcome.ACCEPTED)
    assert await guard.in_a_row(CODE) == 0
    with pytest.raises(InvalidCredentials):  # a rejected pair is remembered across all of it
        await guard.admit(Credentials(CODE, "wrong0"), STRANGER)

    async with store.engine.connect() as connection:
        for table in ("login_guard", "login_events", "rejected_pairs"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            assert rows and not any(CODE in str(row) or "wrong" in str(row) for row in rows), table
    await store.engine.dispose()


async def test_outcomes_count_as_possible_rejections_until_a_login_succeeds(db_url: str) -> None:
    clock = ManualClock()
    store, guard = await open_guard(db_url, clock)
    ticket = await guard.admit(Credentials(CODE, "nip1"), OWNER)
    assert await guard.in_a_row(CODE) == 1  # in flight counts: a crash here leaves it counted
    await guard.settle(ticket, LoginOutcome.ANSWERED)  # an error page: not a rejection
    assert await guard.in_a_row(CODE) == 0
    for _ in range(2):
        ticket = await guard.admit(Credentials(CODE, "nip1"), OWNER)
        await guard.settle(ticket, LoginOutcome.UNANSWERED)
    assert await guard.in_a_row(CODE) == 2
    ticket = await guard.admit(Credentials(CODE, "nip1"), OWNER)
    await guard.settle(ticket, LoginOutcome.ACCEPTED)
    assert await guard.in_a_row(CODE) == 0
    for _ in range(3):  # the two unanswered before the success no longer count toward the day's 3
        ticket = await guard.admit(Credentials(CODE, "nip1"), OWNER)
        await guard.settle(ticket, LoginOutcome.UNANSWERED)
    with pytest.raises(LoginLimitReached):
        await guard.admit(Credentials(CODE, "nip1"), OWNER)
    await store.engine.dispose()


async def test_a_strangers_day_does_not_spend_the_owners(db_url: str) -> None:
    clock = ManualClock()
    store, guard = await open_guard(db_url, clock)
    await reject(guard, "wrong1", STRANGER)
    for _ in range(2):  # the owner's runs succeed in between: the count in a row starts over
        ticket = await guard.admit(Credentials(CODE, "right1"), OWNER)
        await guard.settle(ticket, LoginOutcome.ACCEPTED)
        await reject(guard, f"wrong{_ + 2}", STRANGER)
    with pytest.raises(LoginLimitReached):  # 3 a day for strangers, whatever the count in a row
        await guard.admit(Credentials(CODE, "wrong9"), STRANGER)
    ticket = await guard.admit(Credentials(CODE, "right1"), OWNER)
    await guard.settle(ticket, LoginOutcome.ACCEPTED)
    await store.engine.dispose()


async def test_two_replicas_cannot_both_send_the_last_safe_try(db_url: str) -> None:
    clock = ManualClock()
    first_store, first = await open_guard(db_url, clock)
    second_store, second = await open_guard(db_url, clock)
    for n in range(3):
        await reject(first, f"wrong{n}", STRANGER)
    results = await asyncio.gather(
        *(
            guard.admit(Credentials(CODE, f"mine{i}"), OWNER)
            for i, guard in enumerate([first, second] * 3)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert all(isinstance(r, CodeHeld) for r in results if isinstance(r, BaseException))
    await first_store.engine.dispose()
    await second_store.engine.dispose()


@pytest.mark.e2e
def test_release_code_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.bootstrap import build_cipher, build_login_guard, build_stores
    from bot.config import Settings
    from tests.test_store import run_cli

    env = {"ENCRYPTION_KEYS": KEY, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/g.db"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()

    async def hold_code() -> None:
        engine = create_engine(env["DATABASE_URL"])
        await migrate(engine)
        cipher = build_cipher(settings)
        # as the bot builds it
        guard = build_login_guard(settings, build_stores(engine, cipher), cipher)
        for n, requester in enumerate([STRANGER] * 3 + [OWNER]):  # up to the hold: 4 in a row
            await guard.settle(
                await guard.admit(Credentials(CODE, f"wrong{n}"), requester), LoginOutcome.REJECTED
            )
        with pytest.raises(CodeHeld):
            await guard.admit(Credentials(CODE, "right1"), OWNER)
        await engine.dispose()

    asyncio.run(hold_code())
    result = run_cli("release-code", CODE, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "released" in result.stdout and f"had {MAX_IN_A_ROW}" in result.stdout
    assert CODE not in result.stdout  # the hint only

    async def admitted() -> None:
        engine = create_engine(env["DATABASE_URL"])
        cipher = build_cipher(settings)
        guard = build_login_guard(settings, build_stores(engine, cipher), cipher)
        await guard.admit(Credentials(CODE, "right1"), OWNER)
        await engine.dispose()

    asyncio.run(admitted())


@pytest.mark.render
async def test_the_fifth_wrong_nip_in_a_row_is_never_sent(tmp_path: Path) -> None:
    """Through the workflow and the SIIAU simulator: strangers, then the owner's changed NIP."""
    from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
    from tests.workflow_kit import flow_fails, make_workflow

    store, guard = await open_guard(f"sqlite+aiosqlite:///{tmp_path}/g.db", ManualClock())
    with SiiauSimulator(seed=5) as siiau:
        workflow = make_workflow(siiau.url, guard=guard)
        for n in range(3):
            with flow_fails(InvalidCredentials):
                await workflow.verify(Credentials(DEMO_CODE, f"wrong{n}"), STRANGER)
        with flow_fails(CodeHeld):
            await workflow.verify(Credentials(DEMO_CODE, "wrong3"), STRANGER)
        assert siiau.wrong_nips[DEMO_CODE] == 3
        with flow_fails(
            InvalidCredentials
        ):  # the owner's stored NIP, changed in SIIAU meanwhile: the 4th
            await workflow.run(Credentials(DEMO_CODE, "changed1"), "INCO", requester=OWNER)
        assert siiau.wrong_nips[DEMO_CODE] == 4
        for requester in (OWNER, STRANGER):
            with flow_fails(CodeHeld):
                await workflow.run(Credentials(DEMO_CODE, DEMO_NIP), "INCO", requester=requester)
            with flow_fails(CodeHeld):
                await workflow.verify(Credentials(DEMO_CODE, "another1"), requester)
        assert siiau.wrong_nips[DEMO_CODE] == 4 and not siiau.is_locked(DEMO_CODE)
        assert siiau.logins[DEMO_CODE] == 4, "a held code must not reach SIIAU at all"

        await guard.release(DEMO_CODE)  # the operator, after the student checked their NIP
        assert (
            await workflow.run(Credentials(DEMO_CODE, DEMO_NIP), "INCO", requester=OWNER)
        ).schedule
        assert await guard.in_a_row(DEMO_CODE) == 0
        assert siiau.open_sessions() == []
    await store.engine.dispose()
