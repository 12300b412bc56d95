"""Settings from the environment and `.env` (pydantic-settings).

Names follow the design brief (`TELEGRAM_API_BASE`, `DATABASE_URL`, `OPENAI_BASE_URL`, ...);
nested groups use `__`, e.g. `COMMISSION__PLATFORM=20`.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.crypto import generate_key
from bot.private_files import tighten, write_once
from notify.redact import hide_password

BOT_TOKEN_RE = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,80}$")
# https://yookassa.ru/developers/payouts/making-payouts/bank-card/using-payout-widget/implementing-widget
YOOKASSA_PAYOUT_WIDGET_URL = "https://yookassa.ru/payouts-data/3.1.0/widget.js"
# https://yookassa.ru/developers/using-api/webhooks: the addresses YooKassa sends notifications from.
YOOKASSA_NOTIFY_SOURCES = (
    "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32"
)


class SettingProblem(ValueError):
    """A setting's problem told as the whole sentence the operator reads (`explain` keeps it)."""


# The database URL schemes tortoise-orm takes for the two databases the platform runs on, and the
# driver each needs: PostgreSQL's is the optional `[postgres]` extra.
_DRIVERS = {"sqlite": None, "postgres": "asyncpg", "postgresql": "asyncpg", "asyncpg": "asyncpg"}


class CommissionSchedule(BaseModel):
    """Shares of the margin in percent; they must add up to 100."""

    platform: Decimal = Decimal(20)
    author: Decimal = Decimal(20)
    l1: Decimal = Decimal(30)
    l2: Decimal = Decimal(20)
    l3: Decimal = Decimal(10)
    # Level 1 of a client who came without any invite link: "platform" (DESIGN.md) or "author".
    unattributed: Literal["platform", "author"] = "platform"

    @model_validator(mode="after")
    def _adds_up(self) -> CommissionSchedule:
        total = self.platform + self.author + self.l1 + self.l2 + self.l3
        if total != 100:
            raise ValueError(f"commission shares must add up to 100, not {total}")
        if min(self.platform, self.author, self.l1, self.l2, self.l3) < 0:
            raise ValueError("commission shares cannot be negative")
        return self

    def as_dict(self) -> dict[str, Decimal | str]:
        return {"platform": self.platform, "author": self.author, "l1": self.l1, "l2": self.l2, "l3": self.l3,
                "unattributed": self.unattributed}


