"""Writing a row a user owns while that user may be gone (`/olvidar` during a run)."""

from __future__ import annotations

from sqlalchemy import Executable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.models import UserRow


async def write_for_user(
    sessions: async_sessionmaker[AsyncSession], user_id: int, statement: Executable
) -> bool:
    """Run `statement` in its own transaction. False (nothing written) when the user row is
    gone, which the owning row's foreign key reports; any other integrity error is raised."""
    try:
        async with sessions.begin() as session:
            await session.execute(statement)
    except IntegrityError:
        async with sessions() as session:
            if await session.get(UserRow, user_id) is not None:
                raise
        return False
    return True
