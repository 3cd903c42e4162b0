"""The SIIAU login path that worked, in the database, so every replica starts from it.

`bot.siiau.client.LoginPathMemory` decides what to believe (for a day, from an injected
clock); this module only keeps the row. It implements `bot.siiau.client.LoginPathStore`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import dialect_insert, session_factory
from bot.store.models import LoginPathRow, PortalShortcutRow

DEFAULT_KEY = "siiau"


class DatabaseLoginPaths:
    def __init__(self, engine: AsyncEngine, key: str = DEFAULT_KEY) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)
        self._key = key

    async def load(self) -> tuple[str, float] | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(LoginPathRow.path, LoginPathRow.since_ts).where(
                        LoginPathRow.key == self._key
                    )
                )
            ).first()
        return (str(row.path), float(row.since_ts)) if row is not None else None

    async def save(self, path: str, since: float) -> None:
        insert = dialect_insert(self._engine)(LoginPathRow).values(
            key=self._key, path=path, since_ts=since
        )
        async with self._sessions.begin() as session:
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["key"], set_={"path": path, "since_ts": since}
                )
            )


class DatabaseShortcuts:
    """Per login path, whether the schedule URL answered without the menu walk, and since
    when. It implements `bot.siiau.client.ShortcutStore`; `ShortcutMemory` decides what to believe."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    async def load(self, path: str) -> tuple[bool, float] | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(PortalShortcutRow.works, PortalShortcutRow.since_ts).where(
                        PortalShortcutRow.path == path
                    )
                )
            ).first()
        return (bool(row.works), float(row.since_ts)) if row is not None else None

    async def save(self, path: str, works: bool, since: float) -> None:
        insert = dialect_insert(self._engine)(PortalShortcutRow).values(
            path=path, works=works, since_ts=since
        )
        async with self._sessions.begin() as session:
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["path"], set_={"works": works, "since_ts": since}
                )
            )
