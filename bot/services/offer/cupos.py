"""Seat alerts from the public course offer: look a clave up, watch it, hear when a seat opens.

One poll per (cycle, centre, clave) however many students watch it. The database
decides what is due (`store.watches`: claims with leases, like weekly deliveries),
so replicas split the subjects and none is polled twice in a round. Offer requests
are bounded by their own semaphore, back off per subject on errors, and stop while
the shared SIIAU breaker is open. An alert is a section going from 0 free seats to
1 or more; it re-arms only after the section is full again. Nothing here enrols
anyone or touches a student's credentials: the offer is public.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar

from prometheus_client import Counter, Gauge

from bot.config import CuposSettings
from bot.schedule import codec
from bot.schedule.model import Schedule
from bot.services.runtime import metrics
from bot.services.runtime.background import Job, Worker, WorkerService
from bot.services.runtime.breaker import Breaker, BreakerState
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.siiau.offer import Centre, Cycle, OfferForm, OfferSection
from bot.siiau.offer_client import OfferClient
from bot.store.watches import ANY as ANY
from bot.store.watches import FIT as FIT
from bot.store.watches import SubjectClaim, SubjectKey, WatchLimit, WatchStore
from bot.store.watches import WatchRecord as WatchRecord  # the chat layer reads watches as these

log = logging.getLogger(__name__)
T = TypeVar("T")

POLLS = Counter(
    "horario_cupos_polls", "Offer polls by outcome", ["outcome"], registry=metrics.REGISTRY
)
ALERTS = Counter("horario_cupos_alerts", "Seat alerts sent", registry=metrics.REGISTRY)
LATE = Counter(
    "horario_cupos_late_polls", "Polls that started late in their round", registry=metrics.REGISTRY
)
LAST_OK = Gauge(
    "horario_cupos_last_success_timestamp",
    "Unix time of the last successful offer poll",
    registry=metrics.REGISTRY,
)
PAUSED = Gauge(
    "horario_cupos_paused",
    "1 while seat polling is paused (SIIAU breaker open)",
    registry=metrics.REGISTRY,
)
WATCHED = Gauge(
    "horario_cupos_watched_subjects", "Subjects somebody watches", registry=metrics.REGISTRY
)
WATCHES = Gauge("horario_cupos_watches", "Seat alerts set by students", registry=metrics.REGISTRY)
LATE_ROUNDS = Gauge(
    "horario_cupos_late_polls_recorded",
    "Late polls recorded in the database (all replicas)",
    registry=metrics.REGISTRY,
)

CLAVE = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{3,8}$")
NRC = re.compile(r"^\d{5,7}$")
CENTRE = re.compile(r"^[A-Z]{1,3}$")
LOOKUP_CACHE = 512
BASELINE_SECONDS = 600  # what a student saw this recently is the baseline of a new subject
DAY = 86400


# ---- what the chat layer gets ------------------------------------------------
class CuposError(Exception):
    """A query that gets a short answer and no poll."""


class LooksLikeNrc(CuposError):
    def __init__(self, nrc: str) -> None:
        super().__init__(nrc)
        self.nrc = nrc


class BadClave(CuposError):
    pass


class UnknownCentre(CuposError):
    def __init__(self, centre: str) -> None:
        super().__init__(centre)
        self.centre = centre


class CycleNotOpen(CuposError):
    def __init__(self, cycle: str) -> None:
        super().__init__(cycle)
        self.cycle = cycle


class UnknownClave(CuposError):
    def __init__(self, clave: str, centre: str, cycle: Cycle) -> None:
        super().__init__(clave)
        self.clave, self.centre, self.cycle = clave, centre, cycle


class WatchLimitReached(CuposError):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class NoScheduleToFit(CuposError):
    """ "Solo las que no choquen" needs a schedule delivered before."""


class PollingPaused(CuposError):
    """SIIAU is failing (the shared breaker is open): no lookups, no polls."""


@dataclass(frozen=True, slots=True)
class CentreChoice:
    """No centre given and none used before: the student picks one."""

    clave: str
    centres: tuple[Centre, ...]


@dataclass(frozen=True, slots=True)
class Lookup:
    cycle: Cycle
    centre: Centre
    clave: str
    sections: tuple[OfferSection, ...]  # open sections first, full ones last
    fits: (
        frozenset[str] | None
    )  # NRCs that do not clash with the student's schedule; None: no schedule
    cycles: tuple[Cycle, ...]  # the regular cycles the student may switch to

    @property
    def name(self) -> str:
        return self.sections[0].name if self.sections else ""


@dataclass(frozen=True, slots=True)
class WatchSaved:
    id: int
    label: str
    target: str
    expires_ts: int


@dataclass(frozen=True, slots=True)
class CuposStatus:
    paused: bool
    reason: str | None  # "siiau_down" while the breaker is open
    last_ok_ts: int | None
    late_polls: int
    subjects: int
    watches: int
    failing: int
    interval: int


class CuposNotifier(Protocol):
    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None: ...

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None: ...

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        """The offer page changed: tell the operators (once, until a poll reads it again)."""
        ...


class OfferSink(Protocol):
    def put(
        self, key: SubjectKey, sections: tuple[OfferSection, ...], at: float | None = None
    ) -> None: ...


class LoggingNotifier:
    """For entry points with no chat (the CLI): alerts go to the log."""

    async def send_alert(self, chat_id: int, watch_id: int, section: OfferSection) -> None:
        log.info(
            "cupos alert chat=%s watch=%s nrc=%s free=%s",
            chat_id,
            watch_id,
            section.nrc,
            section.free,
        )

    async def send_expired(self, chat_id: int, watch: WatchRecord) -> None:
        log.info("cupos watch expired chat=%s watch=%s", chat_id, watch.id)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        log.error("cupos offer layout changed at %s", error.where)


# ---- pure helpers --------------------------------------------------------------
def normalise(text: str) -> str:
    """Upper case, no accents, no spaces or dashes: " i5890 " and "Í 5890" are "I5890"."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-_.]+", "", plain)


