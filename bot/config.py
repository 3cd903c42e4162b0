"""Settings read from the environment and `.env`, one section per concern."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class TelegramSettings(BaseSettings):
    model_config = _section("TELEGRAM_")

    bot_token: SecretStr = SecretStr("")
    api_url: str = "https://api.telegram.org/bot"
    file_url: str = ""
    poll_timeout: float = 10.0
    sends_per_second: float = Field(
        default=29.0, gt=0, description="our pace, under Telegram's ~30/s"
    )
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_max_body_bytes: int = Field(default=1_048_576, gt=0, description="larger posts get 413")
    webhook_header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="a connection that has not sent its headers by then is closed",
    )

    @property
    def base_file_url(self) -> str:
        if self.file_url:
            return self.file_url
        return self.api_url.replace("/bot", "/file/bot", 1)


class SiiauSettings(BaseSettings):
    model_config = _section("SIIAU_")

    base_url: str = "https://siiauescolar.siiau.udg.mx"  # Escolar
    portal_url: str = "https://mw.siiau.udg.mx"  # the central Portal (JSF) that students log in to
    login: Literal["auto", "portal", "direct"] = Field(
        default="auto",
        description="auto: the path that worked last (rechecked daily), else the Portal, else direct",
    )
    schedule_source: Literal["auto", "horario", "registro"] = Field(
        default="auto",
        description="auto: the schedule page, else REGISTRO → Lista joined with the offer when it is missing or unknown",
    )
    user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) horario-bot/0.2 (student-owned schedule reader)"
    )
    verify_tls: bool = True
    ca_bundle: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_concurrency: int = Field(default=4, ge=1)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    task_timeout: float = Field(default=60.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_cooldown: float = Field(default=60.0, ge=0)
    max_logins_per_hour: int = Field(default=6, ge=1)
    offer_url: str = "https://consulta.siiau.udg.mx/wco"
    orphan_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="after a login that got no answer, log in and out again this much later; 0 = off",
    )
    capture_dir: str = Field(
        default="", description="where pages the bot cannot read are saved, redacted; empty = off"
    )
    capture_max: int = Field(
        default=50, ge=1, description="captures kept in capture_dir; the oldest is removed first"
    )

    @property
    def tls_verify(self) -> bool | str:
        return self.ca_bundle or self.verify_tls


class PdfSettings(BaseSettings):
    model_config = _section("PDF_")

    wkhtmltopdf: str = "wkhtmltopdf"
    wkhtmltoimage: str = Field(
        default="wkhtmltoimage", description="PNGs (the planner, /horario as a picture)"
    )
    render_timeout: float = Field(default=30.0, gt=0)
    max_workers: int = Field(default=0, ge=0, description="0 means the CPU count")
    prewarm: int = Field(default=1, ge=0, description="wkhtmltopdf processes kept started")


class WeeklySettings(BaseSettings):
    model_config = _section("WEEKLY_")

    tick_seconds: float = Field(default=30.0, gt=0)
    spread_seconds: int = Field(default=1800, ge=0, description="due times spread over this window")
    lease_seconds: int = Field(default=600, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    retry_base_seconds: int = Field(default=300, ge=1)
    concurrency: int = Field(default=16, ge=1, description="claims being delivered at once")


class CuposSettings(BaseSettings):
    model_config = _section("CUPOS_")

    poll_seconds: int = Field(
        default=300, ge=1, description="one round: every watched subject polled once"
    )
    max_concurrency: int = Field(
        default=2, ge=1, description="offer requests in flight, apart from SIIAU sessions"
    )
    max_per_user: int = Field(default=10, ge=1)
    watch_days: int = Field(default=21, ge=1)
    jitter_seconds: float = Field(
        default=10.0, ge=0, description="random shift of each poll within its round"
    )
    tick_seconds: float = Field(default=5.0, gt=0)
    lease_seconds: int = Field(
        default=120, ge=1, description="a claimed poll not finished by then is free again"
    )
    max_backoff_rounds: int = Field(
        default=8, ge=1, description="a failing subject waits up to this many rounds"
    )
    form_max_age_seconds: int = Field(
        default=86400, ge=60, description="the offer form (cycles, centres) cache"
    )


class PlannerSettings(BaseSettings):
    model_config = _section("PLANNER_")

    offer_max_age_seconds: int = Field(
        default=300, ge=0, description="an offer copy this young answers /armar without a request"
    )


class ScheduleSettings(BaseSettings):
    model_config = _section("SCHEDULE_")

    max_age_days: float = Field(
        default=7, gt=0, description="older stored schedules are refreshed from SIIAU"
    )
    days_off_file: str = Field(
        default="", description="an edited copy of bot/schedule/data/dias_inhabiles.toml"
    )
    read_at_registration: bool = Field(
        default=True,
        description="registration reads the schedule and renders its PDF in its own SIIAU session (one more request)",
    )


class CalendarSettings(BaseSettings):
    model_config = _section("CALENDAR_")

    public_url: str = Field(
        default="", description="https://host[:port] in front of the feed; empty: no live link"
    )
    port: int = Field(default=0, ge=0, le=65535, description="the feed's own HTTP server; 0 = off")
    host: str = Field(
        default="127.0.0.1", description="where it listens: behind an HTTPS reverse proxy"
    )
    requests_per_minute: int = Field(default=20, ge=1, description="per link; more get 429")
    header_timeout: float = Field(
        default=10.0, gt=0, description="a request whose headers are not in by then is dropped"
    )
    max_connections: int = Field(
        default=200, ge=1, description="open connections at once; more are closed at once"
    )
    unknown_per_minute: int = Field(
        default=60, ge=1, description="requests for unknown tokens per client address; more get 429"
    )

    @property
    def feed_enabled(self) -> bool:
        return bool(self.public_url.strip())


class DailySettings(BaseSettings):
    model_config = _section("DAILY_")

    spread_seconds: int = Field(
        default=600, ge=0, description="digest due times spread over this window"
    )
    tick_seconds: float = Field(
        default=20.0, gt=0, description="reminders go out within about one tick"
    )
    lease_seconds: int = Field(
        default=120, gt=0, description="a claim not finished by then is free again"
    )
    concurrency: int = Field(
        default=16, ge=1, description="digests and reminders being sent at once"
    )


class GradesSettings(BaseSettings):
    model_config = _section("GRADES_")

    window_days: int = Field(
        default=21, ge=0, description="polling starts this long before the cycle's FECHA FIN"
    )
    after_days: int = Field(
        default=60, ge=0, description="and ends this long after it, if grades are still missing"
    )
    poll_seconds: int = Field(
        default=10800, gt=0, description="each student is checked at most this often"
    )
    jitter_seconds: int = Field(
        default=30, ge=0, description="each interval is longer by up to this, at random"
    )
    idle_seconds: int = Field(
        default=7 * 86400, gt=0, description="recheck after a complete boleta or a closed window"
    )
    tick_seconds: float = Field(
        default=30.0, gt=0, description="due checks and pending alerts are claimed this often"
    )
    lease_seconds: int = Field(
        default=600, gt=0, description="a claim not finished by then is free again"
    )
    concurrency: int = Field(
        default=2, ge=1, description="grade checks at once (within SIIAU_MAX_CONCURRENCY)"
    )


class FriendsSettings(BaseSettings):
    model_config = _section("FRIENDS_")

    max_friends: int = Field(
        default=50, ge=1, validation_alias="FRIENDS_MAX", description="friends per student"
    )
    min_free_minutes: int = Field(
        default=30, ge=1, le=840, description="shorter free windows are not shown"
    )
    member_check_seconds: int = Field(
        default=3600,
        ge=0,
        description="a group member not confirmed for this long is looked up (getChatMember)",
    )


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/horario.db"
    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # Key of the login guard's hashes of codes; empty derives one from the newest encryption key
    # (then a key rotation starts the guard's counts afresh).
    login_guard_secret: SecretStr = SecretStr("")

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        return _split_csv(value)


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    admin_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    bot_timezone: str = "America/Mexico_City"
    horario_per_minute: int = Field(default=3, ge=1)
    log_level: str = "INFO"
    log_format: str = Field(default="kv", pattern="^(kv|json)$")
    metrics_port: int = 0
    metrics_host: str = Field(default="127.0.0.1", description="where /healthz and /metrics listen")
    shared_state: str = Field(default="auto", pattern="^(auto|local|database)$")
    shared_lease_seconds: float = Field(
        default=30.0, gt=0, description="shared leases, renewed while held"
    )

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        return _split_csv(value)


class Settings:
    """All sections together; each reads its own variables lazily."""

    @cached_property
    def telegram(self) -> TelegramSettings:
        return TelegramSettings()

    @cached_property
    def siiau(self) -> SiiauSettings:
        return SiiauSettings()

    @cached_property
    def pdf(self) -> PdfSettings:
        return PdfSettings()

    @cached_property
    def schedule(self) -> ScheduleSettings:
        return ScheduleSettings()

    @cached_property
    def calendar(self) -> CalendarSettings:
        return CalendarSettings()

    @cached_property
    def store(self) -> StoreSettings:
        return StoreSettings()

    @cached_property
    def weekly(self) -> WeeklySettings:
        return WeeklySettings()

    @cached_property
    def daily(self) -> DailySettings:
        return DailySettings()

    @cached_property
    def grades(self) -> GradesSettings:
        return GradesSettings()

    @cached_property
    def cupos(self) -> CuposSettings:
        return CuposSettings()

    @cached_property
    def friends(self) -> FriendsSettings:
        return FriendsSettings()

    @cached_property
    def planner(self) -> PlannerSettings:
        return PlannerSettings()

    @cached_property
    def bot(self) -> BotSettings:
        return BotSettings()
