"""The PTB Application: built from settings; `bot.bootstrap` builds the services it hands to handlers."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import logs
from bot.bootstrap import (
    ConfigError,
    Tick,
    button_key,
    chat_ticks,
    check_settings,
    start_chat_services,
)
from bot.config import Settings
from bot.core.worktime import begin_work
from bot.core.zones import zone
from bot.telegram import buttons, progress
from bot.telegram.buttons import ButtonSigner
from bot.telegram.handlers import (
    armar,
    calendar,
    cupos,
    daily,
    errors,
    everyday,
    forget,
    friends,
    grades,
    register,
    schedule,
    start,
    stats,
    status,
    weekly,
)
from bot.telegram.runtime import Runtime
from bot.telegram.send_gate import SendGate
from bot.telegram.texts import friends as friends_texts
from bot.telegram.texts import grades as grades_words
from bot.telegram.texts import planner as planner_words
from bot.telegram.texts import start as start_words
from bot.telegram.updates import PerUserUpdateProcessor
from bot.telegram.webhook import WebhookFront

log = logging.getLogger(__name__)
# PTB's defaults for bot, context, user/chat/bot data and job queue; nothing here narrows them.
BotApplication = Application[Any, Any, Any, Any, Any, Any]
MAX_RUNNING_UPDATES = 256  # updates handled at once; each user's own still one at a time


def build_application(settings: Settings) -> BotApplication:
    """Raises `ConfigError` on a missing or malformed token or key, before anything starts."""
    cipher = check_settings(settings)
    tg = settings.telegram
    signer = ButtonSigner(button_key(cipher))
    # One request per 1/N s rather than N per second: the default bucket lets a burst of
    # N through at once, and a sliding-window limit like Telegram's answers that with 429s.
    # The send gate around it drops sends to a student erased after their work began.
    send_gate = SendGate(
        AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / tg.sends_per_second, max_retries=5
        )
    )

    async def post_init(application: BotApplication) -> None:
        services = await start_chat_services(settings, cipher, application.bot, signer)
        send_gate.ledger = services.erasures
        application.bot_data["runtime"] = Runtime(
            settings, services, zone(settings.bot.bot_timezone), signer
        )
        await progress.finish_leftovers(application.bot, services.progress)
        for tick in chat_ticks(settings, services):
            application.job_queue.run_repeating(  # type: ignore[union-attr]
                _job(tick), interval=tick.interval, first=1.0, name=tick.name
            )
        await application.bot.set_my_commands(
            [
                BotCommand(c, d)
                for c, d in (
                    *start_words.COMMANDS,
                    planner_words.COMMAND,
                    *friends_texts.COMMANDS,
                    grades_words.COMMAND,
                )
            ]
        )
        log.info("bot ready as @%s", application.bot.username)

    async def post_shutdown(application: BotApplication) -> None:
        rt: Runtime | None = application.bot_data.get("runtime")
        if rt is not None:
            await rt.services.aclose()

    application = (
        ApplicationBuilder()
        .token(tg.bot_token.get_secret_value().strip())
        .base_url(tg.api_url)
        .base_file_url(tg.base_file_url)
        .rate_limiter(send_gate)
        .get_updates_read_timeout(tg.poll_timeout + 10)
        .concurrent_updates(PerUserUpdateProcessor(MAX_RUNNING_UPDATES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    add_handlers(application)
    return application


def add_handlers(application: BotApplication) -> None:
    application.add_handler(CommandHandler("registrar", register.begin))
    application.add_handler(CommandHandler("cancelar", register.cancel))
    application.add_handler(
        CallbackQueryHandler(register.chose_career, pattern=f"^{register.CAREER_PREFIX}")
    )
    application.add_handler(CommandHandler(["start", "ayuda"], start.start))
    application.add_handler(CommandHandler("horario", schedule.horario, block=False))
    application.add_handler(CommandHandler("estado", status.estado))
    application.add_handler(CommandHandler("semanal", weekly.semanal))
    application.add_handler(CommandHandler("stats", stats.stats))
    application.add_handler(CallbackQueryHandler(weekly.on_button, pattern=f"^{weekly.PREFIX}"))
    application.add_handler(CommandHandler("armar", armar.armar, block=False))
    application.add_handler(
        CallbackQueryHandler(armar.on_button, pattern=f"^{armar.PREFIX}", block=False)
    )
    application.add_handler(
        CallbackQueryHandler(armar.on_picture, pattern=f"^{armar.PICTURE_PREFIX}", block=False)
    )
    application.add_handler(CommandHandler("cupos", cupos.cupos))
    application.add_handler(CallbackQueryHandler(cupos.on_button, pattern=f"^{cupos.PREFIX}"))
    application.add_handler(CommandHandler("calendario", calendar.calendario))
    application.add_handler(CommandHandler("diario", daily.diario))
    application.add_handler(CommandHandler("recordatorio", daily.recordatorio))
    application.add_handler(CallbackQueryHandler(daily.on_button, pattern=f"^{daily.PREFIX}"))
    application.add_handler(CommandHandler("hoy", everyday.hoy, block=False))
    application.add_handler(CommandHandler("manana", everyday.manana, block=False))
    application.add_handler(CommandHandler("siguiente", everyday.siguiente, block=False))
    application.add_handler(CommandHandler("calificaciones", grades.calificaciones, block=False))
    application.add_handler(
        CallbackQueryHandler(grades.on_button, pattern=f"^{grades.PREFIX}", block=False)
    )
    application.add_handler(CommandHandler("amigos", friends.amigos))
    application.add_handler(CommandHandler("libres", friends.libres))
    application.add_handler(CommandHandler("compartir", friends.compartir))
    application.add_handler(CommandHandler("nocompartir", friends.nocompartir))
    application.add_handler(
        CallbackQueryHandler(friends.on_picture, pattern=friends.PICTURE_PATTERN, block=False)
    )
    application.add_handler(CallbackQueryHandler(friends.on_button, pattern=f"^{friends.PREFIX}"))
    application.add_handler(
        ChatMemberHandler(friends.member_changed, ChatMemberHandler.CHAT_MEMBER)
    )
    application.add_handler(
        ChatMemberHandler(friends.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(
        MessageHandler(
            filters.StatusUpdate.LEFT_CHAT_MEMBER | filters.StatusUpdate.MIGRATE,
            friends.left_or_migrated,
        )
    )
    application.add_handler(CommandHandler("olvidar", forget.ask))
    application.add_handler(CallbackQueryHandler(forget.answer, pattern="^forget:"))
    application.add_handler(
        CallbackQueryHandler(buttons.refuse_unknown)
    )  # after every keyboard's own
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, register.on_text))
    application.add_handler(MessageHandler(filters.ALL, start.hint))
    application.add_error_handler(errors.on_error)


def _job(tick: Tick) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """The job queue's callback for a tick bootstrap defines."""

    async def run(_: ContextTypes.DEFAULT_TYPE) -> None:
        if tick.begins_work:
            begin_work()
        await tick.run()

    return run


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
    # chat_member: a member left a group (friends' group shares); my_chat_member: the bot did.
    allowed = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.CHAT_MEMBER, Update.MY_CHAT_MEMBER]
    if tg.webhook_url:
        asyncio.run(_serve_webhook(application, settings, allowed))
    else:
        application.run_polling(allowed_updates=allowed, timeout=int(tg.poll_timeout))
    return 0


async def _serve_webhook(
    application: BotApplication, settings: Settings, allowed: list[str]
) -> None:
    """What PTB's `run_webhook` does, with our own HTTP front (`bot.telegram.webhook`): it
    checks the secret before reading a body, caps bodies and times out slow headers."""
    tg = settings.telegram
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    secret = tg.webhook_secret.get_secret_value()
    front = WebhookFront(
        application,
        urlsplit(tg.webhook_url).path,
        secret,
        max_body=tg.webhook_max_body_bytes,
        header_timeout=tg.webhook_header_timeout,
    )
    async with application:  # initialize() … shutdown()
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await front.start(tg.webhook_listen, tg.webhook_port)
            await application.bot.set_webhook(
                tg.webhook_url, secret_token=secret, allowed_updates=allowed
            )
            await application.start()
            await stop.wait()
        finally:
            await front.stop()
            if application.running:
                await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
