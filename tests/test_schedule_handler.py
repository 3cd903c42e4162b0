"""The /horario handler against a scripted event stream: what the student reads at the end,
once, whatever the stream or Telegram did (`bot/telegram/handlers/schedule.py`).

The answers are those of the handler before the delivery became events (b88b60a): a send
that fails at `Ready` is told like any failure of the run, with the saved copy's date when
one was shown; the gate's refusal is «ya estoy…». The real bot end to end: tests/e2e/test_schedule.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from telegram.constants import ChatType
from telegram.error import NetworkError

from bot.core.records import FlowRun
from bot.schedule.model import Schedule
from bot.services.errors import AlreadyRunning
from bot.services.timetable.events import Changed, Delivery, Event, Failed, Ready, SavedCopy, Stage
from bot.telegram.handlers.schedule import horario
from bot.telegram.runtime import Runtime
from bot.telegram.texts import common
from bot.telegram.texts import schedule as words

USER = 700101
ZONE = ZoneInfo("America/Mexico_City")
SCHEDULE = Schedule("202620", "2026 B", "ALUMNO", "219294382", "INNI", "INGENIERIA")
READ_AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@dataclass
class Stream:
    """`DeliveryService.deliver`'s answer, scripted: `events`, each once, until closed."""

    events: list[Event]
    taken: int = 0
    closed: bool = False
    shown: list[SavedCopy] = field(default_factory=list)

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Event:
        assert not self.closed, "asked for more after it was closed"
        if self.taken == len(self.events):
            raise StopAsyncIteration
        self.taken += 1
        return self.events[self.taken - 1]

    async def aclose(self) -> None:
        self.closed = True

    def show(self, copy: SavedCopy) -> None:
        self.shown.append(copy)


class Events:
    """The shape handlers see: an async iterator with `shown` and `aclose`."""

    def __init__(self, stream: Stream) -> None:
        self._stream = stream

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._stream

    async def aclose(self) -> None:
        await self._stream.aclose()

    def shown(self, copy: SavedCopy) -> None:
        self._stream.show(copy)


@dataclass
class Delivering:
    stream: Stream
    remembered: list[str] = field(default_factory=list)

    async def profile(self, _: int) -> object:
        return object()

    def deliver(self, _: int, *, saved_copy: bool) -> Events:
        assert saved_copy
        return Events(self.stream)

    async def remember_document(self, _: int, __: Delivery, file_id: str) -> None:
        self.remembered.append(file_id)

    async def render_again(self, delivery: Delivery) -> Ready:
        raise AssertionError("nothing to render again here")


@dataclass
class Message:
    chat: Chat
    message_id: int

    async def edit_text(self, text: str, reply_markup: object = None) -> None:
        self.chat.said.append(text)


@dataclass
class Chat:
    said: list[str] = field(default_factory=list)  # the progress message's texts, in order
    documents: list[object] = field(default_factory=list)
    refuse_documents_after: int = 99

    async def send_message(self, _: int, text: str, reply_markup: object = None) -> Message:
        self.said.append(text)
        return Message(self, 1)

    async def send_document(self, _: int, document: object, **__: object) -> object:
        if len(self.documents) >= self.refuse_documents_after:
            raise NetworkError("telegram down")
        self.documents.append(document)
        return SimpleNamespace(document=SimpleNamespace(file_id=f"file-{len(self.documents)}"))

    async def send_chat_action(self, *_: object) -> None:
        return None


async def nothing(*_: object, **__: object) -> None:
    return None


async def no_openings() -> int:
    return 0


def handler_call(stream: Stream, chat: Chat) -> tuple[Any, Any]:
    services = SimpleNamespace(
        delivery=Delivering(stream),
        book=SimpleNamespace(is_refreshing=lambda _: False),
        progress=SimpleNamespace(opened=nothing, finished=nothing),
        operations=SimpleNamespace(breaker_openings=no_openings),
    )
    rt = Runtime(None, services, ZONE, None)  # type: ignore[arg-type]  # what /horario reads
    update = SimpleNamespace(
        effective_user=SimpleNamespace(id=USER),
        effective_chat=SimpleNamespace(id=USER, type=ChatType.PRIVATE),
        callback_query=None,
    )
    context = SimpleNamespace(bot=chat, application=SimpleNamespace(bot_data={"runtime": rt}))
    return update, context


def a_delivery(shown: SavedCopy | None = None) -> Delivery:
    return Delivery(SCHEDULE, b"%PDF-1.4", None, FlowRun(name="horario"), USER, USER, shown)


async def test_a_send_that_fails_at_ready_is_told_once_as_the_runs_failure() -> None:
    delivery = a_delivery()
    stream = Stream([Stage("login"), Ready(delivery), Changed(delivery, None)])
    chat = Chat(refuse_documents_after=0)
    await horario(*handler_call(stream, chat))
    assert stream.closed and stream.taken == 2, "the stream was left at the Ready"
    assert chat.said == [words.STAGES["login"], common.error_text(NetworkError("telegram down"))]


async def test_a_send_that_fails_after_the_saved_copy_says_the_copy_is_kept() -> None:
    copy = SavedCopy(SCHEDULE, READ_AT, "file-0")
    delivery = a_delivery(copy)
    stream = Stream([copy, Stage("login"), Ready(delivery), Changed(delivery, [])])
    chat = Chat(refuse_documents_after=1)  # the saved copy goes, the new PDF does not
    await horario(*handler_call(stream, chat))
    assert stream.shown == [copy] and stream.closed and stream.taken == 3
    reason = common.error_text(NetworkError("telegram down"))
    kept = words.SAVED_COPY_KEPT.format(
        reason=reason, date=common.short_date(READ_AT.astimezone(ZONE))
    )
    assert chat.said == [words.STAGES["login"], kept]


async def test_a_second_horario_while_one_runs_is_told_once_it_is_under_way() -> None:
    stream = Stream([Failed(AlreadyRunning())])
    chat = Chat()
    await horario(*handler_call(stream, chat))
    assert stream.closed and chat.said == [common.ALREADY_RUNNING] and chat.documents == []
