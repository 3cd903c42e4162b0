"""`/armar`: the public offer of each clave → clash-free options, ranked, as pictures.

Plans live in memory under a short id (the buttons carry only that id and an index),
for `PLAN_TTL` seconds; a button of a plan this process no longer holds is stale.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.pdf.renderer import WALLPAPER_SIZE, PdfRenderer
from bot.pdf.view import PALETTE, GridItem, LegendLine, WeekPicture, week_grid
from bot.schedule.ical import CalendarFile, CalendarWords, build_calendar
from bot.schedule.model import Course, Day, Schedule
from bot.services.offer.cache import CachedOffer, OfferCache, OfferUnavailable
from bot.services.offer.cupos import (
    CuposService,
    PollingPaused,
    WatchLimitReached,
    newest_regular,
    normalise,
)
from bot.services.planner.request import (
    PlanRequest,
    RequestError,
    candidate,
    emptied_by,
    parse_request,
    within,
)
from bot.services.planner.search import (
    Candidate,
    Meeting,
    Option,
    SearchResult,
    always_clash,
    plan_b,
    search,
)
from bot.services.timetable.schedule_book import ScheduleBook
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.siiau.offer import Centre, Cycle, OfferSection
from bot.store.planner import PlannerStore
from bot.store.watches import SubjectKey

PLAN_TTL = 6 * 3600
MAX_PLANS = 2000
PICTURE_WIDTH = 1000
FIXED_COLOUR = "#dee2e6"


class PlannerError(Exception):
    """An answer instead of a search."""


class NoCycle(PlannerError):
    pass


class NeedsRegistration(PlannerError):
    """`con mi horario` from a student the bot does not know."""


class NeedsSchedule(PlannerError):
    """`con mi horario` with no stored schedule yet."""


class OfferDown(PlannerError):
    """The offer failed and no copy younger than a day is kept."""


@dataclass(frozen=True, slots=True)
class PlanCentreChoice:
    request_id: str
    centres: tuple[Centre, ...]
    unknown: str | None = None  # a centre typed that the offer does not list


@dataclass(frozen=True, slots=True)
class Subject:
    clave: str
    name: str
    sections: tuple[OfferSection, ...]  # as the offer lists them
    kept: tuple[OfferSection, ...]  # those within the options


@dataclass(frozen=True, slots=True)
class NoOption:
    """Why nothing fits: a pair that always clashes, an option that emptied a subject,
    a subject that clashes with the fixed schedule, or (all None) several together."""

    clash: tuple[str, str] | None = None
    emptied: tuple[str, str] | None = None  # (clave, option)
    with_schedule: str | None = None  # a clave none of whose sections fits the schedule
    none_in_offer: bool = False  # no clave is in the offer for this centre and cycle
    by_options: bool = False  # the pair clashes only with the options' sections (or the schedule)


@dataclass
class Plan:
    id: str
    user_id: int
    request: PlanRequest
    cycle: Cycle
    centre: Centre
    cycles: tuple[Cycle, ...]
    subjects: tuple[Subject, ...]
    missing: tuple[str, ...]  # claves not in the offer
    count: int
    capped: bool
    options: tuple[Option, ...]
    fixed: tuple[Meeting, ...]
    fixed_courses: tuple[Course, ...]  # "con mi horario": the classes kept, drawn in grey
    why_none: NoOption | None
    offer_age: float | None  # seconds: an older copy stood in for an offer that failed
    created: float
    complete: bool = True  # False: the ranking stopped at its budget (the best found by then)
    unread: tuple[str, ...] = ()  # claves whose offer is down with no recent copy (the rest count)

    def sections_of(self, index: int) -> tuple[OfferSection, ...]:
        """The offer sections of option `index`, subject by subject."""
        by_nrc = {s.nrc: s for subject in self.subjects for s in subject.sections}
        return tuple(by_nrc[c.nrc] for c in self.options[index].sections)


@dataclass(frozen=True, slots=True)
class WatchOutcome:
    saved: tuple[str, ...]  # labels ("I5890 D11")
    limit_reached: tuple[str, ...]  # full sections left without a watch
    limit: int


class PlannerService:
    def __init__(
        self,
        cupos: CuposService,
        offers: OfferCache,
        store: PlannerStore,
        renderer: PdfRenderer,
        book: ScheduleBook,
        *,
        is_registered: Callable[[int], Awaitable[bool]],
        calendar_words: CalendarWords | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cupos = cupos
        self.offers = offers
        self.store = store
        self.renderer = renderer
        self.book = book
        self._is_registered = is_registered
        self._words = calendar_words
        self.clock = clock
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._requests: OrderedDict[str, tuple[int, PlanRequest]] = OrderedDict()

    # ---- a plan ----------------------------------------------------------------
    async def plan(
        self,
        user_id: int,
        args: Sequence[str],
        *,
        centre: str | None = None,
        cycle: str | None = None,
    ) -> Plan | PlanCentreChoice:
        """Parse, check, fetch each clave's offer (cached) and search. Raises `RequestError`
        or `PlannerError` with the answer's reason; `LayoutChanged` passes through."""
        return await self.plan_request(user_id, parse_request(args), centre=centre, cycle=cycle)

    async def plan_request(
        self,
        user_id: int,
        request: PlanRequest,
        *,
        centre: str | None = None,
        cycle: str | None = None,
        plan_id: str | None = None,
    ) -> Plan | PlanCentreChoice:
        """`plan_id`: make again a plan whose buttons this process does not hold."""
        fixed_schedule: Schedule | None = None
        if request.with_schedule:
            if not await self._is_registered(user_id):
                raise NeedsRegistration()
            # The stored copy as it is: the book's `stored` would start a SIIAU refresh (a
            # login) behind an old copy, and /armar uses only the public offer.
            known = await self.book.delivery.stored_schedule(user_id)
            if known is None:
                raise NeedsSchedule()
            fixed_schedule = known.schedule
        try:
            form = await self.cupos.form()
        except (SiiauUnavailable, PollingPaused):
            raise OfferDown() from None
        code = request.centre or centre or await self.store.centre(user_id)
        if code is None:
            return PlanCentreChoice(await self._keep_request(user_id, request), form.centres)
        found_centre = next((c for c in form.centres if c.code == code), None)
        if found_centre is None:
            # The keyboard at once: "write it without a centre" would fall back on the
            # remembered centre, not show the list.
            request_id = await self._keep_request(user_id, replace(request, centre=None))
            return PlanCentreChoice(request_id, form.centres, unknown=code)
        chosen = self._cycle(form.cycles, cycle)
        await self.store.remember_centre(user_id, code)
        fetched = await self._fetch(chosen.code, code, request.claves)
        # Only the asked clave's sections: an offer that answers a query with more (a prefix
        # match, the centre's whole offer) must not make other subjects' sections this one's.
        offered = [
            () if got is None else tuple(s for s in got.sections if normalise(s.key) == k)
            for k, got in zip(request.claves, fetched, strict=True)
        ]
        unread = tuple(k for k, got in zip(request.claves, fetched, strict=True) if got is None)
        missing = tuple(
            k
            for k, got, kept in zip(request.claves, fetched, offered, strict=True)
            if got is not None and not kept
        )
        subjects = tuple(
            Subject(k, got[0].name, got, tuple(s for s in got if within(s, request)))
            for k, got in zip(request.claves, offered, strict=True)
            if got
        )
        if not subjects and unread:  # what it could read has none of them: say the offer is down
            raise OfferDown()
        fixed = (
            _fixed_meetings(fixed_schedule, request.claves) if fixed_schedule is not None else ()
        )
        kept_courses = (
            tuple(c for c in fixed_schedule.courses if c.key not in request.claves)
            if fixed_schedule
            else ()
        )
        candidates = [[candidate(s) for s in subject.kept] for subject in subjects]
        # None of the claves in this cycle's offer (say, before it is posted): an empty plan,
        # so that the answer keeps the button to plan another cycle.
        result = (
            await asyncio.to_thread(search, candidates, fixed)
            if subjects
            else SearchResult(0, False, ())
        )
        stale = [got for got in fetched if got is not None and got.stale]
        now = self.clock()
        plan = Plan(
            id=plan_id or self._new_id(),
            user_id=user_id,
            request=request,
            cycle=chosen,
            centre=found_centre,
            cycles=tuple(
                sorted((c for c in form.cycles if c.regular), key=lambda c: c.code, reverse=True)
            ),
            subjects=subjects,
            missing=missing,
            count=result.count,
            capped=result.capped,
            options=result.options,
            fixed=fixed,
            fixed_courses=kept_courses,
            why_none=None
            if result.count
            else _why_none(subjects, candidates, request, fixed)
            if subjects
            else NoOption(none_in_offer=True),
            offer_age=max(got.age(now) for got in stale) if stale else None,
            created=now,
            complete=result.complete,
            unread=unread,
        )
        if plan_id is None:
            await self._record(plan.id, user_id, request, code, chosen.code)
        self._remember(plan)
        return plan

    async def pending(self, user_id: int, request_id: str) -> PlanRequest | None:
        """The words of an `/armar` waiting for its centre, only for the student who wrote them."""
        kept = self._requests.get(request_id)
        if kept is not None:
            return kept[1] if kept[0] == user_id else None
        found = await self._recorded(user_id, request_id)
        return None if found is None else found[0]

    async def lists_centre(self, code: str | None) -> bool:
        """Whether the offer lists this centre (a centre button's, which may be forged). With
        the offer's form out of reach, yes: the plan itself then says the offer is down."""
        try:
            form = await self.cupos.form()
        except (SiiauUnavailable, PollingPaused, LayoutChanged):
            return True
        return any(c.code == code for c in form.centres)

    async def get(self, user_id: int, plan_id: str) -> Plan | None:
        """The plan, only for the student who made it and for `PLAN_TTL`. One this process
        does not hold (made by another replica, or before a restart) is made again from
        its recorded words, centre and cycle, under the same id."""
        plan = self._plans.get(plan_id)
        if plan is not None:
            return (
                plan
                if plan.user_id == user_id and self.clock() - plan.created <= PLAN_TTL
                else None
            )
        found = await self._recorded(user_id, plan_id)
        if found is None or found[1] is None:
            return None
        request, centre, cycle = found
        try:
            again = await self.plan_request(
                user_id, request, centre=centre, cycle=cycle, plan_id=plan_id
            )
        except (PlannerError, RequestError):
            return None
        return again if isinstance(again, Plan) else None

    async def replan(
        self, user_id: int, plan_id: str, cycle: str
    ) -> Plan | PlanCentreChoice | None:
        plan = await self.get(user_id, plan_id)
        if plan is None or cycle not in {c.code for c in plan.cycles}:
            return None
        return await self.plan_request(user_id, plan.request, centre=plan.centre.code, cycle=cycle)

    async def _fetch(
        self, cycle: str, centre: str, claves: Sequence[str]
    ) -> list[CachedOffer | None]:
        """Each clave's offer, or None where the offer is down with no copy under a day (the
        others still count); `OfferDown` when that is every clave. Other errors pass."""
        answers = await asyncio.gather(
            *(self.offers.get(SubjectKey(cycle, centre, k)) for k in claves),
            return_exceptions=True,
        )
        out: list[CachedOffer | None] = []
        for answer in answers:
            if isinstance(answer, OfferUnavailable):
                out.append(None)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                out.append(answer)
        if all(got is None for got in out):
            raise OfferDown()
        return out

    def _cycle(self, cycles: Sequence[Cycle], code: str | None) -> Cycle:
        if code is not None:
            found = next((c for c in cycles if c.code == code), None)
            if found is not None:
                return found
        newest = newest_regular(cycles)
        if newest is None:
            raise NoCycle()
        return newest

    def _new_id(self) -> str:
        return secrets.token_hex(4)

    async def _keep_request(self, user_id: int, request: PlanRequest) -> str:
        request_id = self._new_id()
        self._requests[request_id] = (user_id, request)
        while len(self._requests) > MAX_PLANS:
            self._requests.popitem(last=False)
        await self._record(request_id, user_id, request, None, None)
        return request_id

    async def _record(
        self,
        plan_id: str,
        user_id: int,
        request: PlanRequest,
        centre: str | None,
        cycle: str | None,
    ) -> None:
        payload = json.dumps(
            {
                "claves": list(request.claves),
                "centre": request.centre,
                "since": request.since,
                "until": request.until,
                "free_days": sorted(request.free_days),
                "with_seats": request.with_seats,
                "with_schedule": request.with_schedule,
                "plan_centre": centre,
                "plan_cycle": cycle,
            }
        )
        now = int(self.clock())
        await self.store.save_plan(plan_id, user_id, payload, now, older_than=now - PLAN_TTL)

    async def _recorded(
        self, user_id: int, plan_id: str
    ) -> tuple[PlanRequest, str | None, str | None] | None:
        """A recorded plan's request, centre and cycle: only the student's own, within `PLAN_TTL`."""
        found = await self.store.load_plan(plan_id)
        if found is None or found[0] != user_id or self.clock() - found[2] > PLAN_TTL:
            return None
        data = json.loads(found[1])
        request = PlanRequest(
            claves=tuple(data["claves"]),
            centre=data["centre"],
            since=data["since"],
            until=data["until"],
            free_days=frozenset(data["free_days"]),
            with_seats=data["with_seats"],
            with_schedule=data["with_schedule"],
        )
        return request, data["plan_centre"], data["plan_cycle"]

    def _remember(self, plan: Plan) -> None:
        self._plans[plan.id] = plan
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """`/olvidar`: this process's plans and pending requests of the student go."""
        for plan_id in [k for k, p in self._plans.items() if p.user_id == user_id]:
            del self._plans[plan_id]
        for request_id in [k for k, (u, _) in self._requests.items() if u == user_id]:
            del self._requests[request_id]

    # ---- what an option shows --------------------------------------------------
    def picture(
        self, plan: Plan, index: int, title: str, legend: Sequence[str], fixed_label: str = ""
    ) -> WeekPicture:
        """Option `index` on the week grid: one colour per subject, full sections hatched,
        the student's kept classes ("con mi horario") in grey."""
        sections = plan.sections_of(index)
        items = [
            GridItem(
                days=s.days,
                start=s.start,
                end=s.end,
                colour=FIXED_COLOUR,
                title=course.key,
                lines=(s.place,),
            )
            for course in plan.fixed_courses
            for s in course.sessions
            if s.start is not None and s.end is not None and s.days
        ]
        for number, section in enumerate(sections):
            colour = PALETTE[number % len(PALETTE)]
            course = section.to_course()
            for session in course.sessions:
                if session.start is None or session.end is None or not session.days:
                    continue
                items.append(
                    GridItem(
                        days=session.days,
                        start=session.start,
                        end=session.end,
                        colour=colour,
                        title=f"{section.key} {section.section}",
                        lines=(session.place,) if session.place else (),
                        full=section.free <= 0,
                    )
                )
        lines = tuple(
            LegendLine(PALETTE[n % len(PALETTE)], text, s.free <= 0)
            for n, (s, text) in enumerate(zip(sections, legend, strict=True))
        )
        if plan.fixed_courses and fixed_label:
            lines += (LegendLine(FIXED_COLOUR, fixed_label),)
        return WeekPicture(
            title=title,
            subtitle="",
            grid=week_grid(items, hour_height=44),
            legend=lines,
            font_scale=1.25,
        )

    async def render(self, picture: WeekPicture) -> bytes:
        return await self.renderer.render_picture(picture, PICTURE_WIDTH)

    def alternatives(self, plan: Plan, index: int) -> tuple[tuple[OfferSection, ...], ...]:
        """Plan B: per subject, the other sections (within the options) that fit this option."""
        subjects = [[candidate(s) for s in subject.kept] for subject in plan.subjects]
        by_nrc = {s.nrc: s for subject in plan.subjects for s in subject.sections}
        found = plan_b(plan.options[index], subjects, plan.fixed)
        return tuple(tuple(by_nrc[c.nrc] for c in per_subject) for per_subject in found)

    async def watch_full(self, plan: Plan, index: int, chat_id: int) -> WatchOutcome:
        """One /cupos watch per full section of the option, within CUPOS_MAX_PER_USER. The
        seat counts are read again (the cached offer, or one request): the watch's baseline is
        what the offer says now, and its end is capped by the cycle's classes, as in /cupos."""
        saved: list[str] = []
        refused: list[str] = []
        for section in plan.sections_of(index):
            key = SubjectKey(plan.cycle.code, plan.centre.code, section.key)
            try:
                now = await self.offers.get(key)
            except OfferUnavailable:
                raise OfferDown() from None
            self.cupos.remember_offer(key, now.sections)
            section = next((s for s in now.sections if s.nrc == section.nrc), section)
            if section.free > 0:
                continue
            label = f"{section.key} {section.section}"
            if refused:
                refused.append(label)
                continue
            try:
                await self.cupos.watch(
                    plan.user_id,
                    chat_id,
                    plan.cycle.code,
                    plan.centre.code,
                    section.key,
                    section.nrc,
                )
            except WatchLimitReached:
                refused.append(label)
                continue
            saved.append(label)
        return WatchOutcome(tuple(saved), tuple(refused), self.cupos.settings.max_per_user)

    def calendar(self, plan: Plan, index: int) -> CalendarFile:
        """This option as an .ics (the /calendario machinery), dated by the offer's periods."""
        schedule = Schedule(
            term=plan.cycle.code,
            term_label=_term_label(plan.cycle.code),
            student_name="",
            student_code="",
            career="",
            career_name="",
            courses=tuple(s.to_course() for s in plan.sections_of(index)),
        )
        stamp = datetime.fromtimestamp(plan.created, UTC)
        return build_calendar(
            schedule, self.book.days_off, self.book.zone, stamp=stamp, words=self._words
        )

    # ---- /horario as a picture ------------------------------------------------------
    async def wallpaper(self, user_id: int) -> bytes | None:
        """The stored schedule as a 1080×1920 lock-screen picture, today's column marked."""
        known = await self.book.stored(user_id)
        if known is None:
            return None
        weekday = self.book.today().weekday()
        today = Day(weekday) if weekday < len(Day) else None
        picture = self.renderer.wallpaper(known.schedule, today)
        return await self.renderer.render_picture(picture, *WALLPAPER_SIZE)


