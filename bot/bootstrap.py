"""Wiring, in one place: settings → store → SIIAU adapter → renderer → flow runner → services.

Only entry points import this module (the Telegram application, the CLI, the
demo, the benches, the tests). Everything else receives its collaborators as
constructor arguments and builds nothing itself, so each layer can be tested
with stand-ins and no layer reaches into another's objects.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.config import Settings, SiiauSettings
from bot.core.records import utcnow
from bot.core.zones import zone
from bot.feed.server import CalendarFeedServer
from bot.ops.http import HealthSources, OpsServer
from bot.pdf.renderer import PdfRenderer
from bot.schedule.days_off import DaysOff, DaysOffError
from bot.schedule.ical import CalendarWords
from bot.services.account.registration import DIALOG_SECONDS, RegistrationService
from bot.services.bundle import Services
from bot.services.captures import PageCapturer
from bot.services.friends import FriendsPolicy, FriendsService, PngRenderer
from bot.services.grades.service import GradeNotifier, GradesService
from bot.services.offer.cache import OfferCache
from bot.services.offer.cupos import CuposNotifier, CuposService, LoggingNotifier
from bot.services.planner.service import PlannerService, offer_fetch
from bot.services.runtime.breaker import Breaker, CircuitBreaker, SharedCircuitBreaker
from bot.services.runtime.coordination import (
    LocalSessionSlots,
    SessionSlots,
    SharedSessionSlots,
    SharedUserGate,
)
from bot.services.runtime.erasure import EraseLedger
from bot.services.runtime.flow import FlowRunner, RetryPolicy
from bot.services.runtime.gate import Gate, UserGate
from bot.services.runtime.heartbeat import HeartbeatService
from bot.services.runtime.login_guard import KeyedLoginGuard, LoginGuard
from bot.services.runtime.operations import OperationsService
from bot.services.runtime.pdf_cache import PdfCache
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.services.timetable.calendar import CalendarService
from bot.services.timetable.daily import DailyNotifier, DailyService, LoggingDailyNotifier
from bot.services.timetable.delivery import DeliveryService
from bot.services.timetable.progress import ProgressService
from bot.services.timetable.refresh_budget import StoredRefreshBudget
from bot.services.timetable.schedule_book import ScheduleBook
from bot.services.timetable.weekly import WeeklyNotifier, WeeklyService
from bot.siiau.client import (
    LoginPathMemory,
    LoginPathStore,
    ShortcutMemory,
    ShortcutStore,
    SiiauClientFactory,
)
from bot.siiau.offer_client import DEFAULT_USER_AGENT, OfferClient
from bot.store.calendar_links import CalendarLinkStore
from bot.store.crypto import CredentialCipher, KeyConfigError
from bot.store.daily import DailyStore
from bot.store.db import create_engine, migrate
from bot.store.dialogs import DialogStore
from bot.store.erasures import ErasureStore
from bot.store.first_copies import FirstCopyStore
from bot.store.friends import FriendStore
from bot.store.grades import ALERTS_KEY_LABEL, GradesStore
from bot.store.heartbeat import HeartbeatStore
from bot.store.login_guard import LoginGuardStore
from bot.store.login_path import DatabaseLoginPaths, DatabaseShortcuts
from bot.store.planner import PlannerStore
from bot.store.progress import ProgressStore
from bot.store.refresh_budget import RefreshBudgetStore
from bot.store.repository import Store
from bot.store.schedules import ScheduleStore
from bot.store.shared import SharedStore
from bot.store.watches import WatchStore
from bot.store.weekly import WeeklyStore
from bot.telegram.buttons import ButtonSigner
from bot.telegram.cupos_notifier import TelegramCuposNotifier
from bot.telegram.daily_notifier import TelegramDailyNotifier
from bot.telegram.grades_notifier import TelegramGradeNotifier
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.texts import calendar as calendar_texts

TOKEN_FORMAT = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
WEBHOOK_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# The weekly notifier speaks the chat platform's language, and may need to ask the
# delivery service for a PDF again; so it is built from the delivery service.
NotifierFactory = Callable[[DeliveryService], WeeklyNotifier]


class ConfigError(ValueError):
    pass


# ---- settings -------------------------------------------------------------------
def check_settings(settings: Settings) -> CredentialCipher:
    """Refuse to start on a missing or malformed token or key, with one clear line."""
    token = settings.telegram.bot_token.get_secret_value().strip()
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: ask @BotFather for one (see README)")
    if not TOKEN_FORMAT.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN looks malformed: expected '<digits>:<35 characters>'")
    if settings.telegram.webhook_url and not WEBHOOK_SECRET_FORMAT.match(
        settings.telegram.webhook_secret.get_secret_value()
    ):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL: 1-256 characters A-Z a-z 0-9 _ -"
        )
    return build_cipher(settings)


def build_cipher(settings: Settings) -> CredentialCipher:
    try:
        return CredentialCipher([k.get_secret_value() for k in settings.store.encryption_keys])
    except KeyConfigError as error:
        raise ConfigError(str(error)) from None


def uses_shared_state(settings: Settings, dialect: str) -> bool:
    """Replicas need limits in the database; one process on SQLite keeps them in memory."""
    mode = settings.bot.shared_state
    return mode == "database" or (mode == "auto" and dialect == "postgresql")


# ---- store ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stores:
    """Every store over one database, built here once; each service is handed only the
    ones it uses. `users`: users, credentials, run records, documents, forget, key rotation."""

    engine: AsyncEngine
    cipher: CredentialCipher
    users: Store
    dialogs: DialogStore
    schedules: ScheduleStore
    first_copies: FirstCopyStore
    weekly: WeeklyStore
    daily: DailyStore
    grades: GradesStore
    shared: SharedStore
    login_guard: LoginGuardStore
    login_paths: DatabaseLoginPaths
    shortcuts: DatabaseShortcuts
    progress: ProgressStore
    calendar_links: CalendarLinkStore
    refresh_budget: RefreshBudgetStore
    erasures: ErasureStore
    planner: PlannerStore
    friends: FriendStore
    watches: WatchStore
    heartbeat: HeartbeatStore


def build_stores(engine: AsyncEngine, cipher: CredentialCipher) -> Stores:
    """The stores over an open engine (at the newest revision). Close with `engine.dispose()`."""
    return Stores(
        engine=engine,
        cipher=cipher,
        users=Store(engine, cipher),
        dialogs=DialogStore(engine, cipher),
        schedules=ScheduleStore(engine, cipher),
        first_copies=FirstCopyStore(engine, cipher),
        weekly=WeeklyStore(engine, cipher),
        daily=DailyStore(engine),
        # Posting hashes are keyed from the newest encryption key; key rotation re-hashes them.
        grades=GradesStore(engine, cipher, cipher.derive_key(ALERTS_KEY_LABEL)),
        shared=SharedStore(engine),
        login_guard=LoginGuardStore(engine),
        login_paths=DatabaseLoginPaths(engine),
        shortcuts=DatabaseShortcuts(engine),
        progress=ProgressStore(engine),
        calendar_links=CalendarLinkStore(engine),
        refresh_budget=RefreshBudgetStore(engine),
        erasures=ErasureStore(engine),
        planner=PlannerStore(engine),
        friends=FriendStore(engine),
        watches=WatchStore(engine, cipher),
        heartbeat=HeartbeatStore(engine),
    )


async def open_store(settings: Settings, cipher: CredentialCipher) -> Stores:
    """The database at the newest revision, behind its stores. Close with `engine.dispose()`."""
    engine = create_engine(settings.store.database_url)
    try:
        await migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    return build_stores(engine, cipher)


async def migrate_database(settings: Settings) -> None:
    engine = create_engine(settings.store.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


# ---- the workflow ---------------------------------------------------------------
def build_workflow(
    settings: Settings,
    *,
    pdf_cache_size: int = 128,
    shared: SharedStore | None = None,
    guard: LoginGuard | None = None,
    login_paths: LoginPathStore | None = None,
    shortcuts: ShortcutStore | None = None,
) -> ScheduleWorkflow:
    """SIIAU adapter, renderer and flow runner around one workflow.

    `shared` given: the SIIAU session bound and the breaker hold across replicas.
    `guard`: the login guard (`build_login_guard`); without one it lives in memory.
    `login_paths`: where the login path that worked is kept (the database: replicas share
    it); without one, this process remembers it alone. `shortcuts`: likewise, whether SIIAU
    answers the schedule URL without the menu walk.
    Close it with `aclose()` (it owns the renderer's wkhtmltopdf processes).
    """
    siiau = settings.siiau
    breaker: Breaker
    slots: SessionSlots
    if shared is None:
        breaker = CircuitBreaker(siiau.breaker_threshold, siiau.breaker_cooldown)
        slots = LocalSessionSlots(siiau.max_concurrency)
    else:
        breaker = SharedCircuitBreaker(shared, siiau.breaker_threshold, siiau.breaker_cooldown)
        slots = SharedSessionSlots(shared, siiau.max_concurrency, settings.bot.shared_lease_seconds)
    runner = FlowRunner(RetryPolicy(siiau.retries, siiau.backoff_base, siiau.backoff_max), breaker)
    renderer = PdfRenderer(settings.pdf, timezone=settings.bot.bot_timezone)
    return ScheduleWorkflow(
        build_client_factory(siiau, login_paths=login_paths, shortcuts=shortcuts),
        renderer,
        runner,
        siiau,
        pdf_cache=PdfCache(pdf_cache_size),
        slots=slots,
        guard=guard,
    )


def build_client_factory(
    siiau: SiiauSettings,
    *,
    login_paths: LoginPathStore | None = None,
    shortcuts: ShortcutStore | None = None,
) -> SiiauClientFactory:
    """SIIAU clients, one per session. Without `login_paths` and `shortcuts` (`diagnose`),
    each client walks the configured login path and the menu, remembering nothing."""
    return SiiauClientFactory(
        siiau,
        LoginPathMemory(login_paths) if login_paths is not None else None,
        ShortcutMemory(shortcuts) if shortcuts is not None else None,
    )


def button_key(cipher: CredentialCipher) -> bytes:
    """The key callback buttons are signed with (`bot.telegram.buttons`), from the newest
    encryption key: rotating keys makes older buttons answer «Ese botón ya no es válido»."""
    return cipher.derive_key("horario-bot callback buttons")


def build_login_guard(
    settings: Settings, stores: Stores, cipher: CredentialCipher
) -> KeyedLoginGuard:
    """The login guard in the database: it holds across restarts and replicas."""
    secret = settings.store.login_guard_secret.get_secret_value()
    key = secret.encode() if secret else cipher.derive_key("horario-bot login guard")
    return KeyedLoginGuard(stores.login_guard, key, settings.siiau.max_logins_per_hour)


def build_guard_cipher(settings: Settings) -> CredentialCipher | None:
    """The cipher to open the login guard with outside the bot (`diagnose`): the configured
    one; with no usable ENCRYPTION_KEYS but a LOGIN_GUARD_SECRET, a throwaway one (the guard
    is keyed by the secret and reads nothing encrypted); None when there is neither."""
    try:
        return build_cipher(settings)
    except ConfigError:
        if not settings.store.login_guard_secret.get_secret_value():
            return None
        return CredentialCipher([CredentialCipher.generate_key()])


# ---- seat alerts ----------------------------------------------------------------
def build_offer_http(settings: Settings) -> httpx.AsyncClient:
    """The public offer's HTTP client, with as many connections as offer requests may be in flight."""
    siiau = settings.siiau
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=siiau.ca_bundle) if siiau.ca_bundle else siiau.verify_tls
    )
    slots = settings.cupos.max_concurrency
    return httpx.AsyncClient(
        timeout=httpx.Timeout(siiau.read_timeout, connect=siiau.connect_timeout),
        verify=verify,
        headers={"User-Agent": DEFAULT_USER_AGENT},
        limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
    )