def parse_query(args: Sequence[str]) -> tuple[str, str | None]:
    """`CLAVE [CENTRO]` → (clave, centre). The clave may be typed with spaces ("I 5890 D")."""
    tokens = [normalise(a) for a in args if normalise(a)]
    if not tokens:
        raise BadClave("")
    centre = None
    if len(tokens) >= 2 and CENTRE.match(tokens[-1]):
        centre = tokens.pop()
    clave = "".join(tokens)
    if NRC.match(clave):
        raise LooksLikeNrc(clave)
    if not CLAVE.match(clave):
        raise BadClave(clave)
    return clave, centre


def newest_regular(cycles: Sequence[Cycle]) -> Cycle | None:
    regular = [c for c in cycles if c.regular]
    return max(regular, key=lambda c: c.code) if regular else None


def clashes(section: OfferSection, schedule: Schedule) -> bool:
    """Same day and overlapping hours with any course of the schedule; the schedule's own
    section of the same clave is the one the student would swap, so it does not count."""
    for course in schedule.courses:
        if course.key == section.key:
            continue
        for mine in course.sessions:
            if mine.start is None or mine.end is None:
                continue
            for theirs in section.sessions:
                if (
                    theirs.start is None
                    or theirs.end is None
                    or not set(mine.days) & set(theirs.days)
                ):
                    continue
                if theirs.start < mine.end and mine.start < theirs.end:
                    return True
    return False


def openings(before: dict[str, int] | None, sections: Sequence[OfferSection]) -> list[OfferSection]:
    """Sections that went from 0 free (or did not exist) to 1 or more since `before`.
    No `before` (never looked at): nothing is an opening yet."""
    if before is None:
        return []
    return [s for s in sections if s.free > 0 and before.get(s.nrc, 0) <= 0]


