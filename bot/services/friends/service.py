"""Friends by mutual consent, and groups' common free time, from stored schedules only.

Nothing here starts a SIIAU login: another person's question must never log a student in
(issue 18), and `/libres` answers from what is stored, an old copy as it is, with a note.
Only free windows, nameless busy stretches and the classes two friends share leave this
service; a group's answer has no class at all.

First names are what friends and groups see. They come from Telegram when the student
uses the feature and are kept sealed (the credential cipher), refreshed on each use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.records import utcnow
from bot.pdf.free_week import WIDTH, free_week_html
from bot.schedule.days_off import DaysOff
from bot.schedule.free_time import (
    FreeDay,
    SharedClass,
    common_free,
    laid_out,
    shared_classes,
    week_days,
)
from bot.services.friends.answers import (
    Answered,
    AnsweredInvite,
    FreeRefusal,
    FreeRefused,
    FreeTime,
    Friend,
    InviteLink,
    Opened,
    OpenedInvite,
    Together,
)
from bot.services.timetable.delivery import DeliveryService, StoredSchedule
from bot.store.crypto import CredentialCipher
from bot.store.friends import Befriended, FriendStore

TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
NAME_LIMIT = 32  # characters of a first name kept
UNNAMED = "?"  # a name no key opens any more


class PngRenderer(Protocol):
    """The renderer's PNG (`bot.pdf.renderer`): HTML in, PNG bytes out."""

    async def render_png(self, html: str, width: int, height: int | None = None) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FriendsPolicy:
    max_friends: int = 50
    min_free_minutes: int = 30
    max_age: timedelta = timedelta(days=7)  # SCHEDULE_MAX_AGE_DAYS: older copies get a note
    member_check: timedelta = timedelta(hours=1)  # group members confirmed at most this long ago


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def fold(name: str) -> str:
    """Case and accents folded, for matching `/libres NOMBRE`."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


class FriendsService:
    def __init__(
        self,
        delivery: DeliveryService,
        store: FriendStore,
        cipher: CredentialCipher,
        days_off: DaysOff,
        zone: ZoneInfo,
        policy: FriendsPolicy,
        *,
        pictures: PngRenderer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._pictures = pictures
        self._delivery = delivery
        self._store = store
        self._cipher = cipher
        self.days_off = days_off
        self.zone = zone
        self.policy = policy
        self._clock = clock

    def _ts(self) -> int:
        return int(self._clock().timestamp())

    async def registered(self, user_id: int) -> bool:
        return await self._delivery.profile(user_id) is not None

    # ---- names ---------------------------------------------------------------------
    async def remember_name(self, user_id: int, first_name: str) -> None:
        """Keep the student's first name, sealed (only for registered students)."""
        name = " ".join(first_name.split())[:NAME_LIMIT] or UNNAMED
        await self._store.set_name(user_id, self._cipher.encrypt(name), self._ts())

    async def names(self, user_ids: Sequence[int]) -> dict[int, str]:
        tokens = await self._store.name_tokens(user_ids)
        names: dict[int, str] = {}
        for user_id in user_ids:
            token = tokens.get(user_id)
            try:
                names[user_id] = (
                    UNNAMED if token is None else self._cipher.decrypt(token, user_id=user_id)
                )
            except Exception:  # noqa: BLE001 - a name no key opens is shown as "?"
                names[user_id] = UNNAMED
        return names

    # ---- invite links --------------------------------------------------------------
    async def invite_link(self, user_id: int, *, renew: bool = False) -> InviteLink | None:
        """A new token when the student has none or `renew` (the old link stops working);
        else when theirs was made. None when the student is not registered."""
        if not renew:
            existing = await self._store.invite_of(user_id)
            if existing is not None:
                row = await self._store.inviter(existing)
                since = None if row is None else datetime.fromtimestamp(row.created_ts, UTC)
                return InviteLink(None, since)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not await self._store.issue_invite(user_id, token_hash(token), self._ts()):
            return None
        return InviteLink(token, None)

    async def open_invite(self, invitee_id: int, token: str) -> OpenedInvite:
        """Someone opened a `?start=amigo_<token>` link. Nothing is shared yet."""
        if not TOKEN_PATTERN.fullmatch(token):
            return OpenedInvite(Opened.INVALID)
        presented = token_hash(token)
        row = await self._store.inviter(presented)
        if row is None or not hmac.compare_digest(row.token_hash, presented):
            return OpenedInvite(Opened.INVALID)
        inviter = await self._friend(row.user_id)
        if row.user_id == invitee_id:
            return OpenedInvite(Opened.OWN, inviter)
        if row.user_id in await self._store.friends(invitee_id):
            return OpenedInvite(Opened.ALREADY, inviter)
        if not await self._store.add_pending(invitee_id, row.user_id, presented, self._ts()):
            return OpenedInvite(Opened.INVALID)  # the inviter ran /olvidar meanwhile
        if not await self.registered(invitee_id):
            return OpenedInvite(Opened.REGISTER_FIRST, inviter)
        return OpenedInvite(Opened.ASK, inviter)

    async def waiting(self, invitee_id: int) -> list[Friend]:
        """Invitations the student opened and has not answered (e.g. before registering)."""
        pending = [
            p
            for p in await self._store.pending_for(invitee_id)
            if await self._store.invite_of(p.inviter_id) == p.token_hash  # not revoked since
        ]
        names = await self.names([p.inviter_id for p in pending])
        return [Friend(p.inviter_id, names[p.inviter_id]) for p in pending]

    async def answer(self, invitee_id: int, inviter_id: int, *, yes: bool) -> AnsweredInvite:
        """Sí or No to an invitation this student opened; anything else is stale."""
        pending = {p.inviter_id: p for p in await self._store.pending_for(invitee_id)}
        if inviter_id not in pending:
            return AnsweredInvite(Answered.STALE)
        inviter = await self._friend(inviter_id)
        if yes and not await self.registered(invitee_id):
            return AnsweredInvite(Answered.REGISTER_FIRST, inviter)
        presented = await self._store.take_pending(invitee_id, inviter_id)
        if presented is None:
            return AnsweredInvite(Answered.STALE)  # answered meanwhile (a double press)
        if not yes:
            return AnsweredInvite(Answered.DECLINED, inviter)
        current = await self._store.invite_of(inviter_id)
        if current is None or not hmac.compare_digest(current, presented):
            return AnsweredInvite(Answered.REVOKED, inviter)
        result = await self._store.befriend(
            invitee_id, inviter_id, self._ts(), self.policy.max_friends
        )
        outcome = {
            Befriended.DONE: Answered.FRIENDS,
            Befriended.ALREADY: Answered.ALREADY,
            Befriended.FULL: Answered.FULL,
            Befriended.GONE: Answered.STALE,
        }[result]
        return AnsweredInvite(outcome, inviter)

    async def _friend(self, user_id: int) -> Friend:
        return Friend(user_id, (await self.names([user_id]))[user_id])

    # ---- friends -------------------------------------------------------------------
    async def friends(self, user_id: int) -> list[Friend]:
        ids = await self._store.friends(user_id)
        names = await self.names(ids)
        return [Friend(i, names[i]) for i in ids]

    async def remove(self, user_id: int, friend_id: int) -> bool:
        """Both directions go; the other person is not told."""
        return await self._store.unfriend(user_id, friend_id)

    # ---- free time with friends ----------------------------------------------------
    async def free_with_friends(
        self, user_id: int, *, name: str | None = None, friend_id: int | None = None
    ) -> FreeTime | FreeRefused:
        if not await self.registered(user_id):
            return FreeRefused(FreeRefusal.NOT_REGISTERED)
        friends = await self.friends(user_id)
        if not friends:
            return FreeRefused(FreeRefusal.NO_FRIENDS)
        if friend_id is not None:
            chosen = [f for f in friends if f.user_id == friend_id]
            if not chosen:
                return FreeRefused(FreeRefusal.NO_MATCH, tuple(friends))
        elif name:
            chosen = _match(friends, name)
            if not chosen:
                return FreeRefused(FreeRefusal.NO_MATCH, tuple(friends))
            if len(chosen) > 1:
                return FreeRefused(FreeRefusal.AMBIGUOUS, tuple(chosen))
        else:
            chosen = friends
        own = await self._delivery.stored_schedule(user_id)
        if own is None:
            return FreeRefused(FreeRefusal.NO_SCHEDULE)
        stored = {f.user_id: await self._delivery.stored_schedule(f.user_id) for f in chosen}
        counted = [f for f in chosen if stored[f.user_id] is not None]
        if not counted:
            return FreeRefused(FreeRefusal.NONE_STORED, tuple(chosen))
        schedules = [own] + [s for s in stored.values() if s is not None]
        classes: dict[str, SharedClass] = {}
        with_names: dict[str, list[str]] = {}
        for friend in counted:
            copy = stored[friend.user_id]
            assert copy is not None
            for shared in shared_classes([own.schedule, copy.schedule]):
                classes.setdefault(shared.nrc, shared)
                with_names.setdefault(shared.nrc, []).append(friend.name)
        together = [Together(classes[nrc], tuple(with_names[nrc])) for nrc in classes]
        together.sort(key=lambda t: (t.shared.key, t.shared.nrc))
        days, out_of_cycle = self._common(schedules)
        return FreeTime(
            names=tuple(f.name for f in counted),
            days=tuple(days),
            together=tuple(together),
            without_schedule=tuple(f.name for f in chosen if stored[f.user_id] is None),
            oldest=self._stale(schedules),
            only=chosen[0].user_id if (name or friend_id is not None) else None,
            out_of_cycle=out_of_cycle,
        )

    def _common(self, schedules: Sequence[StoredSchedule]) -> tuple[list[FreeDay], bool]:
        """The common free days, and whether some schedule's cycle misses the week (its
        weekly pattern was used as it is)."""
        days = week_days(self._clock().astimezone(self.zone).date())
        laid = [laid_out(s.schedule, days, self.days_off, self.zone) for s in schedules]
        agendas = [agenda for agenda, _ in laid]
        free = common_free(agendas, days, self.days_off, min_minutes=self.policy.min_free_minutes)
        return free, any(outside for _, outside in laid)

    def _stale(self, schedules: Sequence[StoredSchedule]) -> datetime | None:
        oldest = min(s.read_at for s in schedules)
        return oldest if self._clock() - oldest > self.policy.max_age else None

    # ---- the week as a picture ----------------------------------------------------
    @property
    def pictures(self) -> bool:
        return self._pictures is not None

    async def picture(
        self, days: Sequence[FreeDay], title: str, *, busy_word: str, legend: tuple[str, str]
    ) -> bytes:
        """The week of `days` as a PNG: free windows shaded, classes only as `busy_word`."""
        assert self._pictures is not None, "check `pictures` first"
        html = free_week_html(days, title, busy_word=busy_word, legend=legend)
        return await self._pictures.render_png(html, WIDTH)

    # ---- groups --------------------------------------------------------------------
    async def ask_share(self, chat_id: int, user_id: int) -> bool:
        """`/compartir` in a group: note the question; False when the student is not registered."""
        if not await self.registered(user_id):
            return False
        return await self._store.ask_share(chat_id, user_id, self._ts())

    async def consent_share(self, chat_id: int, user_id: int) -> bool:
        """Sí to a group's question this student asked; False for a forged or withdrawn one."""
        return await self._store.consent_share(chat_id, user_id, self._ts())

    async def withdraw(self, user_id: int, chat_id: int | None = None) -> int:
        return await self._store.withdraw(user_id, chat_id)

    async def drop_member(self, chat_id: int, user_id: int) -> None:
        """A member left the group (or a lookup found them gone): they stop counting."""
        await self._store.withdraw(user_id, chat_id)

    async def drop_group(self, chat_id: int) -> None:
        await self._store.drop_group(chat_id)

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._store.move_group(old_chat_id, new_chat_id)

    async def members_to_check(self, chat_id: int, most: int) -> list[int]:
        """Sharing members not confirmed for `member_check`, least recently confirmed first."""
        limit = self._ts() - int(self.policy.member_check.total_seconds())
        due = [s for s in await self._store.sharers(chat_id) if s.checked_ts <= limit]
        return [s.user_id for s in sorted(due, key=lambda s: s.checked_ts)[:most]]

    async def confirmed(self, chat_id: int, user_ids: Sequence[int]) -> None:
        await self._store.mark_checked(chat_id, user_ids, self._ts())

    async def group_free(self, chat_id: int) -> FreeTime | FreeRefused:
        """The group's common free windows, over members who agreed and have a stored schedule."""
        sharers = [s.user_id for s in await self._store.sharers(chat_id)]
        names = await self.names(sharers)
        # By name: «Libres los 4 (Ana, Beto, Caro, Dani)» reads the same whoever agreed first.
        sharers.sort(key=lambda uid: (fold(names[uid]), uid))
        stored = {uid: await self._delivery.stored_schedule(uid) for uid in sharers}
        counted = [uid for uid in sharers if stored[uid] is not None]
        if len(counted) < 2:
            return FreeRefused(FreeRefusal.TOO_FEW, sharing=len(counted))
        schedules = [s for s in (stored[uid] for uid in counted) if s is not None]
        days, out_of_cycle = self._common(schedules)
        return FreeTime(
            names=tuple(names[uid] for uid in counted),
            days=tuple(days),
            without_schedule=tuple(names[uid] for uid in sharers if stored[uid] is None),
            oldest=self._stale(schedules),
            out_of_cycle=out_of_cycle,
        )


def _match(friends: list[Friend], name: str) -> list[Friend]:
    """Exact (folded) names first, else names starting with it, else names with a word
    starting with it (`/libres lucia` finds «Ana Lucía»)."""
    wanted = fold(name)
    if not wanted:
        return []
    exact = [f for f in friends if fold(f.name) == wanted]
    start = [f for f in friends if fold(f.name).startswith(wanted)]
    words = [f for f in friends if any(w.startswith(wanted) for w in fold(f.name).split())]
    return exact or start or words
