"""/amigos, invite links (`/start amigo_<token>`), /libres, /compartir, /nocompartir, and
group membership updates.

/amigos and every button are private; /libres answers in a private chat (with friends) and
in a group (members who agreed, first names and free windows only); /compartir is asked in
the group and agreed in private; /nocompartir works in both. Button payloads are built and
parsed here only (`button_data`, `parse_button`); every keyboard is signed for the chat its
message goes to (`bot.telegram.buttons`), and a press is opened with `pressed`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.schedule.free_time import CLOSES, OPENS
from bot.services.friends import (
    Answered,
    FreeRefusal,
    FreeRefused,
    FreeTime,
    FriendsService,
    Opened,
)
from bot.telegram.buttons import answer_press, pressed
from bot.telegram.private import is_private, opens_link, private_only, redirect, start_link
from bot.telegram.runtime import runtime
from bot.telegram.texts import friends as words

log = logging.getLogger(__name__)
PREFIX = "fr:"
INVITE_PAYLOAD = "amigo_"
RENEW = "nuevo"
LOOKUPS_PER_ANSWER = 5  # getChatMember calls per group answer (Telegram paces group requests)
MAX_USER_ID = 2**52
MAX_CHAT = 10**14
GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}

Kind = Literal["invite", "remove", "share", "pick", "picture", "group_picture"]
_BUTTON = re.compile(
    r"fr:(?:(?P<kind>[ic]):(?P<id>-?[1-9][0-9]{0,15}):(?P<yes>[yn])|(?P<one>[ql]):(?P<uid>[1-9][0-9]{0,15})"
    r"|p:(?P<pic>0|[1-9][0-9]{0,15})|(?P<group>w))"
)
# The picture buttons (`fr:p:…`, `fr:w`, then the tag): their own handler, off the user's queue.
PICTURE_PATTERN = r"^fr:(?:p:|w(?:~|$))"


@dataclass(frozen=True, slots=True)
class Button:
    kind: Kind
    target: int  # an inviter, a friend, or a group chat
    yes: bool = True


def button_data(button: Button) -> str:
    if button.kind == "group_picture":
        return f"{PREFIX}w"
    code = {"invite": "i", "remove": "q", "share": "c", "pick": "l", "picture": "p"}[button.kind]
    if button.kind in ("invite", "share"):
        return f"{PREFIX}{code}:{button.target}:{'y' if button.yes else 'n'}"
    return f"{PREFIX}{code}:{button.target}"


def parse_button(data: str | None) -> Button | None:
    """A typed button, or None for anything this module did not build (or out of bounds)."""
    match = _BUTTON.fullmatch(data or "")
    if match is None:
        return None
    if match["group"]:
        return Button("group_picture", 0)
    if match["pic"] is not None:
        friend = int(match["pic"])
        return Button("picture", friend) if friend <= MAX_USER_ID else None
    if match["kind"]:
        kind: Kind = "invite" if match["kind"] == "i" else "share"
        target, yes = int(match["id"]), match["yes"] == "y"
        if kind == "invite" and not 0 < target <= MAX_USER_ID:
            return None
        if kind == "share" and not -MAX_CHAT <= target < 0:
            return None
        return Button(kind, target, yes)
    target = int(match["uid"])
    if target > MAX_USER_ID:
        return None
    return Button("remove" if match["one"] == "q" else "pick", target)


def _keyboard(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, rows: list[list[tuple[str, Button]]]
) -> InlineKeyboardMarkup:
    """A keyboard signed for `chat_id`, the chat its message goes to."""
    signer = runtime(context).buttons
    return InlineKeyboardMarkup(
        [[signer.button(chat_id, label, button_data(b)) for label, b in row] for row in rows]
    )


def _yes_no(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, kind: Kind, target: int
) -> InlineKeyboardMarkup:
    return _keyboard(
        context,
        chat_id,
        [[(words.YES, Button(kind, target, True)), (words.NO, Button(kind, target, False))]],
    )


def _service(context: ContextTypes.DEFAULT_TYPE) -> FriendsService:
    return runtime(context).services.friends


# ---- /amigos ---------------------------------------------------------------------------
@private_only("amigos")
async def amigos(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    friends = _service(context)
    waiting = await friends.waiting(user.id)
    if not await friends.registered(user.id):
        text = (
            words.INVITE_REGISTER_FIRST.format(name=waiting[0].name)
            if waiting
            else words.NOT_REGISTERED
        )
        await context.bot.send_message(chat.id, text)
        return
    await friends.remember_name(user.id, user.first_name)
    renew = bool(context.args) and (context.args or [""])[0].lower() == RENEW
    link = await friends.invite_link(user.id, renew=renew)
    if link is None:
        await context.bot.send_message(chat.id, words.NOT_REGISTERED)
        return
    if link.token is not None:
        await context.bot.send_message(
            chat.id, words.INVITE_NEW.format(link=start_link(context, INVITE_PAYLOAD + link.token))
        )
    elif link.since is not None:
        await context.bot.send_message(
            chat.id, words.INVITE_EXISTS.format(since=link.since.astimezone(friends.zone))
        )
    current = await friends.friends(user.id)
    if current:
        await context.bot.send_message(
            chat.id,
            words.FRIENDS_LIST.format(
                count=len(current),
                most=friends.policy.max_friends,
                names=words.names_list([f.name for f in current]),
            ),
            reply_markup=_keyboard(
                context,
                chat.id,
                [[(words.remove_label(f.name), Button("remove", f.user_id))] for f in current],
            ),
        )
    else:
        await context.bot.send_message(chat.id, words.NO_FRIENDS_YET)
    for inviter in waiting:
        await context.bot.send_message(
            chat.id,
            words.invite_question(inviter.name),
            reply_markup=_yes_no(context, chat.id, "invite", inviter.user_id),
        )


@opens_link(INVITE_PAYLOAD, prefix=True)
async def open_link(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """`/start amigo_<token>` in a private chat (/start follows the link here)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    friends = _service(context)
    opened = await friends.open_invite(user.id, token)
    name = opened.inviter.name if opened.inviter else ""
    if opened.outcome is Opened.ASK:
        await friends.remember_name(user.id, user.first_name)
        assert opened.inviter is not None
        await context.bot.send_message(
            chat.id,
            words.invite_question(name),
            reply_markup=_yes_no(context, chat.id, "invite", opened.inviter.user_id),
        )
        return
    text = {
        Opened.INVALID: words.INVITE_INVALID,
        Opened.OWN: words.INVITE_OWN,
        Opened.ALREADY: words.INVITE_ALREADY.format(name=name),
        Opened.REGISTER_FIRST: words.INVITE_REGISTER_FIRST.format(name=name),
    }[opened.outcome]
    await context.bot.send_message(chat.id, text)


