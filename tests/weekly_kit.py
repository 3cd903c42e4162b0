"""A weekly service on a real SQLite store and a real workflow, with a clock tests move."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.bootstrap import (
    NotifierFactory,
    Stores,
    build_delivery,
    build_registration,
    build_stores,
)
from bot.config import WeeklySettings
from bot.core.credentials import Credentials
from bot.schedule.diff import CourseChange
from bot.services.account.registration import RegistrationService
from bot.services.runtime.gate import UserGate
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.services.timetable.delivery import DeliveryService
from bot.services.timetable.events import Delivery
from bot.services.timetable.weekly import Notice, OperatorNotice, WeeklyService
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from tests.workflow_kit import make_workflow

ZONE = ZoneInfo("America/Mexico_City")
KEY = CredentialCipher.generate_key()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, moment: datetime) -> None:
        self.now = moment.replace(tzinfo=ZONE).astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    chat_id: int
    uploaded: bool
    unchanged: bool
    changes: list[CourseChange] | None
    pdf: bytes | None


@dataclass
class RecordingNotifier:
    """Plays Telegram for the service: keeps what was sent and hands out file ids."""

    sent: list[Sent] = field(default_factory=list)
    notices: list[tuple[int, Notice]] = field(default_factory=list)
    notice_errors: list[str] = field(default_factory=list)  # the error class behind each notice
    operator_notices: list[tuple[OperatorNotice, int]] = field(default_factory=list)
    fail_next: int = 0

    async def send_schedule(
        self, delivery: Delivery, changes: list[CourseChange] | None, unchanged: bool
    ) -> str:
        if self.fail_next:
            self.fail_next -= 1
            from bot.services.errors import SendFailed

            raise SendFailed("network down", transient=True)
        uploaded = delivery.document_ref is None
        self.sent.append(Sent(delivery.chat_id, uploaded, unchanged, changes, delivery.pdf))
        return delivery.document_ref or f"file-{delivery.chat_id}-{len(self.sent)}"

    async def send_notice(self, chat_id: int, notice: Notice, error: BaseException | None) -> None:
        self.notices.append((chat_id, notice))
        self.notice_errors.append(type(error).__name__ if error is not None else "-")

    async def send_operator_notice(self, notice: OperatorNotice, count: int) -> None:
        self.operator_notices.append((notice, count))

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]


@dataclass
class Parts:
    """What a test may look under: the weekly service's workflow, store and registration;
    `stores`: every store, as bootstrap builds them (`store` is `stores.users`)."""

    workflow: ScheduleWorkflow
    store: Store
    registration: RegistrationService
    delivery: DeliveryService
    stores: Stores


PARTS: dict[WeeklyService, Parts] = {}


async def make_weekly(
    db: Path | str,
    siiau_url: str,
    clock: Clock,
    notifier: NotifierFactory | None = None,
    **settings: Any,  # WeeklySettings fields and `siiau`, the workflow's options: mixed types
) -> tuple[WeeklyService, RecordingNotifier]:
    """`db` is a SQLite file path or any database URL; `notifier` replaces the recording one."""
    engine = create_engine(db if isinstance(db, str) else f"sqlite+aiosqlite:///{db}")
    await migrate(engine)
    workflow = make_workflow(siiau_url, max_concurrency=4, **settings.pop("siiau", {}))
    stores = build_stores(engine, CredentialCipher([KEY]))
    delivery = build_delivery(stores, workflow, UserGate(100), clock=clock)
    options = {"spread_seconds": 0, "retry_base_seconds": 600, "max_attempts": 3, **settings}
    recording = RecordingNotifier()
    service = WeeklyService(
        delivery,
        stores.weekly,
        WeeklySettings(**options),
        ZONE,
        notifier=notifier(delivery) if notifier is not None else recording,
        clock=clock,
    )
    registration = build_registration(stores, workflow)
    PARTS[service] = Parts(workflow, stores.users, registration, delivery, stores)
    return service, recording


def parts(service: WeeklyService) -> Parts:
    return PARTS[service]


async def register(service: WeeklyService, user_id: int, code: str, nip: str) -> None:
    await parts(service).registration.register(user_id, user_id, Credentials(code, nip))


async def close(service: WeeklyService) -> None:
    await service.aclose()
    found = PARTS.pop(service)
    await found.workflow.aclose()
    await found.store.engine.dispose()
