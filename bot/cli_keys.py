"""`gen-key`, `rotate-keys` and `migrate`: the operator's store commands."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings
from bot.store.crypto import CredentialCipher, KeyConfigError
from bot.store.db import create_engine, migrate
from bot.store.repository import Store


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("gen-key", help="print a fresh encryption key").set_defaults(handler=_gen_key)
    commands.add_parser(
        "rotate-keys", help="re-encrypt every stored credential under the newest key"
    ).set_defaults(handler=_rotate)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)


def _gen_key(_: argparse.Namespace) -> int:
    print(CredentialCipher.generate_key())
    return 0


def _rotate(_: argparse.Namespace) -> int:
    settings = Settings()
    try:
        cipher = CredentialCipher([k.get_secret_value() for k in settings.store.encryption_keys])
    except KeyConfigError as error:
        print(error, file=sys.stderr)
        return 2

    async def rotate() -> int:
        engine = create_engine(settings.store.database_url)
        try:
            await migrate(engine)
            return await Store(engine, cipher).rotate_keys()
        finally:
            await engine.dispose()

    count = asyncio.run(rotate())
    print(f"re-encrypted the credentials of {count} users under the newest key")
    return 0


def _migrate(_: argparse.Namespace) -> int:
    async def run() -> None:
        engine = create_engine(Settings().store.database_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is at the newest revision")
    return 0