class PaymentSettings(BaseModel):
    """The ways to pay, each on when configured (`PAYMENTS__...`)."""

    # Telegram Payments (cards, RUB): offered in every tracker whose author entered the provider
    # token @BotFather issued for that tracker's bot; Telegram refuses one bot's token in another.
    telegram_enabled: bool = True
    # Telegram Stars (XTR): prices are counted from RUB at `stars_rub_rate` RUB per star.
    stars_enabled: bool = False
    stars_rub_rate: Decimal = Decimal("1.5")
    # YooKassa payment links through the API, confirmed by POST /yookassa/notify.
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_url: str = "https://api.yookassa.ru/v3"
    yookassa_return_url: str | None = None   # default: back to the tracker bot (https://t.me/<bot>)
    yookassa_timeout: float = 10.0
    # Who may POST /yookassa/notify: YooKassa's published ranges (its "Входящие уведомления"
    # docs), comma-separated. Behind a reverse proxy the peer is the proxy: name the header it
    # writes the client's address into (Caddy: X-Forwarded-For); its last address is used.
    yookassa_notify_sources: str = YOOKASSA_NOTIFY_SOURCES
    yookassa_trusted_proxy_header: str | None = None
    # YooKassa payouts (a separate payout account: its agent id and key); off without them.
    yookassa_payout_agent_id: str | None = None
    yookassa_payout_secret_key: SecretStr | None = None
    # YooKassa's payout widget: takes a card number in its own form and gives back a card synonym
    # (the platform never holds card numbers); the Mini App's card page loads it from here.
    yookassa_payout_widget_url: str = YOOKASSA_PAYOUT_WIDGET_URL
    # 54-FZ receipts: the shop's tax system (1..6); with it Telegram asks the client for an email.
    tax_system_code: int | None = None
    vat_code: int = 1

    @field_validator("stars_rub_rate")
    @classmethod
    def _positive_rate(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be a positive number of RUB per star")
        return v

    @field_validator("yookassa_payout_widget_url")
    @classmethod
    def _widget_url(cls, v: str) -> str:
        v = v.strip()
        if not v.startswith(("https://", "http://")):
            raise ValueError("must be the widget script's http(s) address")
        return v

    @field_validator("yookassa_notify_sources")
    @classmethod
    def _networks(cls, v: str) -> str:
        for item in v.split(","):
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item.strip()!r} is not an IP address or network") from None
        return v

    @field_validator("yookassa_trusted_proxy_header")
    @classmethod
    def _header(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("tax_system_code")
    @classmethod
    def _tax_system(cls, v: int | None) -> int | None:
        if v is not None and v not in range(1, 7):
            raise ValueError("must be 1..6")
        return v

    @property
    def yookassa_enabled(self) -> bool:
        return bool(self.yookassa_shop_id and self.yookassa_secret_key
                    and self.yookassa_secret_key.get_secret_value().strip())

    @property
    def yookassa_payouts_enabled(self) -> bool:
        return bool(self.yookassa_payout_agent_id and self.yookassa_payout_secret_key
                    and self.yookassa_payout_secret_key.get_secret_value().strip())


class RetentionSettings(BaseModel):
    """How long rows that only record the past are kept (`RETENTION__...`); 0 keeps them forever.
    Money rows (payments, periods, the ledger, usage) are never deleted."""

    chat_days: int = Field(default=180, ge=0)        # the AI conversation history
    clicks_days: int = Field(default=365, ge=0)      # invite link clicks (the links' funnels count them)
    fsm_days: int = Field(default=30, ge=0)          # FSM / dialog state untouched this long
    outbox_days: int = Field(default=30, ge=0)       # outbox events delivered this long ago
    update_ids_hours: int = Field(default=48, ge=0)  # claimed update ids (Telegram redelivers for 24 h)


class DatabaseSettings(BaseSettings):
    """What the commands that only touch the database need (migrate, settle, simulate)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite://data/gptitor.sqlite3"
    # Not TIMEZONE: tortoise-orm writes its own TIMEZONE=UTC into the environment at init.
    platform_timezone: str = "Europe/Moscow"
    commission: CommissionSchedule = CommissionSchedule()

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, v: str) -> str:
        scheme, sep, rest = v.strip().partition("://")
        if not sep or scheme not in _DRIVERS or not rest:
            raise SettingProblem(
                f"DATABASE_URL {hide_password(v)!r} is not a database this platform runs on: give "
                "sqlite://data/gptitor.sqlite3 or postgres://user:password@host:5432/database."
            )
        driver = _DRIVERS[scheme]
        if driver is not None:
            try:
                importlib.import_module(driver)
            except ImportError:
                raise SettingProblem(
                    f"DATABASE_URL is a PostgreSQL URL, but its driver ({driver}) is not installed: "
                    "install the platform with it, pip install 'gptitor[postgres]'."
                ) from None
        return v.strip()

    @field_validator("platform_timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v.strip())
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"{v!r} is not a time zone") from None
        return v.strip()

    @property
    def timezone(self) -> str:
        return self.platform_timezone


class Settings(DatabaseSettings):
    bot_token: SecretStr = Field(description="the platform bot's token from @BotFather")
    # Without SECRET_KEY a key is made once and kept in data/secret.key (see _key_from_file).
    secret_key: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    secret_key_file: Path = Path("data/secret.key")
    telegram_api_base: str = "https://api.telegram.org"
    redis_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr = SecretStr("")
    default_model: str = "gpt-4o-mini"  # a tracker without its own model uses this one
    llm_timeout: float = 60.0  # seconds per network step of an LLM call (retries: llm.RetryPolicy)
    stream_edit_interval: float = 1.0  # seconds between edits of a streamed answer in one chat
    meetings_sweep_seconds: int = 60  # how often missing meetings are planned and idle ones ended

    webhook_base_url: str | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080

    # The partner cabinet on the web (issue 18): the public https base the Mini App's WebApp button
    # opens (Telegram opens only https pages), how old an initData may be at login, how long the
    # page's session lives, and each API token's request budget.
    webapp_base_url: str | None = None
    webapp_auth_max_age: int = Field(default=3600, ge=60)
    webapp_session_seconds: int = Field(default=900, ge=60)
    api_rate_per_minute: int = Field(default=60, ge=1)

    polling_timeout: int = 30
    # Several webhook workers (issue 8): the scheduler leader's lease, and how often a worker
    # picks up trackers that another worker added, re-tokened or deleted.
    leader_lease_seconds: float = 15.0
    tracker_sync_seconds: float = 30.0
    # How long a worker's claim on an outbox event lasts: a crashed worker's events wait this long.
    outbox_claim_seconds: float = 60.0
    # How long an update's handler may go silent before a redelivery takes it over (bot.updates);
    # a living handler renews its claim every third of it.
    update_claim_seconds: float = 60.0
    # /healthz and /metrics in polling mode (webhook mode serves them on the webhook server).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9150
    retention: RetentionSettings = RetentionSettings()
    settle_interval_minutes: int = 10
    renewal_interval_minutes: int = 15
    payments: PaymentSettings = PaymentSettings()
    payout_min_kopecks: int = 50000  # the smallest payout a partner or author may ask for

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr) -> SecretStr:
        if not BOT_TOKEN_RE.match(v.get_secret_value().strip()):
            raise ValueError("does not look like a bot token")
        return SecretStr(v.get_secret_value().strip())

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, v: SecretStr) -> SecretStr:
        try:
            Fernet(v.get_secret_value().strip().encode())
        except Exception as exc:  # noqa: BLE001 - any failure means the key is unusable
            raise ValueError("is not a Fernet key") from exc
        return SecretStr(v.get_secret_value().strip())

    @model_validator(mode="after")
    def _key_from_file(self) -> Settings:
        """A first run on one machine needs no key: one is generated and kept beside the data.
        Set SECRET_KEY explicitly when the database lives elsewhere (PostgreSQL), and back it up:
        without it the stored bot tokens cannot be read."""
        if self.secret_key is None:
            path = self.secret_key_file
            try:
                if path.exists():
                    tighten(path)
                    text = path.read_text(encoding="utf-8")
                else:
                    text = write_once(path, generate_key() + "\n")
            except OSError as exc:
                raise SettingProblem(
                    f"SECRET_KEY_FILE {path} cannot be read or written ({exc.strerror or exc}): "
                    "let this user write to its folder, or set SECRET_KEY."
                ) from None
            try:
                self.secret_key = self._fernet_key(SecretStr(text.strip()))
            except ValueError:
                raise SettingProblem(
                    f"SECRET_KEY_FILE {path} does not hold a key made by `gptitor keygen`: "
                    "restore it from your backup, or set SECRET_KEY."
                ) from None
        return self

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            return [int(part) for part in re.split(r"[,\s]+", v.strip()) if part]
        if isinstance(v, int):
            return [v]
        return v

    @field_validator("webapp_base_url")
    @classmethod
    def _https_base(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None
        if v is not None and not v.startswith("https://"):
            raise ValueError("must start with https://: Telegram opens Mini Apps only over https")
        return v.rstrip("/") if v else v

    @field_validator("telegram_api_base", "openai_base_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @property
    def bot_id(self) -> int:
        return int(self.bot_token.get_secret_value().split(":", 1)[0])

    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite://"):
            return Path(self.database_url.removeprefix("sqlite://"))
        return None


# One sentence per setting a person must fix, keyed by the pydantic field name.
_HOW_TO_FIX = {
    "bot_token": (
        "BOT_TOKEN is {problem}: create a bot with @BotFather in Telegram (/newbot), "
        "then put its token in .env as BOT_TOKEN=123456:ABC..."
    ),
    "secret_key": (
        "SECRET_KEY is {problem}: run `gptitor keygen` and put the printed key in .env as SECRET_KEY=..."
    ),
    "platform_timezone": (
        "PLATFORM_TIMEZONE is {problem}: give an IANA time zone name such as Europe/Moscow, "
        "Asia/Yekaterinburg or UTC."
    ),
    "commission": (
        "{name} is {problem}: COMMISSION__PLATFORM, __AUTHOR, __L1, __L2 and __L3 are percentages "
        "that add up to 100."
    ),
}


# Settings made of several variables (COMMISSION__L1, PAYMENTS__STARS_ENABLED, ...).
_GROUPS = {"commission", "payments"}


class ConfigError(Exception):
    """A setting is missing or malformed; `str()` is one sentence a person can act on."""


def explain(error: ValidationError) -> str:
    sentences = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, SettingProblem):
            sentences.append(str(cause))
            continue
        loc = [str(part) for part in item["loc"]] or ["settings"]
        name = "__".join(loc).upper()  # the variable to change: COMMISSION__L1, PAYMENTS__VAT_CODE
        if loc[0] in _GROUPS and len(loc) == 1:  # the group as a whole, e.g. shares that do not add up
            name += "__*"
        problem = "missing" if item["type"] == "missing" else f"malformed ({item['msg'].removeprefix('Value error, ')})"
        template = _HOW_TO_FIX.get(loc[0], "{name} is {problem}.")
        sentences.append(template.format(problem=problem, name=name))
    return " ".join(sentences)


def load_database_settings(**overrides: object) -> DatabaseSettings:
    """The settings of the commands that need only the database (migrate, settle, refund
    --record-only): no BOT_TOKEN asked for."""
    try:
        return DatabaseSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(explain(exc)) from None


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(explain(exc)) from None