def offer_fetch(cupos: CuposService) -> Callable[[SubjectKey], Awaitable[tuple[OfferSection, ...]]]:
    """The cache's fetch: the seat watcher's request path (its bound and the breaker); an
    open breaker counts as the offer being down."""

    async def fetch(key: SubjectKey) -> tuple[OfferSection, ...]:
        try:
            return await cupos.sections(key)
        except PollingPaused:
            raise SiiauUnavailable("the SIIAU breaker is open") from None

    return fetch


def _term_label(code: str) -> str:
    return (
        f"{code[:4]}-{'A' if code[4:5] == '1' else 'B'}"
        if len(code) == 6 and code.isdigit()
        else code
    )


def _fixed_meetings(schedule: Schedule, claves: Sequence[str]) -> tuple[Meeting, ...]:
    """The stored schedule's classes, except those of a clave being planned (it is swapped)."""
    out: list[Meeting] = []
    for course in schedule.courses:
        if course.key in claves:
            continue
        for session in course.sessions:
            if session.start is None or session.end is None:
                continue
            start = session.start.hour * 60 + session.start.minute
            end = session.end.hour * 60 + session.end.minute
            out.extend(Meeting(int(d), start, end if end > start else 1440) for d in session.days)
    return tuple(out)


def _why_none(
    subjects: Sequence[Subject],
    candidates: Sequence[Sequence[Candidate]],
    request: PlanRequest,
    fixed: Sequence[Meeting],
) -> NoOption:
    for subject in subjects:
        option = emptied_by(subject.sections, request)
        if option is not None:
            return NoOption(emptied=(subject.clave, option))
    if fixed:
        for subject, kept in zip(subjects, candidates, strict=True):
            if not search([kept], fixed, keep=0).count:
                return NoOption(with_schedule=subject.clave)
    every = [[candidate(s) for s in subject.sections] for subject in subjects]
    pair = always_clash(candidates, fixed)
    by_options = (
        pair is not None and always_clash([every[pair[0]], every[pair[1]]]) is None
    )  # without the options (and the schedule) the two fit
    if pair is None:
        # With every section, options aside: a pair that clashes whatever the options.
        pair = always_clash(every)
    if pair is not None:
        return NoOption(
            clash=(subjects[pair[0]].clave, subjects[pair[1]].clave), by_options=by_options
        )
    return NoOption()
