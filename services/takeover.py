"""Someone else takes a bot's updates: another program polls with its token (a 409 that keeps
coming), or a webhook set elsewhere. Messages and payments then never reach the platform, so the
one who can fix it is told, once (`billing.alerts`: a key per bot and kind, with a cool-down so
a takeover that goes on is recalled daily, not at every retry): a tracker's author, or the
admins for the platform bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from billing.alerts import raise_alert
from models import Tracker

POLLER, WEBHOOK = "poller", "webhook"  # bot.supervisor's conflict kinds
COOLDOWN = timedelta(days=1)


async def alert_takeover(bot_id: int, kind: str, host: str, *, platform_bot_id: int, platform_username: str,
                         admin_ids: Sequence[int]) -> bool:
    """True if the alert was written now (to the outbox, from the platform bot)."""
    if bot_id == platform_bot_id:
        recipients, username = list(admin_ids), platform_username
    else:
        tracker = await Tracker.get_or_none(bot_id=bot_id)
        if tracker is None:
            return False
        recipients, username = [tracker.author_id], tracker.username
    if not recipients:
        return False
    key = "takeover-webhook" if kind == WEBHOOK else "takeover-poller"
    return await raise_alert(f"{key}:{bot_id}", recipients, key, {"username": username, "host": host},
                             cooldown=COOLDOWN)
