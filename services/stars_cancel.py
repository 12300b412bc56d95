"""Cancel a tracker's Stars subscriptions when its author deletes (or chooses to pause) it.

Telegram keeps renewing a Stars subscription for as long as the bot exists, whatever the platform
thinks of the tracker; once the token is wiped the platform can no longer see those charges. So the
tracker bot itself, while it still has its token, cancels every live one with
`editUserStarSubscription(is_canceled=True)` and tells the client. A client who blocked the bot is
still cancelled, just not told.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)

from billing.payments.renewals import set_auto_renew
from i18n.catalog import for_user
from models import AutoRenewal, PaymentProvider, Tracker, User

log = logging.getLogger(__name__)

# Telegram allows about 30 messages a second per bot; stay well below it.
SEND_GAP_SECONDS = 0.05
RETRY_AFTER_CAP_SECONDS = 30


async def _call(action):
    """One Bot API call, waiting out a flood limit once (Telegram says how long)."""
    try:
        return await action()
    except TelegramRetryAfter as exc:
        await asyncio.sleep(min(exc.retry_after, RETRY_AFTER_CAP_SECONDS))
        return await action()


async def cancel_stars_subscriptions(bot: Bot, tracker: Tracker, *, reason: str) -> int:
    """Cancels every Stars subscription on `tracker` that still renews; `reason` is "deleted" or
    "paused" (which message the client gets). Returns how many Telegram accepted."""
    rows = await AutoRenewal.filter(tracker_id=tracker.id, provider=PaymentProvider.STARS, enabled=True)
    cancelled = 0
    for row in rows:
        try:
            await _call(lambda row=row: bot.edit_user_star_subscription(
                user_id=row.user_id, telegram_payment_charge_id=row.method_id, is_canceled=True))
        except TelegramUnauthorizedError:
            # The token was revoked: no call of this bot can work, and only its owner can cancel now.
            log.warning("tracker %s: token revoked, its Stars subscriptions cannot be cancelled", tracker.id)
            break
        except TelegramAPIError as exc:
            # Already ended or refunded at Telegram: nothing renews, but it is not ours to count.
            log.warning("Stars subscription %s of user %s on tracker %s: %s", row.method_id, row.user_id,
                        tracker.id, exc)
            continue
        await set_auto_renew(tracker.id, row.user_id, False)
        cancelled += 1
        await _tell_client(bot, tracker, row.user_id, reason)
        await asyncio.sleep(SEND_GAP_SECONDS)
    if rows:
        log.info("tracker %s %s: %d of %d Stars subscriptions cancelled", tracker.id, reason, cancelled, len(rows))
    return cancelled


async def _tell_client(bot: Bot, tracker: Tracker, user_id: int, reason: str) -> None:
    user = await User.get_or_none(id=user_id)
    i18n = for_user(user.language_code if user else None)
    text = i18n(f"stars-cancelled-tracker-{reason}", name=tracker.name)
    try:
        await _call(lambda: bot.send_message(user_id, text))
    except TelegramForbiddenError:
        pass  # the client blocked the bot: the subscription is cancelled all the same
    except TelegramAPIError as exc:
        log.warning("could not tell user %s that tracker %s stopped renewing: %s", user_id, tracker.id, exc)