def _end_of(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + DAY


def classes_end(sections: Sequence[OfferSection]) -> int | None:
    """When the cycle's classes end, as the offer prints it: past it, the cycle is over.
    The offer does not publish the registration calendar; this is the latest it can be."""
    days = [s.last_day for section in sections for s in section.sessions if s.last_day is not None]
    return _end_of(max(days)) if days else None


@dataclass
class _Seen:
    at: float
    free: dict[str, int]
    labels: dict[str, str]
    ends_ts: int | None


# ---- the service ---------------------------------------------------------------
class CuposService(WorkerService):
    def __init__(
        self,
        store: WatchStore,
        client: OfferClient,
        breaker: Breaker,
        settings: CuposSettings,
        *,
        notifier: CuposNotifier,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.breaker = breaker
        self.settings = settings
        self.notifier = notifier
        self.clock = clock
        self._rng = rng or random.Random()
        self._requests = asyncio.Semaphore(settings.max_concurrency)
        self._form: OfferForm | None = None
        self._form_at = 0.0
        self._seen: OrderedDict[SubjectKey, _Seen] = OrderedDict()
        self._layout_reported = False
        # A slot freed by a real poll is claimed again at once; not after a paused one (the
        # breaker opened: the next tick looks again).
        self._worker = Worker(
            Job(
                name="cupos poll",
                room=self._room,
                claim=self._claim,
                run=self.poll,
                clock=lambda: int(self.clock()),
                describe=lambda claim: f"subject={claim.id}",
                refill=lambda polled, _running: polled is True,
                logger=log,
            )
        )
        # Set by bootstrap: polls share what they read with the planner's offer cache.
        self.offers: OfferSink | None = None

    # ---- the form, cached ---------------------------------------------------------
    async def form(self) -> OfferForm:
        now = self.clock()
        if self._form is None or now - self._form_at >= self.settings.form_max_age_seconds:
            try:
                form = await self._request(self.client.form)
            except (SiiauUnavailable, LayoutChanged, PollingPaused):
                if self._form is None:
                    raise
                log.warning(
                    "offer form refresh failed; keeping the one from %.0fs ago", now - self._form_at
                )
                return self._form
            self._form, self._form_at = form, now
        return self._form

    # ---- looking a clave up ---------------------------------------------------------
    async def lookup(
        self,
        user_id: int,
        args: Sequence[str],
        *,
        cycle: str | None = None,
        centre: str | None = None,
    ) -> Lookup | CentreChoice:
        clave, typed_centre = parse_query(args)
        form = await self.form()
        centre = typed_centre or centre or await self.store.last_centre(user_id)
        if centre is None:
            return CentreChoice(clave, form.centres)
        found_centre = next((c for c in form.centres if c.code == centre), None)
        if found_centre is None:
            raise UnknownCentre(centre)
        chosen = self._cycle(form, cycle)
        await self.store.remember_centre(user_id, centre)
        result = await self._request(lambda: self.client.search(chosen.code, centre, clave))
        sections = result.sections
        if not sections:
            raise UnknownClave(clave, centre, chosen)
        ends = classes_end(sections)
        if ends is not None and ends <= self.clock():
            raise CycleNotOpen(chosen.code)
        self._remember(SubjectKey(chosen.code, centre, clave), sections, ends)
        schedule = await self._schedule(user_id)
        fits = (
            None
            if schedule is None
            else frozenset(s.nrc for s in sections if not clashes(s, schedule))
        )
        ordered = tuple(sorted(sections, key=lambda s: (s.free <= 0, s.section, s.nrc)))
        regular = tuple(
            sorted((c for c in form.cycles if c.regular), key=lambda c: c.code, reverse=True)
        )
        return Lookup(chosen, found_centre, clave, ordered, fits, regular)

    def _cycle(self, form: OfferForm, code: str | None) -> Cycle:
        if code is None:
            newest = newest_regular(form.cycles)
            if newest is None:
                raise CycleNotOpen("")
            return newest
        found = next((c for c in form.cycles if c.code == code), None)
        if found is None:
            raise CycleNotOpen(code)
        return found

    def remember_offer(self, key: SubjectKey, sections: Sequence[OfferSection]) -> None:
        """Sections a student was just shown elsewhere (/armar): the baseline of a watch made from them."""
        self._remember(key, sections, classes_end(sections))

    def _remember(
        self, key: SubjectKey, sections: Sequence[OfferSection], ends: int | None
    ) -> None:
        self._seen[key] = _Seen(
            self.clock(),
            {s.nrc: s.free for s in sections},
            {s.nrc: f"{s.key} {s.section}" for s in sections},
            ends,
        )
        self._seen.move_to_end(key)
        while len(self._seen) > LOOKUP_CACHE:
            self._seen.popitem(last=False)

    async def _schedule(self, user_id: int) -> Schedule | None:
        text = await self.store.schedule_json(user_id)
        return None if text is None else codec.loads(text)

    async def has_schedule(self, user_id: int) -> bool:
        return await self.store.schedule_json(user_id) is not None

    async def sections(self, key: SubjectKey) -> tuple[OfferSection, ...]:
        """One offer request for a subject, within the bound and the breaker (the planner's fetch)."""
        result = await self._request(lambda: self.client.search(key.cycle, key.centre, key.clave))
        return result.sections

    # ---- the student's watches ------------------------------------------------------
    async def watch(
        self, user_id: int, chat_id: int, cycle: str, centre: str, clave: str, target: str
    ) -> WatchSaved:
        """`target`: an NRC, `ANY` or `FIT`."""
        if target == FIT and not await self.has_schedule(user_id):
            raise NoScheduleToFit()
        key = SubjectKey(cycle, centre, normalise(clave))
        seen = self._seen.get(key)
        now = self.clock()
        fresh = seen is not None and now - seen.at < max(
            self.settings.poll_seconds, BASELINE_SECONDS
        )
        if seen is not None and seen.ends_ts is not None and seen.ends_ts <= now:
            raise CycleNotOpen(cycle)
        expires = int(now) + self.settings.watch_days * DAY
        if seen is not None and seen.ends_ts is not None:
            expires = min(expires, seen.ends_ts)
        label = (
            seen.labels.get(target, f"{key.clave} {target}")
            if seen and target not in (ANY, FIT)
            else key.clave
        )
        if target not in (ANY, FIT) and not NRC.match(target):
            raise BadClave(target)
        try:
            watch_id = await self.store.add(
                user_id,
                chat_id,
                key,
                target,
                label[:32],
                now_ts=int(now),
                expires_ts=expires,
                first_poll_ts=int(now) + self._rng.randrange(self.settings.poll_seconds),
                limit=self.settings.max_per_user,
                free=seen.free if seen is not None and fresh else None,
            )
        except WatchLimit:
            raise WatchLimitReached(self.settings.max_per_user) from None
        return WatchSaved(watch_id, label, target, expires)

    async def unwatch(self, user_id: int, watch_id: int) -> str | None:
        return await self.store.remove(user_id, watch_id)

    async def watches(self, user_id: int) -> list[WatchRecord]:
        return await self.store.of_user(user_id)

    # ---- status ---------------------------------------------------------------------
    async def status(self) -> CuposStatus:
        paused = await self.breaker.state() is BreakerState.OPEN
        figures = await self.store.figures()
        PAUSED.set(1 if paused else 0)
        WATCHED.set(figures.subjects)
        WATCHES.set(figures.watches)
        LATE_ROUNDS.set(figures.late_polls)
        if figures.last_ok_ts is not None:
            LAST_OK.set(figures.last_ok_ts)
        return CuposStatus(
            paused=paused,
            reason="siiau_down" if paused else None,
            last_ok_ts=figures.last_ok_ts,
            late_polls=figures.late_polls,
            subjects=figures.subjects,
            watches=figures.watches,
            failing=figures.failing,
            interval=self.settings.poll_seconds,
        )

    # ---- the watcher ----------------------------------------------------------------
    async def tick(self) -> int:
        """Expire watches, then claim due subjects (as many as there is room for) and poll them."""
        now = self.clock()
        for expired in await self.store.expire(int(now)):
            try:
                await self.notifier.send_expired(expired.chat_id, expired)
            except Exception as error:  # noqa: BLE001 - a lost notice must not stop the round
                log.warning(
                    "cupos expiry notice failed watch=%s error=%s", expired.id, type(error).__name__
                )
        status = await self.status()
        return 0 if status.paused else await self.pump()

    async def aclose(self) -> None:
        await super().aclose()
        await self.client.aclose()

    async def _room(self, running: int) -> int:
        state = await self.breaker.state()
        if state is BreakerState.OPEN:
            return 0
        room = 2 * self.settings.max_concurrency - running
        if state is BreakerState.HALF_OPEN:
            room = min(room, 1)  # one trial poll, as the breaker allows
        return room

    async def _claim(self, now: int, room: int) -> list[SubjectClaim]:
        s = self.settings
        return await self.store.claim_due(now, s.poll_seconds, s.lease_seconds, room)

    async def poll(self, claim: SubjectClaim) -> bool:
        """One poll of one subject; alerts for what opened. False when polling was paused."""
        key = claim.key
        started = self.clock()
        late = started - claim.due_ts > max(10.0, self.settings.poll_seconds / 10)
        if late:
            LATE.inc()
        try:
            result = await self._request(
                lambda: self.client.search(key.cycle, key.centre, key.clave)
            )
        except PollingPaused:
            await self.store.put_back(claim, claim.due_ts)
            POLLS.labels("paused").inc()
            return False
        except (SiiauUnavailable, LayoutChanged) as error:
            if isinstance(error, LayoutChanged):
                log.error("cupos offer layout changed subject=%s: %s", claim.id, error)
                await self._tell_operators(error)
            await self.store.failed(
                claim, error=type(error).__name__, next_ts=self._backoff(claim), late=late
            )
            POLLS.labels(
                "layout_changed" if isinstance(error, LayoutChanged) else "unavailable"
            ).inc()
            return True
        self._layout_reported = False  # read again: a later change is news again
        if self.offers is not None:
            self.offers.put(key, result.sections)
        now = self.clock()
        await self._alert(claim, openings(claim.free, result.sections), int(now))
        free = {s.nrc: s.free for s in result.sections}
        await self.store.polled(
            claim, now_ts=int(now), free=free, next_ts=self._next(claim, now), late=late
        )
        POLLS.labels("ok").inc()
        LAST_OK.set(now)
        return True

    async def _tell_operators(self, error: LayoutChanged) -> None:
        """Once per change: every subject fails alike, and the operators need one notice."""
        if self._layout_reported:
            return
        self._layout_reported = True
        try:
            await self.notifier.send_operator_notice(error)
        except Exception as failure:  # noqa: BLE001 - a lost notice must not stop the polling
            log.warning("cupos operator notice failed: %s", type(failure).__name__)

    async def _request(self, call: Callable[[], Awaitable[T]]) -> T:
        """One offer request: within the concurrency bound, and only while the breaker allows."""
        async with self._requests:
            if not await self.breaker.allow():
                raise PollingPaused()
            try:
                value: T = await call()
            except SiiauUnavailable:
                await self.breaker.record_failure()
                raise
            except BaseException:
                await self.breaker.release()
                raise
            await self.breaker.record_success()
            return value

    def _next(self, claim: SubjectClaim, now: float) -> int:
        interval = self.settings.poll_seconds
        half = min(self.settings.jitter_seconds, interval / 2) / 2
        return max(int(now) + 1, claim.next_ts + round(self._rng.uniform(-half, half)))

    def _backoff(self, claim: SubjectClaim) -> int:
        rounds = min(1 << min(claim.failures + 1, 16), self.settings.max_backoff_rounds)
        return max(claim.next_ts, claim.due_ts + rounds * self.settings.poll_seconds)

    async def _alert(self, claim: SubjectClaim, opened: list[OfferSection], now_ts: int) -> None:
        if not opened:
            return
        schedules: dict[int, Schedule | None] = {}
        told: set[tuple[int, str]] = set()
        for watcher in await self.store.watchers(claim.id, now_ts):
            if watcher.target == ANY:
                matching = opened
            elif watcher.target == FIT:
                if watcher.user_id not in schedules:
                    schedules[watcher.user_id] = await self._schedule(watcher.user_id)
                schedule = schedules[watcher.user_id]
                matching = [s for s in opened if schedule is None or not clashes(s, schedule)]
            else:
                matching = [s for s in opened if s.nrc == watcher.target]
            for section in matching:
                if (watcher.user_id, section.nrc) in told:
                    continue  # two watches of one student on one opening: one message
                told.add((watcher.user_id, section.nrc))
                try:
                    await self.notifier.send_alert(watcher.chat_id, watcher.watch_id, section)
                    ALERTS.inc()
                except Exception as error:  # noqa: BLE001 - one lost alert must not stop the others
                    log.warning(
                        "cupos alert failed watch=%s error=%s",
                        watcher.watch_id,
                        type(error).__name__,
                    )


def expires_on(expires_ts: int) -> date:
    return (datetime.fromtimestamp(expires_ts, UTC) - timedelta(seconds=1)).date()
