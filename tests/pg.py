"""A throwaway PostgreSQL database per test, on the server CI starts (trust auth)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_database() -> AsyncIterator[str]:
    """Yields an SQLAlchemy URL of a new, empty database; drops it afterwards."""
    name = f"horario_{secrets.token_hex(6)}"
    try:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(
            f"!!! NO POSTGRESQL at {ADMIN_DSN} ({type(error).__name__}): PostgreSQL tests SKIPPED !!!"
        )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
