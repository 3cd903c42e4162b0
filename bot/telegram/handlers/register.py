"""/registrar: código → NIP (deleted at once, verified with SIIAU) → career if several.

Only in a private chat. SIIAU's verification runs beside the student's next
updates, so `/cancelar` can reach it: the dialog is at "verifying" until SIIAU
answers, and is saved only if it was not cancelled meanwhile.

The dialog's state is kept by the registration service (in the database, not in
this process), so a student whose messages land on different replicas, or who
writes across a restart, carries on where they were. The NIP is never part of it.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.services.account.registration import (
    CancelOutcome,
    Career,
    Dialog,
    RegistrationCancelled,
    RegistrationService,
)
from bot.services.errors import InvalidCredentials, LayoutChanged, SiiauUnavailable
from bot.telegram import progress
from bot.telegram.buttons import ButtonSigner, matching, pressed
from bot.telegram.private import is_private, opens_link, private_only, start_link
from bot.telegram.runtime import report_to_operator, runtime
from bot.telegram.texts import common, safety
from bot.telegram.texts import register as words
from bot.telegram.texts import start as start_words

log = logging.getLogger(__name__)

# ASCII only: `\d` and `str.isdigit` also take fullwidth and Arabic-Indic digits.
CODE_FORMAT = re.compile(r"[0-9]{5}|[0-9]{7,12}", re.ASCII)
NIP_FORMAT = re.compile(r"[A-Za-z0-9]{1,10}", re.ASCII)
# In a group, text that could be a code or a NIP: one word of letters and digits, with a digit.
SECRET_LIKE = re.compile(r"(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{4,12}", re.ASCII)
MAX_REJECTIONS = 2
CAREER_PREFIX = "career:"
CAREER_CODE = re.compile(r"[A-Z]{3,4}")  # as SIIAU's career menu names them (`bot/siiau/pages.py`)


def career_payload(code: str) -> str:
    return CAREER_PREFIX + code


def parse_career(payload: str) -> str | None:
    """The career code of a signed button, or None."""
    if not payload.startswith(CAREER_PREFIX):
        return None
    return matching(payload.removeprefix(CAREER_PREFIX), CAREER_CODE, 4)


REGISTER_PAYLOAD = "registrar"


def _registration(context: ContextTypes.DEFAULT_TYPE) -> RegistrationService:
    return runtime(context).services.registration


@private_only(REGISTER_PAYLOAD)
async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await _registration(context).save_dialog(Dialog(user.id, "code"))
    await message.reply_text(words.ASK_CODE)


@opens_link(REGISTER_PAYLOAD)
async def open_link(update: Update, context: ContextTypes.DEFAULT_TYPE, _: str) -> None:
    """`/start registrar`, from the link a group got instead of an answer: registration begins."""
    await begin(update, context)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text outside a command: a step of the registration dialog, or a hint."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    if not is_private(update):
        await _text_in_group(update, context, message)
        return
    registration = _registration(context)
    dialog = await registration.dialog(user.id)
    if dialog is None:
        expired = await registration.take_expired_dialog(user.id)
        if expired == "nip":
            await _delete_quietly(message)  # it may well be the NIP the dialog was waiting for
        await message.reply_text(
            words.DIALOG_EXPIRED if expired in ("code", "nip") else start_words.HINT
        )
    elif dialog.step == "code":
        await _got_code(context, message, dialog)
    elif dialog.step == "nip":
        await _got_nip(update, context, message, dialog)
    elif dialog.step in ("verifying", "saving"):
        if dialog.step == "verifying":
            await _delete_quietly(message)  # a NIP typed twice is still a NIP
        await message.reply_text(words.STILL_VERIFYING)
    elif dialog.step == "career":
        await message.reply_text(words.CHOOSE_CAREER)
    else:
        await message.reply_text(start_words.HINT)


async def _text_in_group(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message
) -> None:
    """Never a step of a dialog. Something that may be a code or a NIP is deleted, with a warning."""
    text = (message.text or "").strip()
    user = update.effective_user
    in_dialog = user is not None and await _registration(context).dialog(user.id) is not None
    if not (SECRET_LIKE.fullmatch(text) or (in_dialog and NIP_FORMAT.fullmatch(text))):
        return  # ordinary talk in the group is none of the bot's business
    await _delete_quietly(message)
    try:
        await message.chat.send_message(
            safety.group_secret_warning(start_link(context, REGISTER_PAYLOAD))
        )
    except TelegramError as error:
        log.info("could not warn in the group: %s", type(error).__name__)


async def _got_code(context: ContextTypes.DEFAULT_TYPE, message: Message, dialog: Dialog) -> None:
    code = (message.text or "").strip()
    if not CODE_FORMAT.fullmatch(code):
        await message.reply_text(words.BAD_CODE)
        return
    await _registration(context).save_dialog(Dialog(dialog.user_id, "nip", code=code))
    await message.reply_text(words.ASK_NIP)


async def _got_nip(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, dialog: Dialog
) -> None:
    nip = (message.text or "").strip()
    await _delete_quietly(message)  # first, whatever else happens
    if message.forward_origin is not None:
        await message.chat.send_message(words.NIP_FORWARDED)
        return
    if not NIP_FORMAT.fullmatch(nip):
        await message.chat.send_message(words.BAD_NIP_FORMAT)
        return
    if nip == dialog.code:
        await message.chat.send_message(words.NIP_IS_CODE)
        return
    registration = _registration(context)
    verifying = Dialog(dialog.user_id, "verifying", code=dialog.code, rejections=dialog.rejections)
    if not await registration.move_dialog(verifying, "nip"):
        return  # cancelled or started over in between: this NIP belongs to no dialog
    # The progress message is sent while the login starts, not before it: the verdict comes sooner.
    shown = VerifyProgress(context, message.chat.id, dialog.user_id)
    # SIIAU's answer is awaited beside the student's next updates, so /cancelar reaches it.
    context.application.create_task(
        _verify(context, shown, verifying, nip), update=update, name=f"verify:{dialog.user_id}"
    )


class VerifyProgress:
    """The verification's progress message («🔐 Verificando…»), opened beside SIIAU's login.
    Should it fail to open, the later texts go out as messages of their own."""

    def __init__(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
        self._context, self.chat_id = context, chat_id
        self._opening = asyncio.ensure_future(
            progress.open_message(context, chat_id, user_id, "verify", words.VERIFYING)
        )

    async def _shown(self) -> progress.Shown | None:
        try:
            return await self._opening
        except TelegramError as error:
            log.warning("progress message failed: %s", type(error).__name__)
            return None

    async def say(self, text: str) -> None:
        """A step on the message, which stays open for its last text (`finish`)."""
        shown = await self._shown()
        if shown is None:
            await self._send(text)
            return
        try:
            await shown.bot.edit_message_text(text, shown.chat_id, shown.message_id)
        except TelegramError as error:
            log.warning("progress message failed: %s", type(error).__name__)

    async def finish(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        shown = await self._shown()
        if shown is None:
            await self._send(text, reply_markup)
        else:
            await shown.finish(text, reply_markup=reply_markup)

    async def _send(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self._context.bot.send_message(self.chat_id, text, reply_markup=reply_markup)
        except TelegramError as error:
            log.warning("registration message failed: %s", type(error).__name__)


async def _verify(
    context: ContextTypes.DEFAULT_TYPE, shown: VerifyProgress, dialog: Dialog, nip: str
) -> None:
    """The verdict as soon as SIIAU gives it; the career question as soon as the careers are
    known; «¡Listo!» once the pair (and, with SCHEDULE_READ_AT_REGISTRATION, the first schedule
    read in the same SIIAU session) is stored."""
    registration = _registration(context)
    read = runtime(context).settings.schedule.read_at_registration
    user_id = dialog.user_id
    asked: list[bool] = []

    async def accepted() -> None:
        await shown.say(words.VERIFIED_READING if read else words.VERIFIED_SAVING)

    async def careers_known(careers: list[Career]) -> None:
        if len(careers) < 2:
            return
        asked.append(True)
        await registration.move_dialog(
            Dialog(user_id, "career", careers={c.code: c.name for c in careers}), "saving"
        )
        await shown.finish(
            words.CHOOSE_CAREER,
            reply_markup=career_keyboard(runtime(context).buttons, shown.chat_id, careers),
        )

    try:
        async with runtime(context).services.book.reading(user_id):  # /horario and /hoy wait for it
            registered = await registration.register_dialog(
                dialog,
                shown.chat_id,
                nip,
                on_accepted=accepted,
                on_careers=careers_known,
                read_schedule=read,
            )
    except RegistrationCancelled:
        await shown.finish(words.VERIFY_CANCELLED)
        return
    except InvalidCredentials:
        rejections = dialog.rejections + 1
        if rejections >= MAX_REJECTIONS:
            ended = await registration.end_dialog_at(user_id, "verifying")
            await shown.finish(words.NIP_REJECTED_STOP if ended else words.VERIFY_CANCELLED)
        else:
            retry = Dialog(user_id, "nip", code=dialog.code, rejections=rejections)
            moved = await registration.move_dialog(retry, "verifying")
            await shown.finish(words.NIP_REJECTED_RETRY if moved else words.VERIFY_CANCELLED)
        await registration.end_dialog_at(user_id, "cancelled")
        return
    except SiiauUnavailable as error:
        retry = Dialog(user_id, "nip", code=dialog.code, rejections=dialog.rejections)
        if await registration.move_dialog(retry, "verifying"):
            await shown.finish(f"{common.error_text(error)}\n{words.VERIFY_RETRY_LATER}")
        else:
            await registration.end_dialog_at(user_id, "cancelled")
            await shown.finish(words.VERIFY_CANCELLED)
        await report_to_operator(context, error)
        return
    except Exception as error:  # noqa: BLE001 - whatever broke, the student gets a plain answer
        log.info("registration failed user=%s error=%s", user_id, type(error).__name__)
        for step in ("verifying", "saving", "cancelled"):
            await registration.end_dialog_at(user_id, step)
        await shown.finish(common.error_text(error))
        await report_to_operator(context, error)
        return
    finally:
        del nip
    if isinstance(registered.first_read_error, LayoutChanged):  # the first /horario would fail too
        await report_to_operator(context, registered.first_read_error)
    if asked:
        return  # the career question is on screen; `chose_career` finishes the registration
    await registration.end_dialog_at(user_id, "saving")
    await shown.finish(words.registered(registered.career.name))


def career_keyboard(
    signer: ButtonSigner, chat_id: int, careers: list[Career]
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[signer.button(chat_id, _career_label(c), career_payload(c.code))] for c in careers]
    )


def _career_label(career: Career) -> str:
    """«NAME (CODE)», or the code alone when SIIAU gave no name."""
    return career.code if career.name == career.code else f"{career.name} ({career.code})"


@private_only(REGISTER_PAYLOAD)
async def chose_career(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    code = await pressed(update, context, parse_career)
    if code is None:
        return
    registration = _registration(context)
    dialog = await registration.dialog(user.id)
    if dialog is None or dialog.step != "career" or code not in dialog.careers:
        if query.message is not None:  # a stale button: the dialog it belonged to is over
            await context.bot.send_message(query.message.chat.id, safety.BUTTON_INVALID)
        return
    await registration.choose_career(user.id, Career(code, dialog.careers[code]))
    _read_schedule_soon(
        context, user.id
    )  # registration read no schedule: it did not know the career
    await registration.end_dialog_at(user.id, "career")
    await query.edit_message_text(words.registered(dialog.careers[code]))


def _read_schedule_soon(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """A first read of the schedule of the career a student of several careers chose, behind
    the scenes, so /hoy answers at once (a student of one career had it read in the
    registration's own SIIAU session).

    One more SIIAU login after the verification's: it runs through `DeliveryService` like
    /horario, so the per-user gate, the breaker and the login guard (hourly cap, holds) apply,
    and a failure only means /hoy reads it when asked.
    """
    rt = runtime(context)
    if rt.settings.schedule.read_at_registration:
        rt.services.book.refresh_soon(user_id)


@private_only(REGISTER_PAYLOAD)
async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    outcome = await _registration(context).cancel(user.id)
    await message.reply_text(CANCEL_TEXTS[outcome])


CANCEL_TEXTS = {
    CancelOutcome.NOTHING: words.NOTHING_TO_CANCEL,
    CancelOutcome.NOTHING_REGISTERED: words.NOTHING_TO_CANCEL_REGISTERED,
    CancelOutcome.CANCELLED: words.CANCELLED,
    CancelOutcome.CANCELLED_VERIFYING: words.CANCELLED_VERIFYING,
    CancelOutcome.ALREADY_SAVED: words.ALREADY_SAVED,
}


async def _delete_quietly(message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as error:
        log.warning("could not delete a message that may hold a NIP: %s", type(error).__name__)
