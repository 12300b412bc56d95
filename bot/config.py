"""Settings from the environment and `.env` (pydantic-settings).

Names follow the design brief (`TELEGRAM_API_BASE`, `DATABASE_URL`, `OPENAI_BASE_URL`, ...);
nested groups use `__`, e.g. `COMMISSION__PLATFORM=20`.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.crypto import generate_key

BOT_TOKEN_RE = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,80}$")
# https://yookassa.ru/developers/using-api/webhooks: the addresses YooKassa sends notifications from.
YOOKASSA_NOTIFY_SOURCES = (
    "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32"
)


class CommissionSchedule(BaseModel):
    """Shares of the margin in percent; they must add up to 100."""

    platform: Decimal = Decimal(20)
    author: Decimal = Decimal(20)
    l1: Decimal = Decimal(30)
    l2: Decimal = Decimal(20)
    l3: Decimal = Decimal(10)

    @model_validator(mode="after")
    def _adds_up(self) -> CommissionSchedule:
        total = self.platform + self.author + self.l1 + self.l2 + self.l3
        if total != 100:
            raise ValueError(f"commission shares must add up to 100, not {total}")
        if min(self.platform, self.author, self.l1, self.l2, self.l3) < 0:
            raise ValueError("commission shares cannot be negative")
        return self

    def as_dict(self) -> dict[str, Decimal]:
        return {"platform": self.platform, "author": self.author, "l1": self.l1, "l2": self.l2, "l3": self.l3}


class PaymentSettings(BaseModel):
    """The ways to pay, each on when configured (`PAYMENTS__...`)."""

    # Telegram Payments: the provider token from @BotFather (Payments → YooKassa). RUB, kopecks.
    provider_token: SecretStr | None = None
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
    # 54-FZ receipts: the shop's tax system (1..6); with it Telegram asks the client for an email.
    tax_system_code: int | None = None
    vat_code: int = 1

    @field_validator("stars_rub_rate")
    @classmethod
    def _positive_rate(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be a positive number of RUB per star")
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
    def telegram_enabled(self) -> bool:
        return bool(self.provider_token and self.provider_token.get_secret_value().strip())

    @property
    def yookassa_enabled(self) -> bool:
        return bool(self.yookassa_shop_id and self.yookassa_secret_key
                    and self.yookassa_secret_key.get_secret_value().strip())

    @property
    def yookassa_payouts_enabled(self) -> bool:
        return bool(self.yookassa_payout_agent_id and self.yookassa_payout_secret_key
                    and self.yookassa_payout_secret_key.get_secret_value().strip())


class DatabaseSettings(BaseSettings):
    """What the commands that only touch the database need (migrate, settle, simulate)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite://data/gptitor.sqlite3"
    # Not TIMEZONE: tortoise-orm writes its own TIMEZONE=UTC into the environment at init.
    platform_timezone: str = "Europe/Moscow"
    commission: CommissionSchedule = CommissionSchedule()

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

    polling_timeout: int = 30
    # Several webhook workers (issue 8): the scheduler leader's lease, and how often a worker
    # picks up trackers that another worker added, re-tokened or deleted.
    leader_lease_seconds: float = 15.0
    tracker_sync_seconds: float = 30.0
    # How long a worker's claim on an outbox event lasts: a crashed worker's events wait this long.
    outbox_claim_seconds: float = 60.0
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
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(generate_key() + "\n", encoding="utf-8")
                path.chmod(0o600)
            self.secret_key = self._fernet_key(SecretStr(path.read_text(encoding="utf-8").strip()))
        return self

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            return [int(part) for part in re.split(r"[,\s]+", v.strip()) if part]
        if isinstance(v, int):
            return [v]
        return v

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
}


class ConfigError(Exception):
    """A setting is missing or malformed; `str()` is one sentence a person can act on."""


def explain(error: ValidationError) -> str:
    sentences = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "settings"
        problem = "missing" if item["type"] == "missing" else f"malformed ({item['msg'].removeprefix('Value error, ')})"
        template = _HOW_TO_FIX.get(field, field.upper() + " is {problem}.")
        sentences.append(template.format(problem=problem))
    return " ".join(sentences)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(explain(exc)) from None
