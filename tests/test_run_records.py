"""Run records never fail: a first registration that fails is kept with no user."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.bootstrap import build_registration, build_stores
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.siiau.errors import InvalidCredentials
from bot.sim.siiau import DEMO_CODE, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from tests.workflow_kit import make_workflow


async def test_a_run_of_a_user_who_is_gone_is_dropped_or_kept_anonymous(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    store = Store(engine, CredentialCipher([CredentialCipher.generate_key()]))
    gone = FlowRun(name="horario")
    gone.finish("delivered")
    assert await store.record_run(77, gone) is False  # /olvidar went first: nothing kept
    first = FlowRun(name="verificar", kind="register")
    first.finish("failed", InvalidCredentials("x"))
    assert await store.record_run(78, first, anonymous_if_missing=True) is True
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, user_id FROM flow_runs"))).all()
    assert rows == [(first.id, None)]
    await engine.dispose()


@pytest.mark.render
async def test_a_failed_first_registration_is_recorded_with_no_user_and_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/r.db")
    await migrate(engine)
    store = Store(engine, CredentialCipher([CredentialCipher.generate_key()]))
    caplog.set_level(logging.INFO)
    with SiiauSimulator(seed=2) as siiau:
        registration = build_registration(
            build_stores(store.engine, store.cipher), make_workflow(siiau.url)
        )
        with pytest.raises(InvalidCredentials):
            await registration.register(9001, 9001, Credentials(DEMO_CODE, "wrong1"))
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT user_id, outcome FROM flow_runs"))).all()
        users = (await connection.execute(text("SELECT count(*) FROM users"))).scalar()
    assert rows == [(None, "failed")] and users == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    await engine.dispose()
