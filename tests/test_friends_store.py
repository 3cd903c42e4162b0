"""Friends at rest, on SQLite and PostgreSQL: both directions together, the cap, hashes and
sealed names only, group shares asked before agreed, and /olvidar erasing every row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from sqlalchemy import text

from bot.bootstrap import build_delivery, build_stores
from bot.core.credentials import Credentials
from bot.core.records import utcnow
from bot.schedule import codec
from bot.schedule.days_off import DaysOff
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.friends import (
    FreeRefusal,
    FreeRefused,
    FreeTime,
    FriendsPolicy,
    FriendsService,
    Opened,
    token_hash,
)
from bot.services.runtime.gate import UserGate
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.friends import Befriended, FriendStore
from bot.store.repository import Store
from bot.store.schedules import ScheduleStore
from tests.weekly_kit import ZONE

TABLES = ("friend_invites", "friend_names", "friendships", "friend_pending", "group_shares")


async def open_store(db_url: str, key: str) -> Store:
    engine = create_engine(db_url)
    await migrate(engine)
    store = Store(engine, CredentialCipher([key]))
    for user in (1, 2, 3):
        await store.save_credentials(
            user, user, Credentials(f"21929438{user}", "zq9nip7x"), "INCO", "X"
        )
    return store


def service(store: Store, most: int = 50, clock: Callable[[], datetime] = utcnow) -> FriendsService:
    stores = build_stores(store.engine, store.cipher)
    delivery = build_delivery(stores, None, UserGate(3))  # type: ignore[arg-type]  # no SIIAU run here
    policy = FriendsPolicy(max_friends=most)
    return FriendsService(
        delivery, FriendStore(store.engine), store.cipher, DaysOff(), ZONE, policy, clock=clock
    )


def schedules(store: Store) -> ScheduleStore:
    return ScheduleStore(store.engine, store.cipher)


async def rows(store: Store) -> dict[str, int]:
    async with store.engine.connect() as connection:
        return {
            t: (await connection.execute(text(f"SELECT COUNT(*) FROM {t}"))).scalar_one()
            for t in TABLES
        }


async def test_friendships_are_mutual_capped_and_forgotten_with_everything(db_url: str) -> None:
    key = CredentialCipher.generate_key()
    store = await open_store(db_url, key)
    friends = service(store, most=1)
    await friends.remember_name(1, "Sofía")
    link = await friends.invite_link(1)
    assert link is not None and link.token is not None
    assert (await friends.open_invite(2, link.token)).outcome is Opened.ASK
    assert (await friends.answer(3, 1, yes=True)).outcome == "stale", "3 never opened the link"
    assert (await friends.answer(2, 1, yes=True)).outcome == "friends"
    assert [f.name for f in await friends.friends(2)] == ["Sofía"] and [
        f.user_id for f in await friends.friends(1)
    ] == [2]
    assert await FriendStore(store.engine).befriend(3, 1, 0, 1) is Befriended.FULL
    assert await FriendStore(store.engine).befriend(2, 1, 0, 1) is Befriended.ALREADY
    assert await FriendStore(store.engine).befriend(3, 99, 0, 5) is Befriended.GONE

    async with store.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT token_hash FROM friend_invites"))
        ).scalar_one()
        sealed = (
            await connection.execute(text("SELECT name_token FROM friend_names"))
        ).scalar_one()
    assert stored == token_hash(link.token) and link.token not in stored
    assert "Sof" not in sealed

    assert await friends.ask_share(-100, 1) and not await friends.consent_share(-200, 1)
    assert await friends.consent_share(-100, 1)
    await friends.open_invite(3, link.token)  # 3 waits on 1's invitation
    assert await rows(store) == {t: 1 if t != "friendships" else 2 for t in TABLES}

    await store.forget(1)
    assert await rows(store) == dict.fromkeys(TABLES, 0)
    assert (await friends.open_invite(3, link.token)).outcome is Opened.INVALID
    await store.engine.dispose()


async def test_key_rotation_reseals_first_names(db_url: str) -> None:
    old, new = CredentialCipher.generate_key(), CredentialCipher.generate_key()
    store = await open_store(db_url, old)
    await service(store).remember_name(2, "Beto")
    rotated = await Store(store.engine, CredentialCipher([new, old])).rotate_everything()
    assert rotated["names"] == (1, 0)
    assert await service(Store(store.engine, CredentialCipher([new]))).names([2]) == {2: "Beto"}
    await store.engine.dispose()


async def test_libres_reads_stored_schedules_only_and_notes_an_old_one(db_url: str) -> None:
    """No workflow at all behind this service: a SIIAU run would fail the test."""
    now = datetime(2026, 11, 12, 18, 0, tzinfo=UTC)  # a Thursday, noon in Guadalajara
    first, last = date(2026, 8, 17), date(2026, 12, 5)

    def schedule(*courses: tuple[str, str, str]) -> Schedule:
        return Schedule(
            "202620",
            "2026-B",
            "X",
            "1",
            "INCO",
            "I",
            tuple(
                Course(
                    nrc,
                    "K" + nrc,
                    "MATERIA",
                    "D01",
                    8,
                    (
                        Session(
                            (Day.THURSDAY, Day.FRIDAY),
                            time.fromisoformat(start),
                            time.fromisoformat(end),
                            "B",
                            "R",
                            "P",
                            first,
                            last,
                        ),
                    ),
                )
                for nrc, start, end in courses
            ),
        )

    store = await open_store(db_url, CredentialCipher.generate_key())
    fresh, old = int(now.timestamp()) - 3600, int(now.timestamp()) - 8 * 86400
    await schedules(store).save(1, codec.dumps(schedule(("11", "09:00", "10:55"))), "h1", fresh)
    await schedules(store).save(
        2, codec.dumps(schedule(("11", "09:00", "10:55"), ("22", "12:00", "20:00"))), "h2", old
    )
    await FriendStore(store.engine).befriend(1, 2, 0, 50)
    await FriendStore(store.engine).befriend(1, 3, 0, 50)  # 3 has no stored schedule
    friends = service(store, clock=lambda: now)
    answer = await friends.free_with_friends(1)
    assert isinstance(answer, FreeTime)
    assert [d.day for d in answer.days] == [
        date(2026, 11, 12),
        date(2026, 11, 13),
        date(2026, 11, 14),
    ]
    assert [[(w.start, w.end) for w in d.free] for d in answer.days] == (
        [[(420, 540), (655, 720), (1200, 1260)]] * 2 + [[(420, 1260)]]
    )
    assert answer.oldest == datetime.fromtimestamp(old, UTC)
    assert [t.shared.nrc for t in answer.together] == ["11"] and answer.without_schedule == ("?",)
    await schedules(store).save(2, codec.dumps(schedule(("22", "12:00", "20:00"))), "h3", fresh)
    answer = await friends.free_with_friends(1)
    assert isinstance(answer, FreeTime) and answer.oldest is None and not answer.out_of_cycle
    # The week before the cycle begins: the weekly classes count, and the answer says so.
    early = datetime(2026, 8, 13, 18, 0, tzinfo=UTC)  # the Thursday before 17 August
    before = await service(store, clock=lambda: early).free_with_friends(1)
    assert isinstance(before, FreeTime) and before.out_of_cycle
    assert [[(w.start, w.end) for w in d.free] for d in before.days] == (
        [[(420, 540), (655, 720), (1200, 1260)]] * 2 + [[(420, 1260)]]
    )
    # Only friends without a stored schedule asked about: no header with nobody in it.
    await friends.remember_name(3, "Caro")
    alone = await friends.free_with_friends(1, name="caro")
    assert isinstance(alone, FreeRefused) and alone.reason is FreeRefusal.NONE_STORED
    assert [f.name for f in alone.matches] == ["Caro"]
    await store.engine.dispose()


async def test_a_group_that_becomes_a_supergroup_keeps_its_shares_told_twice(db_url: str) -> None:
    store = await open_store(db_url, CredentialCipher.generate_key())
    friends, shares = service(store), FriendStore(store.engine)
    for user in (1, 2):
        assert await friends.ask_share(-100, user) and await friends.consent_share(-100, user)
    assert await friends.ask_share(-1009, 2)  # 2 asked again in the new supergroup first
    await friends.move_group(-100, -1009)  # the old chat's message
    await friends.move_group(-100, -1009)  # the new chat's message: nothing left to move
    assert sorted(s.user_id for s in await shares.sharers(-1009)) == [1, 2]  # 2's yes kept
    assert await shares.sharers(-100) == [] and await rows(store) == {
        t: 2 if t == "group_shares" else 0 for t in TABLES
    }
    assert await friends.ask_share(-1009, 3) and await friends.ask_share(-100, 3)
    await friends.move_group(-100, -1009)  # 3 only asked, in both: one row, still asked
    assert sorted(s.user_id for s in await shares.sharers(-1009)) == [1, 2]
    assert await friends.consent_share(-1009, 3)
    await store.engine.dispose()


async def test_a_group_answer_names_its_members_alphabetically(db_url: str) -> None:
    store = await open_store(db_url, CredentialCipher.generate_key())
    friends = service(store, clock=lambda: datetime(2026, 11, 12, 18, 0, tzinfo=UTC))
    empty = Schedule("202620", "2026-B", "X", "1", "INCO", "I", ())
    for user, name in ((1, "Caro"), (2, "Ána"), (3, "beto")):  # in one second: ids decide otherwise
        await schedules(store).save(user, codec.dumps(empty), f"h{user}", int(utcnow().timestamp()))
        await friends.remember_name(user, name)
        assert await friends.ask_share(-100, user) and await friends.consent_share(-100, user)
    answer = await friends.group_free(-100)
    assert isinstance(answer, FreeTime) and answer.names == ("Ána", "beto", "Caro")
    await store.engine.dispose()
