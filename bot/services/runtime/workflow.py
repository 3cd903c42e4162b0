"""The schedule workflow: login → fetch → logout → clean → pdf.

It knows nothing of Telegram. Progress goes up through `on_stage`, results come
back as a `FlowResult`, and the credentials live only for the length of a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from bot.config import SiiauSettings
from bot.core import logcontext
from bot.core.credentials import Credentials
from bot.core.records import FlowRun, State
from bot.pdf.renderer import PdfRenderer, RenderError
from bot.schedule.model import Schedule
from bot.services.errors import FlowFailed
from bot.services.runtime import metrics
from bot.services.runtime.breaker import Breaker
from bot.services.runtime.coordination import LocalSessionSlots, SessionSlots
from bot.services.runtime.flow import FlowRunner, RetryPolicy, skip
from bot.services.runtime.login_guard import (
    OWNER,
    LoginGuard,
    LoginOutcome,
    Requester,
    memory_login_guard,
)
from bot.services.runtime.orphans import OrphanSessionSweeper
from bot.services.runtime.pdf_cache import PdfCache
from bot.siiau.errors import (
    AccountLocked,
    InvalidCredentials,
    NoSchedule,
    SessionExpired,
    SiiauError,
    SiiauUnavailable,
)
from bot.siiau.portal import Career, Portal, SchedulePage

log = logging.getLogger(__name__)
T = TypeVar("T")
LOGOUT_RETRIES = 7

Stage = str  # "login" | "fetch" | "pdf"
StageCallback = Callable[[Stage], Awaitable[None]]
CacheLookup = Callable[[str], Awaitable[str | None]]
ReadyCallback = Callable[["FlowResult"], Awaitable[None]]
# Reads more in a schedule run's session (its student, the logged-in portal): see `add_rider`.
SessionRider = Callable[[Requester, Portal], Awaitable[None]]
# Registration: SIIAU accepted the NIP (the login goes on).
AcceptedCallback = Callable[[], Awaitable[None]]
# Registration: the careers are known; the career whose schedule to read in this session, or None.
CareersCallback = Callable[[list[Career]], Awaitable[Career | None]]


async def no_stage(_: Stage) -> None:
    return None


@dataclass(slots=True)
class FlowResult:
    run: FlowRun
    schedule: Schedule | None = None
    pdf: bytes | None = None
    reused_document: str | None = None
    careers: list[Career] = field(default_factory=list)
    # Registration's first schedule read is a bonus that never fails the verification; what
    # broke it is kept so a changed page still reaches the operator (and its capture).
    first_read_error: Exception | None = None

    @property
    def content_hash(self) -> str | None:
        return self.schedule.content_hash if self.schedule else None


class ScheduleWorkflow:
    def __init__(
        self,
        portal_factory: Callable[[], Portal],
        renderer: PdfRenderer,
        runner: FlowRunner,
        settings: SiiauSettings,
        *,
        pdf_cache: PdfCache | None = None,
        slots: SessionSlots | None = None,
        guard: LoginGuard | None = None,
    ) -> None:
        """`guard` holds the rules on logins (`bot.services.runtime.login_guard`); the bot hands in
        the one kept in the database, and one process alone may keep it in memory."""
        self._portal_factory = portal_factory
        self._renderer = renderer
        self._runner = runner
        self._settings = settings
        self._slots = slots or LocalSessionSlots(settings.max_concurrency)
        self._guard = (
            guard if guard is not None else memory_login_guard(settings.max_logins_per_hour)
        )
        self._pdf_cache = pdf_cache if pdf_cache is not None else PdfCache()
        self._logout_policy = RetryPolicy(
            LOGOUT_RETRIES, min(settings.backoff_base, 0.2), min(settings.backoff_max, 2.0)
        )
        self._orphans = OrphanSessionSweeper(settings.orphan_sweep_seconds, self._sweep_orphan)
        self._riders: list[SessionRider] = []

    @property
    def breaker(self) -> Breaker:
        return self._runner.breaker

    @property
    def renderer(self) -> PdfRenderer:
        return self._renderer

    @property
    def orphan_sweeps_pending(self) -> int:
        return self._orphans.pending

    async def aclose(self) -> None:
        await self._orphans.aclose()
        await self._renderer.aclose()

    async def verify(
        self,
        credentials: Credentials,
        requester: Requester | None = None,
        *,
        on_accepted: AcceptedCallback | None = None,
        on_careers: CareersCallback | None = None,
    ) -> FlowResult:
        """Log in, list the careers and log out: proof that the pair works.

        `requester`: who typed the pair; unknown counts as not the code's owner.
        `on_accepted` hears SIIAU's verdict the moment it comes, before the careers.
        `on_careers` gets the careers as soon as they are known, and may name one whose
        schedule is then read in this same session, before its logout (one more request,
        never a second login), and rendered after it: `result.schedule` and `result.pdf`.
        That first read is a bonus: its failure is logged and never fails the verification.
        """
        asker = requester if requester is not None else Requester()
        result = FlowResult(run=FlowRun(name="verificar", kind="register"))

        async def body() -> str:
            page: SchedulePage | None = None
            async with self._slots.hold():
                portal = self._portal_factory()
                try:
                    await self._login(
                        result.run, portal, credentials, asker, on_accepted=on_accepted
                    )
                    result.careers = await self._siiau_task(result.run, "careers", portal.careers)
                    chosen = await on_careers(result.careers) if on_careers is not None else None
                    if chosen is not None:
                        page = await self._first_page(result, portal, chosen.code)
                finally:
                    await self._close(result.run, portal, credentials)
            if page is not None:
                await self._first_read(result, page)
            return "verified"

        await self._recorded(result.run, body)
        return result

    async def _first_page(
        self, result: FlowResult, portal: Portal, career: str
    ) -> SchedulePage | None:
        run = result.run
        try:
            return await self._siiau_task(run, "fetch", lambda: portal.schedule_page(career))
        except SiiauError as error:
            log.info("first schedule read failed run=%s error=%s", run.id, type(error).__name__)
            result.first_read_error = error
            return None

    async def _first_read(self, result: FlowResult, page: SchedulePage) -> None:
        """Read and render registration's page; a failure only costs the instant first /horario."""
        try:
            await self._read_and_render(result.run, result, page, None, no_stage, render=True)
        except Exception as error:  # noqa: BLE001 - the verification stands on its own
            log.info(
                "first schedule render failed run=%s error=%s", result.run.id, type(error).__name__
            )
            result.first_read_error = error
            result.schedule = (
                result.schedule if result.schedule and result.schedule.courses else None
            )
            result.pdf = None

    async def run(
        self,
        credentials: Credentials,
        career: str,
        *,
        cycle: str | None = None,
        kind: str = "on_demand",
        find_document: CacheLookup | None = None,
        on_stage: StageCallback = no_stage,
        requester: Requester = OWNER,
        render: bool = True,
        on_ready: ReadyCallback | None = None,
    ) -> FlowResult:
        """Fetch and render one student's schedule. Failures raise `FlowFailed` from their error.

        `requester` defaults to the code's owner: a run uses the NIP registration stored.
        `render` False reads the schedule and stops: its "pdf" task is skipped.
        `on_ready` gets the result as soon as its PDF (or reused document) is ready, while
        SIIAU's logout may still be under way: the student need not wait for it, the run
        does. It must not raise; what it does is not part of the run.
        """
        result = FlowResult(run=FlowRun(name="horario", kind=kind))

        async def body() -> str:
            await self._fetch_and_render(
                result.run,
                result,
                credentials,
                requester,
                career,
                cycle,
                find_document,
                on_stage,
                render,
                on_ready,
            )
            if not render:
                return "read"
            return "reused" if result.reused_document else "delivered"

        await self._recorded(result.run, body)
        return result

    async def render(self, schedule: Schedule) -> FlowResult:
        """Render `schedule` again, as a run of its own with a single "pdf" task.

        For a schedule whose PDF we no longer hold (Telegram refused the file id we
        kept): it goes through the same task, timeout and cache as every PDF, so
        PDFs are made in one place only, and always on the record.
        """
        result = FlowResult(run=FlowRun(name="pdf", kind="rerender"), schedule=schedule)

        async def body() -> str:
            result.pdf = await self._pdf(result.run, schedule, no_stage)
            return "rendered"

        await self._recorded(result.run, body)
        return result

    async def in_session(
        self,
        run: FlowRun,
        credentials: Credentials,
        requester: Requester,
        name: str,
        action: Callable[[Portal], Awaitable[T]],
        on_stage: StageCallback = no_stage,
    ) -> T:
        """Log in, run `action` as task `name` of `run`, log out: one login, within the same
        session slots, login guard, breaker and retries as a schedule (other features' reads,
        e.g. grades). An expired session logs in again once, as a schedule fetch does."""
        async with self._logged_in(run, credentials, requester, on_stage) as portal:
            read = self._relogging(run, portal, credentials, requester, lambda: action(portal))
            return await self._siiau_task(run, name, read)

    @contextlib.asynccontextmanager
    async def _logged_in(
        self, run: FlowRun, credentials: Credentials, requester: Requester, on_stage: StageCallback
    ) -> AsyncIterator[Portal]:
        """A session slot and a logged-in portal, logged out on the way out whatever happens."""
        async with self._slots.hold(on_wait=lambda: on_stage("queued")):
            portal = self._portal_factory()
            try:
                await on_stage("login")
                await self._login(run, portal, credentials, requester)
                await on_stage("fetch")
                yield portal
            finally:
                await self._close(run, portal, credentials)

    def _relogging(
        self,
        run: FlowRun,
        portal: Portal,
        credentials: Credentials,
        requester: Requester,
        read: Callable[[], Awaitable[T]],
    ) -> Callable[[], Awaitable[T]]:
        """`read`, once more after one new login when SIIAU says the session expired."""

        async def once_relogging() -> T:
            try:
                return await read()
            except SessionExpired:
                log.info("siiau session expired run=%s; logging in again", run.id)
                await self._login_once(portal, credentials, requester)
                return await read()

        return once_relogging

    async def recorded(self, run: FlowRun, body: Callable[[], Awaitable[str]]) -> None:
        """Run `body` as `run`: finished, logged and counted; a failure raises `FlowFailed`."""
        await self._recorded(run, body)

    async def _recorded(self, run: FlowRun, body: Callable[[], Awaitable[str]]) -> None:
        """Run `body`, then finish, log and count the run.

        An error leaves as `FlowFailed(run)` raised from it, so the caller can record
        the run; cancellation is not a failure of the run and leaves unwrapped.
        """
        with logcontext.bound(run_id=run.id):
            try:
                outcome = await body()
            except NoSchedule as error:
                run.finish("no_schedule")
                self._log_run(run)
                raise FlowFailed(run) from error
            except Exception as error:
                run.finish("failed", error)
                self._log_run(run)
                raise FlowFailed(run) from error
            run.finish(outcome)
            self._log_run(run)

    async def _fetch_and_render(
        self,
        run: FlowRun,
        result: FlowResult,
        credentials: Credentials,
        requester: Requester,
        career: str,
        cycle: str | None,
        find_document: CacheLookup | None,
        on_stage: StageCallback,
        render: bool,
        on_ready: ReadyCallback | None,
    ) -> None:
        """The SIIAU part runs in a task of its own, so that logging out overlaps reading
        and rendering the page instead of delaying them; the run still ends only after
        the logout did, whatever happened (`_siiau_session` always logs out)."""
        fetched: asyncio.Future[SchedulePage] = asyncio.get_running_loop().create_future()
        session = asyncio.create_task(
            self._siiau_session(run, fetched, credentials, requester, career, cycle, on_stage)
        )
        try:
            await asyncio.wait(
                cast(set[asyncio.Future[object]], {fetched, session}),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not fetched.done():
                await session  # it failed before the page arrived: raise its error
            await self._read_and_render(
                run, result, fetched.result(), find_document, on_stage, render
            )
            if on_ready is not None:
                await on_ready(result)
        except asyncio.CancelledError:
            # Stop logging in or fetching: it still logs out on its way out. Once the page is
            # here the session is only logging out, and cancelling it would cut the logout.
            if not fetched.done():
                session.cancel()
            raise
        finally:
            if not session.done():  # the logout is part of the run, on every path
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(session)

    async def _siiau_session(
        self,
        run: FlowRun,
        fetched: asyncio.Future[SchedulePage],
        credentials: Credentials,
        requester: Requester,
        career: str,
        cycle: str | None,
        on_stage: StageCallback,
    ) -> None:
        """Log in, fetch the page (handed over through `fetched`), log out."""
        async with self._logged_in(run, credentials, requester, on_stage) as portal:
            fetch = self._relogging(
                run, portal, credentials, requester, lambda: portal.schedule_page(career, cycle)
            )
            fetched.set_result(await self._siiau_task(run, "fetch", fetch))
            await self._ride(run, portal, requester)

    def add_rider(self, rider: SessionRider) -> None:
        """`rider` gets every schedule run's session after its page was read, before the logout:
        another feature's read that is due (a grade check) shares the login instead of a second one."""
        self._riders.append(rider)

    async def _ride(self, run: FlowRun, portal: Portal, requester: Requester) -> None:
        """The riders, each within the task timeout. Not a task of the run: most rides find nothing
        due and do nothing, and a rider keeps its own record. A failure is never the schedule's."""
        for rider in self._riders:
            try:
                await asyncio.wait_for(rider(requester, portal), self._settings.task_timeout)
            except Exception as error:  # noqa: BLE001 - the schedule run stands whatever a rider does
                log.info("session rider failed run=%s error=%s", run.id, type(error).__name__)

    async def _read_and_render(
        self,
        run: FlowRun,
        result: FlowResult,
        page: SchedulePage,
        find_document: CacheLookup | None,
        on_stage: StageCallback,
        render: bool,
    ) -> None:
        schedule = await self._runner.task(
            run, "clean", lambda: _read(page), timeout=10, retry=False
        )
        result.schedule = schedule
        if not schedule.courses:
            raise NoSchedule("no courses this cycle")
        if not render:
            skip(run, "pdf", State.SKIPPED)
            return
        if find_document is not None:
            result.reused_document = await find_document(schedule.content_hash)
            if result.reused_document:
                skip(run, "pdf", State.CACHED)
                return
        result.pdf = await self._pdf(run, schedule, on_stage)

    async def _pdf(self, run: FlowRun, schedule: Schedule, on_stage: StageCallback) -> bytes:
        """Task "pdf" of `run`: the cached PDF of this content, else a timed render."""
        content_hash = schedule.content_hash
        cached_pdf = self._pdf_cache.get(content_hash)
        if cached_pdf is not None:
            skip(run, "pdf", State.CACHED)
            return cached_pdf
        await on_stage("pdf")
        pdf = await self._runner.task(
            run,
            "pdf",
            lambda: self._renderer.render(schedule),
            timeout=self._renderer.timeout + 5,
            on_timeout=lambda: RenderError("render timed out"),
        )
        self._pdf_cache.put(content_hash, pdf)
        return pdf

    async def _login(
        self,
        run: FlowRun,
        portal: Portal,
        credentials: Credentials,
        requester: Requester,
        *,
        on_accepted: AcceptedCallback | None = None,
    ) -> None:
        async def end_partial_session() -> None:
            with contextlib.suppress(SiiauError):
                await portal.logout()

        await self._siiau_task(
            run,
            "login",
            lambda: self._login_once(portal, credentials, requester, on_accepted),
            before_retry=end_partial_session,
        )

    async def _login_once(
        self,
        portal: Portal,
        credentials: Credentials,
        requester: Requester,
        on_accepted: AcceptedCallback | None = None,
    ) -> None:
        """One login through the guard. A login left unsettled (cancelled mid-request) stays
        counted as a possible rejection, which is what it may have been."""
        ticket = await self._guard.admit(credentials, requester)
        unanswered_before = portal.unanswered_logins
        try:
            if on_accepted is None:
                await portal.login(credentials)
            else:
                await portal.login(credentials, on_accepted)
        except InvalidCredentials:
            await self._guard.settle(ticket, LoginOutcome.REJECTED)
            raise
        except AccountLocked:
            await self._guard.settle(ticket, LoginOutcome.LOCKED)
            raise
        except Exception:
            unanswered = portal.unanswered_logins > unanswered_before
            await self._guard.settle(
                ticket, LoginOutcome.UNANSWERED if unanswered else LoginOutcome.ANSWERED
            )
            raise
        await self._guard.settle(ticket, LoginOutcome.ACCEPTED)

    async def _siiau_task(
        self,
        run: FlowRun,
        name: str,
        action: Callable[[], Awaitable[T]],
        before_retry: Callable[[], Awaitable[None]] | None = None,
    ) -> T:
        return await self._runner.task(
            run,
            name,
            action,
            timeout=self._settings.task_timeout,
            guarded=True,
            on_timeout=lambda: SiiauUnavailable(f"SIIAU {name} timed out"),
            before_retry=before_retry,
        )

    async def _close(self, run: FlowRun, portal: Portal, credentials: Credentials) -> None:
        """Log out, whatever happened before: SIIAU allows one session per student.

        A login that got no answer may have opened a session this logout can't see:
        if SIIAU accepted the NIP in this run, the sweeper closes that one later.
        """
        await self._logout(run, portal)
        logged_in = any(t.name == "login" and t.state is State.COMPLETED for t in run.tasks)
        if portal.unanswered_logins and logged_in:
            log.info("siiau login went unanswered run=%s; sweeping its session later", run.id)
            self._orphans.schedule(credentials)

    async def _logout(self, run: FlowRun, portal: Portal) -> None:
        """Retried harder than other tasks: it is harmless to repeat, and a session left
        open breaks the student's own login until SIIAU times it out."""
        try:
            await self._runner.task(
                run,
                "logout",
                portal.logout,
                timeout=15,
                policy=self._logout_policy,
                on_timeout=lambda: SiiauUnavailable("SIIAU logout timed out"),
            )
        except Exception as error:  # noqa: BLE001 - a failed logout must not mask the result
            log.warning("siiau logout failed run=%s error=%s", run.id, type(error).__name__)
        finally:
            await portal.aclose()

    async def _sweep_orphan(self, credentials: Credentials) -> None:
        """One login and logout, with no retries: it replaces and ends an orphan session."""
        run = FlowRun(name="cerrar_sesion", kind="sweep")

        async def body() -> str:
            async with self._slots.hold():
                portal = self._portal_factory()
                try:
                    await self._runner.task(
                        run,
                        "login",
                        lambda: self._login_once(portal, credentials, OWNER),
                        retry=False,
                        timeout=self._settings.task_timeout,
                        guarded=True,
                        on_timeout=lambda: SiiauUnavailable("SIIAU login timed out"),
                    )
                finally:
                    await self._logout(run, portal)
            return "swept"

        try:
            await self._recorded(run, body)
        except FlowFailed as failure:
            raise failure.cause from None  # its run is logged already; the sweeper logs the class

    @staticmethod
    def _log_run(run: FlowRun) -> None:
        metrics.record_run(run)
        log.info(
            "flow run=%s name=%s kind=%s outcome=%s error=%s duration_ms=%d tasks=[%s]",
            run.id,
            run.name,
            run.kind,
            run.outcome,
            run.error_class or "-",
            run.duration_ms,
            run.summary(),
        )


async def _read(page: SchedulePage) -> Schedule:
    return page.schedule()
