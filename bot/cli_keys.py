"""`gen-key`, `rotate-keys` and `migrate`: the operator's store commands."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.bootstrap import ConfigError, build_cipher, migrate_database, open_store
from bot.config import Settings
from bot.store.crypto import CredentialCipher


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        cipher = build_cipher(settings)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2

    async def rotate() -> int:
        store = await open_store(settings, cipher)
        try:
            return await store.rotate_keys()
        finally:
            await store.engine.dispose()

    count = asyncio.run(rotate())
    print(f"re-encrypted the credentials of {count} users under the newest key")
    return 0


def _migrate(_: argparse.Namespace) -> int:
    asyncio.run(migrate_database(Settings()))
    print("database is at the newest revision")
    return 0
