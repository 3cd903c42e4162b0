"""Friends and group shares at rest.

- invite links: the SHA-256 of the token only (as the calendar feed's), one per student;
- first names, as friends and groups see them: Fernet tokens (sealed by the service);
- friendships: two rows, one per direction, written and deleted together;
- invitations opened and not answered yet, keyed by the invitee's Telegram id;
- group shares: (chat, student), asked first and agreed in private.

Every row names its owner(s) by a foreign key to `users` with ON DELETE CASCADE, and
`forget_friends` deletes them explicitly for `/olvidar` (both directions of a friendship,
and invitations where the student is the invitee, who has no foreign key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.store.db import dialect_insert, session_factory
from bot.store.models import (
    FriendInviteRow,
    FriendNameRow,
    FriendPendingRow,
    FriendshipRow,
    GroupShareRow,
    UserRow,
)
from bot.store.owned import write_for_user


class Befriended(StrEnum):
    DONE = "done"
    ALREADY = "already"
    FULL = "full"  # one of the two has the most friends allowed
    GONE = "gone"  # one of the two is no longer registered


@dataclass(frozen=True, slots=True)
class Pending:
    inviter_id: int
    token_hash: str


@dataclass(frozen=True, slots=True)
class Sharer:
    user_id: int
    checked_ts: int


async def forget_friends(session: AsyncSession, user_id: int) -> None:
    """Every friends row about `user_id`, in the caller's transaction (`/olvidar`)."""
    await session.execute(
        delete(FriendshipRow).where(
            or_(FriendshipRow.user_id == user_id, FriendshipRow.friend_id == user_id)
        )
    )
    await session.execute(
        delete(FriendPendingRow).where(
            or_(FriendPendingRow.invitee_id == user_id, FriendPendingRow.inviter_id == user_id)
        )
    )
    for table in (FriendInviteRow, FriendNameRow, GroupShareRow):
        await session.execute(delete(table).where(table.user_id == user_id))


class FriendStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    # ---- names ---------------------------------------------------------------------
    async def set_name(self, user_id: int, name_token: str, ts: int) -> bool:
        insert = dialect_insert(self._engine)(FriendNameRow).values(
            user_id=user_id, name_token=name_token, updated_ts=ts
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "name_token": insert.excluded.name_token,
                "updated_ts": insert.excluded.updated_ts,
            },
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def name_tokens(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = list(user_ids)
        if not ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(FriendNameRow.user_id, FriendNameRow.name_token).where(
                    FriendNameRow.user_id.in_(ids)
                )
            )
        return {user_id: token for user_id, token in rows}

    # ---- invite links --------------------------------------------------------------
    async def issue_invite(self, user_id: int, token_hash: str, ts: int) -> bool:
        """Keep `token_hash` as the user's only link (the old one stops working)."""
        insert = dialect_insert(self._engine)(FriendInviteRow).values(
            user_id=user_id, token_hash=token_hash, created_ts=ts
        )
        statement = insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "token_hash": insert.excluded.token_hash,
                "created_ts": insert.excluded.created_ts,
            },
        )
        return await write_for_user(self._sessions, user_id, statement)

    async def invite_of(self, user_id: int) -> str | None:
        async with self._sessions() as session:
            row = await session.get(FriendInviteRow, user_id)
        return None if row is None else row.token_hash

    async def inviter(self, token_hash: str) -> FriendInviteRow | None:
        async with self._sessions() as session:
            return (
                await session.execute(
                    select(FriendInviteRow).where(FriendInviteRow.token_hash == token_hash)
                )
            ).scalar_one_or_none()

    # ---- invitations waiting for an answer -----------------------------------------
    async def add_pending(self, invitee_id: int, inviter_id: int, token_hash: str, ts: int) -> bool:
        insert = dialect_insert(self._engine)(FriendPendingRow).values(
            invitee_id=invitee_id, inviter_id=inviter_id, token_hash=token_hash, created_ts=ts
        )
        statement = insert.on_conflict_do_update(
            index_elements=["invitee_id", "inviter_id"],
            set_={
                "token_hash": insert.excluded.token_hash,
                "created_ts": insert.excluded.created_ts,
            },
        )
        return await write_for_user(self._sessions, inviter_id, statement)

    async def pending_for(self, invitee_id: int) -> list[Pending]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(FriendPendingRow.inviter_id, FriendPendingRow.token_hash)
                .where(FriendPendingRow.invitee_id == invitee_id)
                .order_by(FriendPendingRow.created_ts)
            )
        return [Pending(inviter, token_hash) for inviter, token_hash in rows]

    async def take_pending(self, invitee_id: int, inviter_id: int) -> str | None:
        """Remove the invitation and return its token hash; None when there was none."""
        async with self._sessions.begin() as session:
            row = await session.get(FriendPendingRow, (invitee_id, inviter_id))
            if row is None:
                return None
            token_hash = row.token_hash
            await session.delete(row)
        return token_hash

    # ---- friendships ---------------------------------------------------------------
    async def befriend(self, a: int, b: int, ts: int, most: int) -> Befriended:
        """Both directions in one transaction, unless either already has `most` friends."""
        async with self._sessions.begin() as session:
            users = (
                await session.execute(select(func.count()).where(UserRow.id.in_((a, b))))
            ).scalar_one()
            if users < 2:
                return Befriended.GONE
            if await session.get(FriendshipRow, (a, b)) is not None:
                return Befriended.ALREADY
            counts = await session.execute(
                select(FriendshipRow.user_id, func.count())
                .where(FriendshipRow.user_id.in_((a, b)))
                .group_by(FriendshipRow.user_id)
            )
            if any(count >= most for _, count in counts):
                return Befriended.FULL
            session.add_all(
                [
                    FriendshipRow(user_id=a, friend_id=b, created_ts=ts),
                    FriendshipRow(user_id=b, friend_id=a, created_ts=ts),
                ]
            )
        return Befriended.DONE

    async def friends(self, user_id: int) -> list[int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(FriendshipRow.friend_id)
                .where(FriendshipRow.user_id == user_id)
                .order_by(FriendshipRow.created_ts)
            )
        return [friend for (friend,) in rows]

    async def count(self, user_id: int) -> int:
        async with self._sessions() as session:
            return int(
                (
                    await session.execute(
                        select(func.count()).where(FriendshipRow.user_id == user_id)
                    )
                ).scalar_one()
            )

    async def unfriend(self, a: int, b: int) -> bool:
        """Both directions go; True when there was a friendship."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(FriendshipRow).where(
                    or_(
                        (FriendshipRow.user_id == a) & (FriendshipRow.friend_id == b),
                        (FriendshipRow.user_id == b) & (FriendshipRow.friend_id == a),
                    )
                )
            )
        return bool(getattr(result, "rowcount", 0))

    # ---- group shares --------------------------------------------------------------
    async def ask_share(self, chat_id: int, user_id: int, ts: int) -> bool:
        """Note that the student asked to share with the group (an agreed share stays agreed)."""
        insert = dialect_insert(self._engine)(GroupShareRow).values(
            chat_id=chat_id, user_id=user_id, consented=False, created_ts=ts, checked_ts=ts
        )
        return await write_for_user(
            self._sessions,
            user_id,
            insert.on_conflict_do_nothing(index_elements=["chat_id", "user_id"]),
        )

    async def consent_share(self, chat_id: int, user_id: int, ts: int) -> bool:
        """Agree to an asked share; False when it was never asked (or withdrawn since)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(GroupShareRow)
                .where(GroupShareRow.chat_id == chat_id, GroupShareRow.user_id == user_id)
                .values(consented=True, checked_ts=ts)
            )
        return bool(getattr(result, "rowcount", 0))

    async def withdraw(self, user_id: int, chat_id: int | None = None) -> int:
        """Drop the student's share with one group (or all of them); how many went."""
        statement = delete(GroupShareRow).where(GroupShareRow.user_id == user_id)
        if chat_id is not None:
            statement = statement.where(GroupShareRow.chat_id == chat_id)
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        return int(getattr(result, "rowcount", 0))

    async def drop_group(self, chat_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(GroupShareRow).where(GroupShareRow.chat_id == chat_id))

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (a new chat id): its shares follow it. Telegram says so
        twice (a message in each chat), so a second move finds nothing. A member with a row in
        both (asked again in the new chat first) keeps the one that says yes, if any."""
        async with self._sessions.begin() as session:
            here = select(GroupShareRow.user_id).where(GroupShareRow.chat_id == old_chat_id)
            await session.execute(
                delete(GroupShareRow).where(
                    GroupShareRow.chat_id == new_chat_id,
                    GroupShareRow.consented.is_(False),
                    GroupShareRow.user_id.in_(here),
                )
            )
            there = select(GroupShareRow.user_id).where(GroupShareRow.chat_id == new_chat_id)
            await session.execute(
                delete(GroupShareRow).where(
                    GroupShareRow.chat_id == old_chat_id, GroupShareRow.user_id.in_(there)
                )
            )
            await session.execute(
                update(GroupShareRow)
                .where(GroupShareRow.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )

    async def sharers(self, chat_id: int) -> list[Sharer]:
        """Members who agreed to share with the group, first agreed first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(GroupShareRow.user_id, GroupShareRow.checked_ts)
                .where(GroupShareRow.chat_id == chat_id, GroupShareRow.consented.is_(True))
                .order_by(GroupShareRow.created_ts, GroupShareRow.user_id)
            )
        return [Sharer(user_id, checked) for user_id, checked in rows]

    async def mark_checked(self, chat_id: int, user_ids: Iterable[int], ts: int) -> None:
        ids = list(user_ids)
        if not ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(GroupShareRow)
                .where(GroupShareRow.chat_id == chat_id, GroupShareRow.user_id.in_(ids))
                .values(checked_ts=ts)
            )