def build_cupos(
    settings: Settings,
    stores: Stores,
    breaker: Breaker,
    http: httpx.AsyncClient,
    notifier: CuposNotifier | None = None,
) -> CuposService:
    """The seat watcher: its own offer client and request bound, the shared SIIAU breaker.
    The caller closes `http` after the service."""
    return CuposService(
        stores.watches,
        OfferClient(settings.siiau.offer_url, http=http),
        breaker,
        settings.cupos,
        notifier=notifier or LoggingNotifier(),
    )


# ---- services -------------------------------------------------------------------
def build_services(
    settings: Settings,
    stores: Stores,
    workflow: ScheduleWorkflow,
    notifier: NotifierFactory,
    *,
    shared: bool = False,
    cupos_notifier: CuposNotifier | None = None,
    calendar_words: CalendarWords | None = None,
    daily_notifier: DailyNotifier | None = None,
    grade_notifier: GradeNotifier | None = None,
    captures: PageCapturer | None = None,
) -> Services:
    """The services over an open store and a workflow. `Services.aclose` closes all three."""
    gate: Gate
    if shared:
        gate = SharedUserGate(
            stores.shared, settings.bot.horario_per_minute, settings.bot.shared_lease_seconds
        )
    else:
        gate = UserGate(settings.bot.horario_per_minute)
    delivery = build_delivery(stores, workflow, gate)
    weekly = WeeklyService(
        delivery,
        stores.weekly,
        settings.weekly,
        zone(settings.bot.bot_timezone),
        notifier=notifier(delivery),
    )
    book = build_schedule_book(settings, delivery, stores.refresh_budget)
    daily = build_daily(settings, stores, book, daily_notifier)
    offer_http = build_offer_http(settings)
    cupos = build_cupos(settings, stores, workflow.breaker, offer_http, cupos_notifier)
    planner = build_planner(
        settings, stores, cupos, workflow.renderer, book, delivery, calendar_words
    )
    services = Services(
        delivery=delivery,
        registration=build_registration(stores, workflow),
        weekly=weekly,
        operations=OperationsService(workflow.breaker),
        cupos=cupos,
        progress=ProgressService(stores.progress, stores.dialogs),
        book=book,
        calendar=CalendarService(
            book,
            stores.calendar_links,
            public_url=settings.calendar.public_url,
            words=calendar_words,
        ),
        daily=daily,
        grades=build_grades(settings, stores, workflow, gate, delivery, grade_notifier),
        friends=build_friends(settings, stores, delivery, book, workflow.renderer),
        planner=planner,
        captures=captures or build_capturer(settings),
        erasures=EraseLedger(stores.erasures, stores.cipher.derive_key("horario-bot erasures")),
    )
    services.resources.push_async_callback(stores.engine.dispose)
    services.resources.push_async_callback(workflow.aclose)
    services.resources.push_async_callback(weekly.aclose)
    services.resources.push_async_callback(offer_http.aclose)
    services.resources.push_async_callback(cupos.aclose)
    services.resources.push_async_callback(book.aclose)
    services.resources.push_async_callback(daily.aclose)
    services.resources.push_async_callback(services.grades.aclose)
    return services


