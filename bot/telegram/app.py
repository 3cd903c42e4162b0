"""The PTB Application: built from settings, owning the store and workflow it shares."""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import logs
from bot.config import Settings
from bot.ops.http import HealthSources, OpsServer
from bot.services.coordination import SharedUserGate
from bot.services.delivery import DeliveryService
from bot.services.gate import Gate, UserGate
from bot.services.pipeline import build_workflow
from bot.services.weekly import WeeklyService
from bot.store.crypto import CredentialCipher, KeyConfigError
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from bot.telegram import texts
from bot.telegram.handlers import errors, forget, register, schedule, start, stats, status, weekly
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.runtime import Runtime

log = logging.getLogger(__name__)
TOKEN_FORMAT = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
WEBHOOK_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(ValueError):
    pass


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
    try:
        return CredentialCipher([k.get_secret_value() for k in settings.store.encryption_keys])
    except KeyConfigError as error:
        raise ConfigError(str(error)) from None


def uses_shared_state(settings: Settings, dialect: str) -> bool:
    """Replicas need limits in the database; one process on SQLite keeps them in memory."""
    mode = settings.bot.shared_state
    return mode == "database" or (mode == "auto" and dialect == "postgresql")


def build_application(settings: Settings) -> Application:
    cipher = check_settings(settings)
    tg = settings.telegram

    async def post_init(application: Application) -> None:
        engine = create_engine(settings.store.database_url)
        await migrate(engine)
        store = Store(engine, cipher)
        if uses_shared_state(settings, engine.dialect.name):
            workflow = build_workflow(settings, shared=store.shared)
            gate: Gate = SharedUserGate(store.shared, settings.bot.horario_per_minute, settings.bot.shared_lease_seconds)
        else:
            workflow, gate = build_workflow(settings), UserGate(settings.bot.horario_per_minute)
        service = DeliveryService(store, workflow, gate)
        zone = ZoneInfo(settings.bot.bot_timezone)
        weekly_service = WeeklyService(service, settings.weekly, zone)
        weekly_service.notifier = TelegramNotifier(application.bot)
        application.bot_data["runtime"] = Runtime(settings, service, weekly_service, zone)
        if settings.bot.metrics_port:
            ops = OpsServer(
                HealthSources(engine, service.workflow.breaker, settings.weekly.tick_seconds),
                settings.bot.metrics_port,
            )
            await ops.start()
            application.bot_data["ops"] = ops
        application.job_queue.run_repeating(  # type: ignore[union-attr]
            _weekly_tick, interval=settings.weekly.tick_seconds, first=1.0, name="weekly-tick"
        )
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS])
        log.info("bot ready as @%s", application.bot.username)

    async def post_shutdown(application: Application) -> None:
        ops: OpsServer | None = application.bot_data.get("ops")
        if ops is not None:
            await ops.stop()
        rt: Runtime | None = application.bot_data.get("runtime")
        if rt is not None:
            await rt.weekly.aclose()
            await rt.service.workflow.aclose()
            await rt.service.store.engine.dispose()

    application = (
        ApplicationBuilder()
        .token(tg.bot_token.get_secret_value().strip())
        .base_url(tg.api_url)
        .base_file_url(tg.base_file_url)
        .rate_limiter(
            # One request per 1/N s rather than N per second: the default bucket lets a burst of
            # N through at once, and a sliding-window limit like Telegram's answers that with 429s.
            AIORateLimiter(overall_max_rate=1, overall_time_period=1 / tg.sends_per_second, max_retries=5)
        )
        .get_updates_read_timeout(tg.poll_timeout + 10)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    application.add_handler(CommandHandler("registrar", register.begin))
    application.add_handler(CommandHandler("cancelar", register.cancel))
    application.add_handler(CallbackQueryHandler(register.chose_career, pattern=f"^{register.CAREER_PREFIX}"))
    application.add_handler(CommandHandler(["start", "ayuda"], start.start))
    application.add_handler(CommandHandler("horario", schedule.horario, block=False))
    application.add_handler(CommandHandler("estado", status.estado))
    application.add_handler(CommandHandler("semanal", weekly.semanal))
    application.add_handler(CommandHandler("stats", stats.stats))
    application.add_handler(CallbackQueryHandler(weekly.on_button, pattern=f"^{weekly.PREFIX}"))
    application.add_handler(CommandHandler("olvidar", forget.ask))
    application.add_handler(CallbackQueryHandler(forget.answer, pattern="^forget:"))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, register.on_text))
    application.add_handler(MessageHandler(filters.ALL, start.hint))
    application.add_error_handler(errors.on_error)


async def _weekly_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.bot_data["runtime"].weekly.pump()


def run() -> int:
    """Polling by default; webhook mode when TELEGRAM_WEBHOOK_URL is set (needed for replicas)."""
    settings = Settings()
    logs.configure(settings.bot.log_level, settings.bot.log_format)
    try:
        application = build_application(settings)
    except ConfigError as error:
        print(f"horario-bot: {error}", file=sys.stderr)
        return 2
    tg = settings.telegram
    allowed = [Update.MESSAGE, Update.CALLBACK_QUERY]
    if tg.webhook_url:
        application.run_webhook(
            listen=tg.webhook_listen,
            port=tg.webhook_port,
            url_path=urlsplit(tg.webhook_url).path.lstrip("/"),
            webhook_url=tg.webhook_url,
            secret_token=tg.webhook_secret.get_secret_value(),
            allowed_updates=allowed,
        )
    else:
        application.run_polling(allowed_updates=allowed, timeout=int(tg.poll_timeout))
    return 0
