"""Where the platform bot's WebApp buttons point: pages of the Mini App opened from this bot, so
their initData comes signed with the platform bot's token (services.web logs it in for that user).

The rule is the tracker bot cabinet's (dialogs.tracker.partner.api_tokens.webapp_url): a button
only when WEBAPP_BASE_URL is set, since Telegram takes a web_app button with an https address only
and the setting is refused at start-up unless it is https."""

from __future__ import annotations

from typing import Any


def platform_page_url(settings: Any, path: str = "") -> str:
    """The address of the Mini App page `path` of the platform bot, or "" without the https base."""
    base = getattr(settings, "webapp_base_url", None) if settings is not None else None
    return f"{base}/app/platform/{settings.bot_id}{path}" if base else ""


def dashboard_page_url(settings: Any, tracker_id: int) -> str:
    return platform_page_url(settings, f"/dashboard/{tracker_id}")


def programs_page_url(settings: Any) -> str:
    return platform_page_url(settings, "/programs")
