"""Engine, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Result, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).with_name("migrations")
PG_POOL_SIZE, PG_POOL_OVERFLOW = 16, 8


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if (
            parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            _private_database_file(Path(parsed.database))
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Enough pooled connections for a replica's weekly deliveries and SIIAU-slot waiters at once:
    # past the pool, SQLAlchemy opens a connection per checkout and closes it after, and a new
    # PostgreSQL connection costs far more than the query it carries.
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_OVERFLOW
    )


def _private_database_file(path: Path) -> None:
    """Create the SQLite file 0600 in a folder created 0700, before SQLite opens it.

    SQLite gives its -wal and -shm files the database file's mode, so they are 0600
    too. Files already there are narrowed to 0600; an existing folder is left as it is
    (it may be a volume the operator set up).
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


BUSY_TIMEOUT_MS = 30000  # how long a SQLite write waits for another writer before giving up


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives any crash of the process; only a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def dialect_insert(engine: AsyncEngine):  # type: ignore[no-untyped-def]
    """INSERT with ON CONFLICT support for the engine's dialect (SQLite or PostgreSQL)."""
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def rows_affected(result: Result[Any]) -> int:
    """UPDATE and DELETE return a CursorResult, though `execute` is typed as the plain Result."""
    return cast(CursorResult[Any], result).rowcount


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


MIGRATION_LOCK = 0x686F7261  # "hora": replicas starting together migrate one at a time


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (creates the DB on first start)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