# ---- buttons -----------------------------------------------------------------------------
@private_only("amigos")
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A friends button in a private chat. `pressed` refuses (and answers) a forged one; a
    valid one is answered once below, with an alert when the service finds it stale."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    button = await pressed(update, context, parse_button, answer=False)
    if button is None:
        return
    friends = _service(context)
    if button.kind == "invite":
        await _answer_invite(update, context, button)
    elif button.kind == "remove":
        names = {f.user_id: f.name for f in await friends.friends(user.id)}
        if button.target not in names or not await friends.remove(user.id, button.target):
            await answer_press(update, words.BUTTON_INVALID)
            return
        await answer_press(update)
        await context.bot.send_message(user.id, words.REMOVED.format(name=names[button.target]))
    elif button.kind == "share":
        if button.yes:
            done = await friends.consent_share(button.target, user.id)
            if done:
                await friends.remember_name(user.id, user.first_name)
        else:
            done = await friends.withdraw(user.id, button.target) > 0
        if not done:
            await answer_press(update, words.BUTTON_INVALID)
            return
        await answer_press(update)
        await query.edit_message_text(words.SHARE_DONE if button.yes else words.SHARE_DECLINED)
    elif button.kind == "pick":  # one of several friends with the same name
        await answer_press(update)
        answer = await friends.free_with_friends(user.id, friend_id=button.target)
        await _send_free(context, user.id, answer, friends, private=True)
    else:  # the picture buttons have their own handler (`on_picture`)
        await answer_press(update, words.BUTTON_INVALID)


