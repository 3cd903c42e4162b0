"""/calificaciones: the stored copy at once, then SIIAU's answer and what is new; the kárdex PDF
button; `/calificaciones avisar` and its button toggle grade alerts.

Button payloads are built and parsed in one pair (`button_data`, `parse_button`): `cal:k` for
the kárdex, `cal:a:1` / `cal:a:0` to turn alerts on or off; each button is signed for its chat
(`bot.telegram.buttons`). Anything else is a stale or forged press: it gets «Ese botón ya no
es válido» and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.core.records import utcnow
from bot.services.errors import AlreadyRunning, CredentialsRejected, NotRegistered, RateLimited
from bot.services.grades.service import GradesAnswer, StoredGrades
from bot.telegram.buttons import ButtonSigner, pressed
from bot.telegram.private import private_only, registered_only, require_registration
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common
from bot.telegram.texts import grades as words

log = logging.getLogger(__name__)
PREFIX = "cal:"


@dataclass(frozen=True, slots=True)
class GradesButton:
    kardex: bool = False
    alerts: bool | None = None  # the state the press asks for


def button_data(button: GradesButton) -> str:
    if button.kardex:
        return f"{PREFIX}k"
    return f"{PREFIX}a:{1 if button.alerts else 0}"


def parse_button(data: str | None) -> GradesButton | None:
    if data == f"{PREFIX}k":
        return GradesButton(kardex=True)
    if data in (f"{PREFIX}a:1", f"{PREFIX}a:0"):
        return GradesButton(alerts=data.endswith("1"))
    return None


def keyboard(signer: ButtonSigner, chat_id: int, alerts_on: bool) -> InlineKeyboardMarkup:
    toggle = words.BUTTON_ALERTS_OFF if alerts_on else words.BUTTON_ALERTS_ON
    return InlineKeyboardMarkup(
        [
            [signer.button(chat_id, words.BUTTON_KARDEX, button_data(GradesButton(kardex=True)))],
            [signer.button(chat_id, toggle, button_data(GradesButton(alerts=not alerts_on)))],
        ]
    )


class _Answer:
    """One message: the stored copy or the stages first, edited as SIIAU answers."""

    def __init__(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        self._context, self._chat_id = context, chat_id
        self.message: Message | None = None
        self.pinned = False  # the stored copy is on screen: stages no longer replace it

    async def say(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            if self.message is None:
                self.message = await self._context.bot.send_message(
                    self._chat_id, text, reply_markup=markup
                )
            else:
                await self.message.edit_text(text, reply_markup=markup)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                log.warning("grades message failed: %s", error)
        except TelegramError as error:
            log.warning("grades message failed: %s", type(error).__name__)

    async def stage(self, name: str) -> None:
        if not self.pinned:
            await self.say(words.STAGES.get(name, words.CHECKING))


@private_only("calificaciones")
@registered_only()
async def calificaciones(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = runtime(context).services
    args = [a.lower() for a in (context.args or [])]
    if args == ["avisar"]:
        view = await services.grades.alerts(user.id)
        await _set_alerts(context, chat.id, user.id, not view.enabled)
        return
    if args:
        await context.bot.send_message(chat.id, words.USAGE)
        return
    await _check(context, chat.id, user.id)


async def _check(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
    services = runtime(context).services
    answer = _Answer(context, chat_id)

    async def show_saved(copy: StoredGrades) -> None:
        await answer.say(
            f"{words.saved_header(copy.read_at, utcnow())}\n\n{words.report(copy.report)}"
        )
        answer.pinned = True

    try:
        found = await services.grades.check(user_id, answer.stage, on_saved_copy=show_saved)
    except AlreadyRunning:
        await context.bot.send_message(chat_id, common.ALREADY_RUNNING)
        return
    except RateLimited:
        await context.bot.send_message(chat_id, common.RATE_LIMITED)
        return
    except NotRegistered:
        await context.bot.send_message(chat_id, common.NOT_REGISTERED)
        return
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        log.info("calificaciones failed user=%s error=%s", user_id, type(error).__name__)
        if answer.pinned:
            await context.bot.send_message(chat_id, common.error_text(error))
        else:
            await answer.say(common.error_text(error))
        await report_to_operator(context, error)
        return
    await _show(context, chat_id, user_id, answer, found)


async def _show(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    user_id: int,
    answer: _Answer,
    found: GradesAnswer,
) -> None:
    services = runtime(context).services
    alerts_on = (await services.grades.alerts(user_id)).enabled
    if found.survey is not None:
        text = words.survey(found.survey.link)
        if answer.pinned:
            await context.bot.send_message(chat_id, text)
        else:
            await answer.say(text)
        return
    assert found.report is not None
    if found.shown is not None and answer.pinned:
        shown = found.shown
        await answer.say(
            f"{words.saved_header_done(shown.read_at, utcnow())}\n\n{words.report(shown.report)}"
        )
        await context.bot.send_message(
            chat_id,
            f"{words.what_is_new(found.new)}\n\n{words.report(found.report)}",
            reply_markup=keyboard(runtime(context).buttons, chat_id, alerts_on),
        )
        return
    await answer.say(
        words.report(found.report), keyboard(runtime(context).buttons, chat_id, alerts_on)
    )


async def _set_alerts(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, enabled: bool
) -> None:
    try:
        view = await runtime(context).services.grades.set_alerts(user_id, enabled)
    except NotRegistered:
        await context.bot.send_message(chat_id, common.NOT_REGISTERED)
        return
    except CredentialsRejected as error:
        await context.bot.send_message(chat_id, common.error_text(error))
        return
    await context.bot.send_message(chat_id, words.ALERTS_ON if view.enabled else words.ALERTS_OFF)


@private_only("calificaciones")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    button = await pressed(update, context, parse_button)
    if button is None:
        return  # forged, stale or for another chat: answered «Ese botón ya no es válido»
    if not await require_registration(update, context):
        return  # a new message: the grades above stay
    services = runtime(context).services
    if button.alerts is not None:
        await _set_alerts(context, chat.id, user.id, button.alerts)
        return
    try:
        pdf = await services.grades.kardex_pdf(user.id)
    except Exception as error:  # noqa: BLE001 - the student gets a plain answer
        log.info("kardex pdf failed user=%s error=%s", user.id, type(error).__name__)
        await context.bot.send_message(chat.id, words.KARDEX_FAILED)
        return
    if pdf is None:
        await context.bot.send_message(chat.id, words.NO_KARDEX_YET)
        return
    await context.bot.send_document(
        chat.id, pdf, filename="kardex.pdf", caption=words.KARDEX_CAPTION
    )
