"""Fill a store with simulated students as registered subscribers (benchmarks, replica tests)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import insert

from bot.core.credentials import mask_code
from bot.core.records import utcnow
from bot.sim.siiau.students import SimStudent
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.documents import DeliveredDocument
from bot.store.models import CredentialRow, DocumentRow, SnapshotRow, SubscriptionRow, UserRow

BATCH = 2000


async def seed_subscribers(
    db_url: str,
    key: str,
    students: list[SimStudent],
    first_user: int,
    delivered: Mapping[int, DeliveredDocument] | None = None,
) -> None:
    """User `first_user + i` is `students[i]`, registered, subscribed, due in a month.

    `delivered` (by user id): the document each of those users already received, as
    after last week's delivery, so an unchanged schedule is re-sent, not rendered.
    """
    engine = create_engine(db_url)
    await migrate(engine)
    cipher = CredentialCipher([key])
    now = utcnow()
    later = int(time.time()) + 30 * 24 * 3600
    users = [
        {"id": first_user + i, "chat_id": first_user + i, "created_at": now}
        for i in range(len(students))
    ]
    creds = [
        {
            "user_id": first_user + i,
            "code_token": cipher.encrypt(s.code),
            "nip_token": cipher.encrypt(s.nip),
            "code_hint": mask_code(s.code),
            "career": s.careers[0].code,
            "career_name": s.careers[0].name,
            "rejected_at": None,
            "updated_at": now,
        }
        for i, s in enumerate(students)
    ]
    subs = [
        {
            "user_id": first_user + i,
            "weekday": 0,
            "hour": 7,
            "only_if_changed": False,
            "active": True,
            "paused_reason": None,
            "next_due_ts": later,
            "pending_due_ts": None,
            "lease_until_ts": None,
            "attempts": 0,
            "updated_at": now,
        }
        for i in range(len(students))
    ]
    documents = [
        {
            "user_id": user,
            "content_hash": d.content_hash,
            "file_id": d.file_id,
            "term": d.term,
            "created_at": now,
        }
        for user, d in (delivered or {}).items()
    ]
    snapshots = [
        {
            "user_id": user,
            "content_hash": d.content_hash,
            "schedule_json": cipher.encrypt(d.schedule_json),
            "updated_at": now,
        }
        for user, d in (delivered or {}).items()
    ]
    tables = (
        (UserRow, users),
        (CredentialRow, creds),
        (SubscriptionRow, subs),
        (DocumentRow, documents),
        (SnapshotRow, snapshots),
    )
    async with engine.begin() as connection:
        for table, rows in tables:
            for start in range(0, len(rows), BATCH):
                await connection.execute(insert(table), rows[start : start + BATCH])
    await engine.dispose()
