"""What the services need from the process that runs them, as Protocols.

The composition root (`bot.app.Runtime`, the CLI) owns the live objects: the bots, the secret box,
the settings read from the environment, the scheduler. Services are built by it and only see these
narrow views, so they never import `bot/` and a test can hand them a small stand-in. The settings
stay a `bot/` class (they read `.env` and may write the secret key file: start-up business); here
are only the attributes the services read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from aiogram import Bot
from pydantic import SecretStr

from models import Tracker


class Secrets(Protocol):
    """`bot.crypto.SecretBox`: secrets at rest and signed payloads."""

    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, ciphertext: str) -> str: ...
    def sign(self, message: str, length: int = 16) -> str: ...
    def verify(self, message: str, signature: str, length: int = 16) -> bool: ...


class Bots(Protocol):
    """`bot.registry.BotRegistry`: the bots this process serves, and new ones on the same session."""

    def make(self, token: str) -> Bot: ...
    def get(self, bot_id: int) -> Bot | None: ...


class PaymentOptions(Protocol):
    """`bot.config.PaymentSettings`: which ways to pay are on."""

    telegram_enabled: bool
    stars_enabled: bool
    stars_rub_rate: Decimal
    yookassa_shop_id: str | None
    yookassa_secret_key: SecretStr | None
    yookassa_api_url: str
    yookassa_return_url: str | None
    yookassa_timeout: float
    yookassa_notify_sources: str
    yookassa_trusted_proxy_header: str | None
    tax_system_code: int | None
    vat_code: int

    @property
    def yookassa_enabled(self) -> bool: ...


class AIOptions(Protocol):
    """`bot.config.Settings`, the part the AI runtime reads."""

    openai_base_url: str
    openai_api_key: SecretStr
    default_model: str
    llm_timeout: float
    stream_edit_interval: float
    meetings_sweep_seconds: int
    admin_ids: list[int]

    @property
    def timezone(self) -> str: ...


class Host(Protocol):
    """`bot.app.Runtime` as the tracker service and the AI runtime see it."""

    settings: AIOptions
    box: Secrets
    registry: Bots
    platform_bot: Bot
    scheduler: Any  # scheduler.base.Scheduler once started

    async def serve_tracker(self, tracker: Tracker, *, register: bool = True) -> None: ...
    async def unserve_tracker(self, bot_id: int) -> None: ...
    async def publish_description(self, tracker: Tracker) -> None: ...
    async def notify(self, user_id: int, text: str, **kwargs: Any) -> bool: ...
