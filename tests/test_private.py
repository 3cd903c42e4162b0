"""The chat layer's guards (`bot/telegram/private.py`): `registered_only` answers an unregistered
student once and runs nothing, and /start follows a link to the feature that claimed it.
The real bot's answers to each command: the e2e files (`test_everyday.py`, `test_grades.py`…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from bot.telegram import private
from bot.telegram.private import open_link, opens_link, registered_only, require_registration
from bot.telegram.runtime import Runtime
from bot.telegram.texts import common

REGISTERED, STRANGER = 700001, 700002


@dataclass
class FakeDelivery:
    asked: list[int] = field(default_factory=list)

    async def profile(self, user_id: int) -> object | None:
        self.asked.append(user_id)
        return object() if user_id == REGISTERED else None


@dataclass
class FakeBot:
    sent: list[tuple[int, str]] = field(default_factory=list)

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append((chat_id, text))


@dataclass
class FakeQuery:
    edited: list[str] = field(default_factory=list)

    async def edit_message_text(self, text: str) -> None:
        self.edited.append(text)


def _call(user_id: int, *, query: FakeQuery | None = None) -> tuple[Any, Any, FakeBot]:
    update = SimpleNamespace(
        effective_user=SimpleNamespace(id=user_id),
        effective_chat=SimpleNamespace(id=user_id),
        callback_query=query,
    )
    bot = FakeBot()
    services = SimpleNamespace(delivery=FakeDelivery())
    handlers_see = Runtime(None, services, None, None)  # type: ignore[arg-type]  # only services
    context = SimpleNamespace(
        bot=bot, application=SimpleNamespace(bot_data={"runtime": handlers_see})
    )
    return update, context, bot


async def test_a_guarded_command_runs_for_a_registered_student_only() -> None:
    ran: list[int] = []

    @registered_only()
    async def command(update: Any, _: Any) -> None:
        ran.append(update.effective_user.id)

    update, context, bot = _call(REGISTERED)
    await command(update, context)
    assert ran == [REGISTERED] and bot.sent == []

    update, context, bot = _call(STRANGER)
    await command(update, context)
    assert ran == [REGISTERED]  # not run for the stranger
    assert bot.sent == [(STRANGER, common.NOT_REGISTERED)]


async def test_each_site_keeps_its_own_words_and_its_way_of_answering() -> None:
    @registered_only("Primero /registrar, por favor.")
    async def command(update: Any, _: Any) -> None:
        raise AssertionError("must not run")

    update, context, bot = _call(STRANGER)
    await command(update, context)
    assert bot.sent == [(STRANGER, "Primero /registrar, por favor.")]

    query = FakeQuery()
    update, context, bot = _call(STRANGER, query=query)
    assert not await require_registration(update, context, edit=True)
    assert query.edited == [common.NOT_REGISTERED] and bot.sent == []  # the pressed message

    query = FakeQuery()
    update, context, bot = _call(STRANGER, query=query)
    assert not await require_registration(update, context)
    assert query.edited == [] and bot.sent == [(STRANGER, common.NOT_REGISTERED)]  # a new one

    update, context, bot = _call(REGISTERED, query=FakeQuery())
    assert await require_registration(update, context, edit=True)
    assert bot.sent == []


async def test_start_follows_a_link_to_the_feature_that_claimed_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(private, "_OPENERS", {})
    opened: list[tuple[str, str]] = []

    @opens_link("registrar")
    async def register(_: Any, __: Any, rest: str) -> None:
        opened.append(("registrar", rest))

    @opens_link("amigo_", prefix=True)
    async def invite(_: Any, __: Any, token: str) -> None:
        opened.append(("amigo_", token))

    update, context, _ = _call(STRANGER)
    assert await open_link(update, context, "registrar")
    assert await open_link(update, context, "amigo_Tok3n")
    assert not await open_link(update, context, "registrarme")  # an exact payload stays exact
    assert not await open_link(update, context, "estado")  # /start's welcome, as before
    assert opened == [("registrar", ""), ("amigo_", "Tok3n")]


def test_the_application_registers_registrations_and_invitations_links() -> None:
    from bot.telegram import app  # noqa: F401 - importing the handlers registers their links
    from bot.telegram.handlers import friends, register

    assert private._OPENERS[register.REGISTER_PAYLOAD, False] is register.open_link
    assert private._OPENERS[friends.INVITE_PAYLOAD, True] is friends.open_link