def build_delivery(
    stores: Stores,
    workflow: ScheduleWorkflow,
    gate: Gate,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryService:
    """/horario, status and forgetting: users, the last schedule read and the first copy's PDF."""
    return DeliveryService(
        stores.users, stores.schedules, stores.first_copies, workflow, gate, clock=clock
    )


def build_registration(
    stores: Stores,
    workflow: ScheduleWorkflow,
    *,
    clock: Callable[[], float] = time.time,
    dialog_seconds: float = DIALOG_SECONDS,
) -> RegistrationService:
    """/registrar: users, the dialog in progress, and where the first schedule read is kept."""
    return RegistrationService(
        stores.users,
        stores.dialogs,
        stores.schedules,
        stores.first_copies,
        workflow,
        clock=clock,
        dialog_seconds=dialog_seconds,
    )


def build_grades(
    settings: Settings,
    stores: Stores,
    workflow: ScheduleWorkflow,
    gate: Gate,
    delivery: DeliveryService,
    notifier: GradeNotifier | None = None,
) -> GradesService:
    """/calificaciones and grade alerts, on the workflow's session (gate, guard, breaker, slots).
    A student is told to answer SIIAU's survey at the login page students use."""
    siiau = settings.siiau
    survey_link = (
        f"{siiau.portal_url.rstrip('/')}/Portal/login.xhtml" if siiau.portal_url else siiau.base_url
    )
    grades = GradesService(
        stores.users,
        stores.grades,
        workflow,
        gate,
        delivery,
        settings.grades,
        survey_link=survey_link,
        notifier=notifier,
    )
    workflow.add_rider(grades.ride)  # a due grade check shares a schedule run's login
    return grades


def build_planner(
    settings: Settings,
    stores: Stores,
    cupos: CuposService,
    renderer: PdfRenderer,
    book: ScheduleBook,
    delivery: DeliveryService,
    calendar_words: CalendarWords | None = None,
) -> PlannerService:
    """/armar over the seat watcher's offer path: one cache of offer answers, which the
    watcher's polls fill too; pictures from the workflow's renderer (its pool and timeout)."""
    offers = OfferCache(offer_fetch(cupos), max_age=settings.planner.offer_max_age_seconds)
    cupos.offers = offers

    async def is_registered(user_id: int) -> bool:
        return await delivery.profile(user_id) is not None

    return PlannerService(
        cupos,
        offers,
        stores.planner,
        renderer,
        book,
        is_registered=is_registered,
        calendar_words=calendar_words,
    )


def build_capturer(settings: Settings) -> PageCapturer:
    """Redacted captures of unreadable SIIAU pages, in SIIAU_CAPTURE_DIR (off when empty). One per
    process: the chat's operator notices and the seat watcher's share it (and its file limit)."""
    folder = settings.siiau.capture_dir.strip()
    return PageCapturer(Path(folder) if folder else None, settings.siiau.capture_max)


def build_daily(
    settings: Settings, stores: Stores, book: ScheduleBook, notifier: DailyNotifier | None = None
) -> DailyService:
    """Morning digests and reminders over the stored schedules; classes in the sent log are
    named by a hash keyed from the newest encryption key."""
    return DailyService(
        book,
        stores.daily,
        settings.daily,
        zone(settings.bot.bot_timezone),
        stores.cipher.derive_key("horario-bot daily sent log"),
        notifier=notifier or LoggingDailyNotifier(),
    )


def build_friends(
    settings: Settings,
    stores: Stores,
    delivery: DeliveryService,
    book: ScheduleBook,
    pictures: PngRenderer | None = None,
) -> FriendsService:
    """Friends and group shares over the stored schedules (never a SIIAU login of their own);
    the week's picture through the workflow's renderer (its pool and timeout)."""
    policy = FriendsPolicy(
        max_friends=settings.friends.max_friends,
        min_free_minutes=settings.friends.min_free_minutes,
        max_age=timedelta(days=settings.schedule.max_age_days),
        member_check=timedelta(seconds=settings.friends.member_check_seconds),
    )
    return FriendsService(
        delivery,
        stores.friends,
        stores.cipher,
        book.days_off,
        book.zone,
        policy,
        pictures=pictures,
    )


def build_schedule_book(
    settings: Settings, delivery: DeliveryService, budget: RefreshBudgetStore | None = None
) -> ScheduleBook:
    """Everyday answers' schedule: the days off file and the zone are read here, once.
    `budget`: where refreshes nobody typed are counted (the database: replicas share it)."""
    path = settings.schedule.days_off_file
    try:
        days_off = DaysOff.load(Path(path) if path else None)
    except DaysOffError as error:
        raise ConfigError(str(error)) from None
    max_age = timedelta(days=settings.schedule.max_age_days)
    return ScheduleBook(
        delivery,
        days_off,
        zone(settings.bot.bot_timezone),
        max_age,
        budget=None
        if budget is None
        else StoredRefreshBudget(budget, int(max_age.total_seconds())),
    )


def build_calendar_feed(settings: Settings, calendar: CalendarService) -> CalendarFeedServer:
    """The live calendar's HTTP server (start it on CALENDAR_HOST:CALENDAR_PORT)."""
    return CalendarFeedServer(
        calendar.feed,
        requests_per_minute=settings.calendar.requests_per_minute,
        header_timeout=settings.calendar.header_timeout,
        max_connections=settings.calendar.max_connections,
        unknown_per_minute=settings.calendar.unknown_per_minute,
    )


async def start_services(
    settings: Settings,
    cipher: CredentialCipher,
    notifier: NotifierFactory,
    *,
    cupos_notifier: CuposNotifier | None = None,
    calendar_words: CalendarWords | None = None,
    daily_notifier: DailyNotifier | None = None,
    captures: PageCapturer | None = None,
    grade_notifier: GradeNotifier | None = None,
) -> Services:
    """Everything the bot runs on: store, workflow, services and, with METRICS_PORT, the ops
    server; with CALENDAR_PORT, the calendar feed's server."""
    async with AsyncExitStack() as opened:
        stores = await open_store(settings, cipher)
        opened.push_async_callback(stores.engine.dispose)
        shared = uses_shared_state(settings, stores.engine.dialect.name)
        workflow = build_workflow(
            settings,
            shared=stores.shared if shared else None,
            guard=build_login_guard(settings, stores, cipher),
            login_paths=stores.login_paths,
            shortcuts=stores.shortcuts,
        )
        opened.push_async_callback(workflow.aclose)
        services = build_services(
            settings,
            stores,
            workflow,
            notifier,
            shared=shared,
            cupos_notifier=cupos_notifier,
            calendar_words=calendar_words,
            daily_notifier=daily_notifier,
            captures=captures,
            grade_notifier=grade_notifier,
        )
        opened.pop_all()
        opened.push_async_callback(services.aclose)
        if settings.bot.metrics_port:
            ops = OpsServer(
                HealthSources(
                    HeartbeatService(stores.heartbeat),
                    workflow.breaker,
                    settings.weekly.tick_seconds,
                ),
                settings.bot.metrics_port,
                settings.bot.metrics_host,
            )
            await ops.start()
            services.resources.push_async_callback(ops.stop)
        if settings.calendar.port:
            feed = build_calendar_feed(settings, services.calendar)
            await feed.start(settings.calendar.host, settings.calendar.port)
            services.resources.push_async_callback(feed.stop)
        opened.pop_all()
    return services


# ---- the chat -------------------------------------------------------------------
async def start_chat_services(
    settings: Settings, cipher: CredentialCipher, bot: Bot, signer: ButtonSigner
) -> Services:
    """`start_services` with the chat's notifiers: each speaks through `bot` (PTB's
    `application.bot`); the seat watcher's buttons are signed by `signer`."""
    admins = settings.bot.admin_chat_ids

    def notifier(delivery: DeliveryService) -> TelegramNotifier:
        return TelegramNotifier(bot, render_again=delivery.render_again, admin_chat_ids=admins)

    captures = build_capturer(settings)  # one per process: chat notices and the seat watcher's
    return await start_services(
        settings,
        cipher,
        notifier,
        cupos_notifier=TelegramCuposNotifier(bot, signer, admins, captures),
        calendar_words=calendar_texts.CALENDAR_WORDS,
        daily_notifier=TelegramDailyNotifier(bot),
        captures=captures,
        grade_notifier=TelegramGradeNotifier(bot, admins, captures),
    )


@dataclass(frozen=True, slots=True)
class Tick:
    """Work the chat's job queue repeats every `interval` seconds, named `name`. `begins_work`:
    what it sends is work begun when it fires (`bot.core.worktime`), so `/olvidar` wins over it."""

    name: str
    interval: float
    run: Callable[[], Awaitable[object]]
    begins_work: bool = True


def chat_ticks(settings: Settings, services: Services) -> list[Tick]:
    """The background work the chat's job queue drives, each first a second after start."""
    return [
        Tick("weekly-tick", settings.weekly.tick_seconds, services.weekly.pump),
        # A tick's sends (seat watches' expiry notices) are work begun now.
        Tick("cupos-tick", settings.cupos.tick_seconds, services.cupos.tick),
        Tick("daily-tick", settings.daily.tick_seconds, services.daily.pump),
        Tick(
            "grades-tick",
            # Never slower than GRADES_POLL_SECONDS: a short interval means checks that often.
            min(settings.grades.tick_seconds, settings.grades.poll_seconds),
            services.grades.pump,
            begins_work=False,
        ),
    ]
