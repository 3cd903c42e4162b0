"""`gen-key`, `rotate-keys`, `migrate` and `release-code`: the operator's store commands."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.bootstrap import ConfigError, build_cipher, build_login_guard, migrate_database, open_store
from bot.config import Settings
from bot.core.credentials import mask_code
from bot.store.crypto import CredentialCipher, CredentialsUndecryptable


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("gen-key", help="print a fresh encryption key").set_defaults(
        handler=_gen_key
    )
    commands.add_parser(
        "rotate-keys",
        help="re-encrypt everything encrypted (credentials, codes mid-dialog) under the newest key",
    ).set_defaults(handler=_rotate)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)
    release = commands.add_parser(
        "release-code",
        help="release a student code the login guard holds after wrong NIPs in a row",
    )
    release.add_argument("code", help="the student code (as the student typed it)")
    release.set_defaults(handler=_release_code)


def _gen_key(_: argparse.Namespace) -> int:
    print(CredentialCipher.generate_key())
    return 0


def _cipher(settings: Settings) -> CredentialCipher | None:
    try:
        return build_cipher(settings)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return None


def _rotate(_: argparse.Namespace) -> int:
    settings = Settings()
    cipher = _cipher(settings)
    if cipher is None:
        return 2

    async def rotate() -> dict[str, tuple[int, int]]:
        store = await open_store(settings, cipher)
        try:
            return await store.users.rotate_everything()
        finally:
            await store.engine.dispose()

    try:
        counts = asyncio.run(rotate())
    except CredentialsUndecryptable:
        print(
            "rotate-keys: no key in ENCRYPTION_KEYS opens any stored row; nothing was changed "
            "(put the key the rows were written with back in ENCRYPTION_KEYS)",
            file=sys.stderr,
        )
        return 2
    for table, (rotated, unreadable) in counts.items():
        print(f"{table}: {rotated} rotated, {unreadable} unreadable")
    print(f"re-encrypted the credentials of {counts['credentials'][0]} users under the newest key")
    unreadable_total = sum(unreadable for _, unreadable in counts.values())
    if unreadable_total:
        print(
            f"rotate-keys: {unreadable_total} rows no configured key opens were left as they were",
            file=sys.stderr,
        )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    asyncio.run(migrate_database(Settings()))
    print("database is at the newest revision")
    return 0


def _release_code(args: argparse.Namespace) -> int:
    """Reset a code's count of possible rejections in a row: the bot may send its logins again."""
    code = str(args.code).strip()
    settings = Settings()
    cipher = _cipher(settings)
    if cipher is None:
        return 2

    async def release() -> int:
        store = await open_store(settings, cipher)
        try:
            return await build_login_guard(settings, store, cipher).release(code)
        finally:
            await store.engine.dispose()

    before = asyncio.run(release())
    print(f"code {mask_code(code)} released (it had {before} possible rejections in a row)")
    return 0
