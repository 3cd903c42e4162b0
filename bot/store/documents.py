"""What Telegram holds for a student: a delivered document, and the schedule snapshot it shows.

The upsert runs inside larger transactions (a weekly outcome and its document commit together).
The snapshot is a schedule, so it is kept as a Fernet token; rows written before that are
plain JSON, read as they are until `rotate-keys` (or the next delivery) seals them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.records import utcnow
from bot.store.crypto import CredentialCipher
from bot.store.db import dialect_insert
from bot.store.models import DocumentRow, SnapshotRow


@dataclass(frozen=True, slots=True)
class DeliveredDocument:
    """A document Telegram now holds for this content, and the schedule it shows."""

    content_hash: str
    file_id: str
    term: str
    schedule_json: str


def open_snapshot(cipher: CredentialCipher, stored: str, *, user_id: int) -> str:
    """The snapshot's JSON: a legacy plain row as it is, else decrypted."""
    return stored if stored.lstrip().startswith("{") else cipher.decrypt(stored, user_id=user_id)


async def record_delivered(
    session: AsyncSession,
    engine: AsyncEngine,
    cipher: CredentialCipher,
    user_id: int,
    document: DeliveredDocument,
) -> None:
    insert = dialect_insert(engine)
    now = utcnow()
    doc = insert(DocumentRow).values(
        user_id=user_id,
        content_hash=document.content_hash,
        file_id=document.file_id,
        term=document.term,
        created_at=now,
    )
    await session.execute(
        doc.on_conflict_do_update(
            index_elements=["user_id", "content_hash"],
            set_={"file_id": doc.excluded.file_id, "term": doc.excluded.term, "created_at": now},
        )
    )
    snap = insert(SnapshotRow).values(
        user_id=user_id,
        content_hash=document.content_hash,
        schedule_json=cipher.encrypt(document.schedule_json),
        updated_at=now,
    )
    await session.execute(
        snap.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "content_hash": snap.excluded.content_hash,
                "schedule_json": snap.excluded.schedule_json,
                "updated_at": now,
            },
        )
    )
