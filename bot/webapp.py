"""The web cabinet's wiring: its settings and secrets turned into services.web's WebConfig, and
its routes put on whichever aiohttp server this process runs (services.web.server)."""

from __future__ import annotations

import hashlib
import logging

from aiohttp import web

from bot.config import Settings
from bot.crypto import SecretBox
from models import Tracker, TrackerStatus
from services.web.http import WebConfig
from services.web.initdata import SessionSigner
from services.web.ratelimit import RateLimiter
from services.web.server import add_web_routes

log = logging.getLogger(__name__)


def web_config(settings: Settings, box: SecretBox) -> WebConfig:
    platform_token = settings.bot_token.get_secret_value()

    async def bot_token(kind: str, bot_id: int) -> str | None:
        """The token of the bot a page says it was opened from; None for a bot that is not ours."""
        if kind == "platform":
            return platform_token if bot_id == settings.bot_id else None
        tracker = await Tracker.get_or_none(bot_id=bot_id, status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED])
        if tracker is None:
            return None
        try:
            return box.decrypt(tracker.token_encrypted)
        except Exception:  # a token stored under another SECRET_KEY: that bot's pages cannot log in
            log.error("tracker %s: its token cannot be decrypted for a Mini App login", tracker.id)
            return None

    # The session key is derived from SECRET_KEY, so every worker checks every other's sessions.
    secret = hashlib.sha256(b"gptitor-webapp:" + settings.secret_key.get_secret_value().encode()).digest()
    return WebConfig(
        signer=SessionSigner(secret, lifetime=settings.webapp_session_seconds),
        limiter=RateLimiter(settings.api_rate_per_minute),
        bot_token=bot_token,
        platform_bot_id=settings.bot_id,
        auth_max_age=settings.webapp_auth_max_age,
        timezone=settings.timezone,
        commission=settings.commission,
        box=box,
        payout_widget_url=settings.payments.yookassa_payout_widget_url,
        # The widget pays from the payout account: without it, cards are not offered at all.
        payout_account_id=settings.payments.yookassa_payout_agent_id if settings.payments.yookassa_payouts_enabled
        else None,
    )


def mount(app: web.Application, settings: Settings, box: SecretBox) -> None:
    add_web_routes(app, web_config(settings, box))