async def _answer_invite(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: Button
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    friends = _service(context)
    answered = await friends.answer(user.id, button.target, yes=button.yes)
    if answered.outcome is Answered.STALE:
        await answer_press(update, words.BUTTON_INVALID)
        return
    await answer_press(update)
    name = answered.inviter.name if answered.inviter else ""
    text = {
        Answered.FRIENDS: words.FRIENDS_NOW.format(name=name),
        Answered.DECLINED: words.INVITE_DECLINED.format(name=name),
        Answered.REVOKED: words.INVITE_REVOKED.format(name=name),
        Answered.ALREADY: words.INVITE_ALREADY.format(name=name),
        Answered.FULL: words.INVITE_FULL.format(most=friends.policy.max_friends),
        Answered.REGISTER_FIRST: words.INVITE_REGISTER_FIRST.format(name=name),
    }[answered.outcome]
    await query.edit_message_text(text)
    if answered.outcome is Answered.FRIENDS:
        await friends.remember_name(user.id, user.first_name)
        try:
            await context.bot.send_message(
                button.target, words.FRIENDS_NOW_INVITER.format(name=user.first_name)
            )
        except TelegramError as error:
            log.info("could not tell the inviter: %s", type(error).__name__)


# ---- /libres -----------------------------------------------------------------------------
async def libres(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    friends = _service(context)
    if is_private(update):
        name = " ".join(context.args or []).strip() or None
        answer = await friends.free_with_friends(user.id, name=name)
        await _send_free(context, chat.id, answer, friends, private=True)
        return
    if chat.type not in GROUPS:
        return
    await _check_members(context, chat.id, friends)
    await _send_free(context, chat.id, await friends.group_free(chat.id), friends, private=False)


async def _check_members(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, friends: FriendsService
) -> None:
    """Look up members not confirmed lately; one who left (or whom Telegram no longer
    finds) stops counting. A lookup that fails for another reason keeps them."""
    due = await friends.members_to_check(chat_id, LOOKUPS_PER_ANSWER)
    if not due:
        return

    async def present(user_id: int) -> bool | None:
        try:
            member = await context.bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden):
            return False
        except TelegramError as error:
            log.info("member lookup failed: %s", type(error).__name__)
            return None
        return not _gone(member)

    found = await asyncio.gather(*(present(uid) for uid in due))
    for user_id, here in zip(due, found, strict=True):
        if here is False:
            await friends.drop_member(chat_id, user_id)
    await friends.confirmed(chat_id, [uid for uid, here in zip(due, found, strict=True) if here])


async def _send_free(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    answer: FreeTime | FreeRefused,
    friends: FriendsService,
    *,
    private: bool,
) -> None:
    if isinstance(answer, FreeRefused):
        await _send_refusal(context, chat_id, answer)
        return
    if private:
        header = words.FREE_HEADER.format(
            names=words.names_and(answer.names),
            opens=f"{OPENS:%H:%M}",
            closes=f"{CLOSES:%H:%M}",
            minimum=friends.policy.min_free_minutes,
        )
    else:
        header = words.GROUP_HEADER.format(
            count=len(answer.names), names=words.names_list(answer.names)
        )
    parts = [header + "\n" + words.free_lines(answer.days)]
    if private and answer.together:
        several = len(answer.names) > 1
        classes = ", ".join(
            words.shared_class(t.shared)
            + (f" con {words.names_and(t.with_names)}" if several else "")
            for t in answer.together
        )
        parts.append(words.TOGETHER.format(classes=classes))
    if answer.without_schedule:
        parts.append(words.WITHOUT_SCHEDULE.format(names=words.names_list(answer.without_schedule)))
    if answer.oldest is not None:
        parts.append(words.stale_note(answer.oldest, friends.zone))
    if answer.out_of_cycle:
        parts.append(words.CYCLE_NOTE)
    markup = None
    if friends.pictures:
        button = Button("picture", answer.only or 0) if private else Button("group_picture", 0)
        markup = _keyboard(context, chat_id, [[(words.PICTURE_BUTTON, button)]])
    await context.bot.send_message(chat_id, "\n\n".join(parts), reply_markup=markup)


async def _send_refusal(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, refused: FreeRefused
) -> None:
    names = words.names_list([f.name for f in refused.matches])
    markup = None
    if refused.reason is FreeRefusal.AMBIGUOUS:
        markup = _keyboard(
            context, chat_id, [[(f.name, Button("pick", f.user_id))] for f in refused.matches]
        )
    text = {
        FreeRefusal.NOT_REGISTERED: words.NOT_REGISTERED,
        FreeRefusal.NO_SCHEDULE: words.FREE_NO_SCHEDULE,
        FreeRefusal.NO_FRIENDS: words.FREE_NO_FRIENDS,
        FreeRefusal.NO_MATCH: words.FREE_NO_MATCH.format(names=names),
        FreeRefusal.AMBIGUOUS: words.FREE_AMBIGUOUS.format(names=names),
        FreeRefusal.NONE_STORED: words.FREE_NONE_STORED.format(
            names=words.names_and([f.name for f in refused.matches])
        ),
        FreeRefusal.TOO_FEW: words.GROUP_TOO_FEW.format(count=refused.sharing),
    }[refused.reason]
    await context.bot.send_message(chat_id, text, reply_markup=markup)


# ---- the week as a picture ------------------------------------------------------------
async def on_picture(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The picture under a /libres answer: in private, the student's; in a group, the group's."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    button = await pressed(update, context, parse_button, answer=False)
    if button is None:
        return
    friends = _service(context)
    if not friends.pictures:
        await answer_press(update, words.BUTTON_INVALID)
        return
    if button.kind == "picture":
        if not is_private(update):
            await redirect(update, context, "amigos")
            return
        answer = await friends.free_with_friends(user.id, friend_id=button.target or None)
        title = (
            ""
            if isinstance(answer, FreeRefused)
            else words.PICTURE_TITLE.format(names=words.names_and(answer.names))
        )
    elif chat.type in GROUPS:
        await _check_members(context, chat.id, friends)
        answer = await friends.group_free(chat.id)
        title = (
            ""
            if isinstance(answer, FreeRefused)
            else words.PICTURE_GROUP_TITLE.format(
                count=len(answer.names), names=words.names_list(answer.names)
            )
        )
    else:
        await answer_press(update, words.BUTTON_INVALID)
        return
    if isinstance(answer, FreeRefused):
        await answer_press(update, words.BUTTON_INVALID)
        return
    await answer_press(update)
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    except TelegramError:
        pass  # only a hint that something is coming
    try:
        png = await friends.picture(
            answer.days, title, busy_word=words.PICTURE_BUSY, legend=words.PICTURE_LEGEND
        )
    except Exception as error:  # noqa: BLE001 - a failed render (RenderError, a timeout): the text stands
        log.info("free-time picture failed: %s", type(error).__name__)
        await context.bot.send_message(chat.id, words.PICTURE_FAILED)
        return
    await context.bot.send_photo(chat.id, png, caption=title)


# ---- groups ------------------------------------------------------------------------------
async def compartir(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if chat.type not in GROUPS:
        if is_private(update):
            await context.bot.send_message(chat.id, words.SHARE_ONLY_GROUPS)
        return
    friends = _service(context)
    if not await friends.ask_share(chat.id, user.id):
        await context.bot.send_message(
            chat.id, words.SHARE_NOT_REGISTERED.format(link=start_link(context, "registrar"))
        )
        return
    try:
        await context.bot.send_message(
            user.id,
            words.SHARE_QUESTION.format(title=chat.title or ""),
            reply_markup=_yes_no(context, user.id, "share", chat.id),
        )
    except TelegramError as error:
        log.info("could not ask in private: %s", type(error).__name__)
        await context.bot.send_message(
            chat.id,
            words.SHARE_CANT_WRITE.format(name=user.first_name, link=start_link(context, "amigos")),
        )
        return
    await context.bot.send_message(chat.id, words.SHARE_ASKED.format(name=user.first_name))


async def nocompartir(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    friends = _service(context)
    if chat.type in GROUPS:
        gone = await friends.withdraw(user.id, chat.id)
        await context.bot.send_message(
            chat.id, words.UNSHARED_GROUP if gone else words.UNSHARED_NOTHING_GROUP
        )
    elif is_private(update):
        gone = await friends.withdraw(user.id)
        await context.bot.send_message(
            chat.id, words.UNSHARED_ALL.format(count=gone) if gone else words.UNSHARED_NONE
        )


def _gone(member: object) -> bool:
    """Left or banned; or restricted and no longer in the group (Telegram keeps a restricted
    user's status after they leave, with `is_member` false). `member`: a `telegram.ChatMember`."""
    status = getattr(member, "status", None)
    if status == ChatMemberStatus.RESTRICTED:
        return not getattr(member, "is_member", True)
    return status in GONE


async def member_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A `chat_member` update: a member who left or was removed stops counting."""
    change = update.chat_member
    if change is None or not _gone(change.new_chat_member):
        return
    await _service(context).drop_member(change.chat.id, change.new_chat_member.user.id)


async def bot_membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`my_chat_member`: the bot left or was removed from a group; its shares go."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in GONE:
        return
    await _service(context).drop_group(change.chat.id)


async def left_or_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Service messages, which a bot in privacy mode still gets: a member left (without
    admin rights there is no `chat_member` update), or the group became a supergroup."""
    message = update.effective_message
    if message is None:
        return
    friends = _service(context)
    if message.left_chat_member is not None:
        await friends.drop_member(message.chat.id, message.left_chat_member.id)
    if message.migrate_to_chat_id is not None:
        await friends.move_group(message.chat.id, message.migrate_to_chat_id)
    if message.migrate_from_chat_id is not None:  # the new supergroup's half of the news
        await friends.move_group(message.migrate_from_chat_id, message.chat.id)
