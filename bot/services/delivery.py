"""Use cases behind the chat: register, deliver a schedule, show status, forget.

Telegram types stop above this module. A delivery hands back bytes to upload,
or the reference of a document Telegram already holds for the same content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.schedule import codec
from bot.schedule.model import Schedule
from bot.services.errors import CredentialsRejected, NotRegistered
from bot.services.gate import Gate
from bot.services.workflow import FlowResult, ScheduleWorkflow, StageCallback, no_stage
from bot.siiau.errors import InvalidCredentials
from bot.siiau.portal import Career
from bot.store.documents import DeliveredDocument
from bot.store.repository import Profile, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    schedule: Schedule
    pdf: bytes | None
    document_ref: str | None
    run: FlowRun
    chat_id: int

    @property
    def filename(self) -> str:
        return f"horario_{self.schedule.term}.pdf"


@dataclass(frozen=True, slots=True)
class Status:
    profile: Profile | None
    runs: list[FlowRun]


class DeliveryService:
    def __init__(self, store: Store, workflow: ScheduleWorkflow, gate: Gate) -> None:
        self.store = store
        self.workflow = workflow
        self.gate = gate

    async def register(self, user_id: int, chat_id: int, credentials: Credentials) -> list[Career]:
        """Verify the pair with a real SIIAU login, then store it encrypted."""
        try:
            with logcontext.bound(user_id=user_id):
                result = await self.workflow.verify(credentials)
        except Exception as error:
            await self._record(user_id, error_run(error))
            raise
        first = result.careers[0]
        await self.store.save_credentials(user_id, chat_id, credentials, first.code, first.name)
        await self.store.record_run(user_id, result.run)
        return result.careers

    async def choose_career(self, user_id: int, career: Career) -> None:
        await self.store.set_career(user_id, career.code, career.name)

    async def deliver(
        self, user_id: int, on_stage: StageCallback = no_stage, *, kind: str = "on_demand"
    ) -> Delivery:
        """Run the workflow for a registered user. Weekly runs skip the per-minute limit."""
        with logcontext.bound(user_id=user_id):
            return await self._deliver(user_id, on_stage, kind)

    async def _deliver(self, user_id: int, on_stage: StageCallback, kind: str) -> Delivery:
        async with self.gate.admit(user_id, count=kind != "weekly"):
            stored = await self.store.credentials(user_id)
            if stored is None:
                raise NotRegistered()
            if stored.profile.rejected:
                raise CredentialsRejected()

            async def known_document(content_hash: str) -> str | None:
                return await self.store.find_document(user_id, content_hash)

            try:
                result: FlowResult = await self.workflow.run(
                    stored.credentials,
                    stored.profile.career,
                    kind=kind,
                    find_document=known_document,
                    on_stage=on_stage,
                )
            except InvalidCredentials as error:
                await self.store.mark_rejected(user_id)
                await self._record(user_id, error_run(error))
                raise
            except Exception as error:
                await self._record(user_id, error_run(error))
                raise
            await self.store.record_run(user_id, result.run)
            assert result.schedule is not None
            return Delivery(
                result.schedule, result.pdf, result.reused_document, result.run, stored.profile.chat_id
            )

    async def remember_document(self, user_id: int, delivery: Delivery, document_ref: str) -> None:
        await self.store.record_delivered(user_id, delivered_document(delivery, document_ref))

    async def status(self, user_id: int) -> Status:
        profile = await self.store.profile(user_id)
        runs = await self.store.recent_runs(user_id, limit=5) if profile else []
        return Status(profile, runs)

    async def forget(self, user_id: int) -> None:
        await self.store.forget(user_id)
        self.gate.forget(user_id)

    async def _record(self, user_id: int, run: FlowRun | None) -> None:
        if run is None:
            return
        try:
            await self.store.record_run(user_id, run)
        except Exception:  # noqa: BLE001 - the user's answer matters more than the record
            log.exception("could not record run %s", run.id)


def error_run(error: BaseException) -> FlowRun | None:
    """The run a workflow error carries (attached by the workflow), if any."""
    return getattr(error, "flow_run", None)


def delivered_document(delivery: Delivery, document_ref: str) -> DeliveredDocument:
    """What to keep of a sent schedule: courses for next week's diff, not who the student is."""
    schedule = delivery.schedule
    anonymous = replace(schedule, student_code="", student_name="")
    return DeliveredDocument(schedule.content_hash, document_ref, schedule.term, codec.dumps(anonymous))
