"""A throwaway PostgreSQL database per test, on the server CI starts (trust auth)."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.store.db import MIGRATIONS, create_engine, migrate

ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TEMPLATE_LOCK = 0x74706C31  # "tpl1": one worker builds the migrated template, the others wait
TEMPLATE_PREFIX = "horario_template_"
_template: str | None = None  # this process's, once it exists


def _url(name: str) -> str:
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


def _migrations_digest() -> str:
    """Names the template after the migrations it ran: a changed migration builds a new one."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.rglob("*.py")):
        digest.update(path.relative_to(MIGRATIONS).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


async def _migrated_template(admin: asyncpg.Connection) -> str:
    """A database the migrations brought to head, built once per server and migration set.

    Building it runs every migration on an empty PostgreSQL database, so a migration that
    fails there still fails every test that asks for `migrated=True`."""
    global _template
    name = TEMPLATE_PREFIX + _migrations_digest()
    if _template == name:
        return name
    await admin.execute("SELECT pg_advisory_lock($1)", TEMPLATE_LOCK)
    try:
        existing = {
            row["datname"]
            for row in await admin.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", TEMPLATE_PREFIX + "%"
            )
        }
        for stale in existing - {name}:  # an older migration set's, or a build that died
            await admin.execute(f'ALTER DATABASE "{stale}" WITH IS_TEMPLATE false')
            await admin.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
        if name not in existing:
            building = name + "_building"
            await admin.execute(f'CREATE DATABASE "{building}"')
            engine = create_engine(_url(building))
            try:
                await migrate(engine)
            finally:
                await engine.dispose()
            # Renamed once whole: a worker never copies a half-migrated template.
            await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            # No connections (autovacuum's included): CREATE DATABASE … TEMPLATE needs none.
            await admin.execute(
                f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'
            )
    finally:
        await admin.execute("SELECT pg_advisory_unlock($1)", TEMPLATE_LOCK)
    _template = name
    return name


async def fresh_database(migrated: bool = False) -> AsyncIterator[str]:
    """Yields an SQLAlchemy URL of a new database, empty or (`migrated`) a copy of one the
    migrations already brought to head; drops it afterwards."""
    name = f"horario_{secrets.token_hex(6)}"
    try:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(
            f"!!! NO POSTGRESQL at {ADMIN_DSN} ({type(error).__name__}): PostgreSQL tests SKIPPED !!!"
        )
    try:
        template = f' TEMPLATE "{await _migrated_template(admin)}"' if migrated else ""
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
        yield _url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
