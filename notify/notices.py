"""Messages to one person that the transport sends straight away today: a client's payment and
refund notices (from the tracker bot) and alerts to an author or an admin (from the platform
bot). Written to the outbox inside the transaction of the fact they report, so they survive a
restart and go out once (the dedupe key).

Not called from the money flow yet: the delivery loop must first render these kinds, and the
direct sends they replace must go at the same time, or clients would hear everything twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models import Payment, Subscription, Tracker, User
from notify.events import ALERT, CLIENT_PAID, CLIENT_REFUNDED
from notify.outbox import PLATFORM_BOT, enqueue


async def _language(conn: BaseDBAsyncClient, user_id: int) -> str:
    found = await User.filter(id=user_id).using_db(conn).values_list("language_code", flat=True)
    return str(found[0] or "ru") if found else "ru"


async def payment_received(conn: BaseDBAsyncClient, payment_id: int, subscription: Subscription,
                           paid_until: datetime | None, *, renewal: bool) -> bool:
    """The client's "payment received" (or "renewed") with the end of their paid time; the
    renderer shows `until` as a date in the platform's zone."""
    tracker = await Tracker.get(id=subscription.tracker_id, using_db=conn)
    return await enqueue(
        conn, kind=CLIENT_PAID, bot_id=tracker.bot_id, chat_id=subscription.user_id,
        dedupe_key=f"client-paid:{payment_id}",
        params={"tracker": tracker.name, "until": paid_until.isoformat() if paid_until else "", "renewal": renewal},
        language=await _language(conn, subscription.user_id), tracker_id=tracker.id,
    )


async def payment_refunded(conn: BaseDBAsyncClient, payment: Payment) -> bool:
    """The client's "your payment of <amount> was refunded" (amount in kopecks)."""
    tracker = await Tracker.get(id=payment.tracker_id, using_db=conn)
    return await enqueue(
        conn, kind=CLIENT_REFUNDED, bot_id=tracker.bot_id, chat_id=payment.user_id,
        dedupe_key=f"client-refund:{payment.id}",
        params={"tracker": tracker.name, "amount": int(payment.amount_kopecks)},
        language=await _language(conn, payment.user_id), tracker_id=tracker.id,
    )


async def alert(conn: BaseDBAsyncClient, user_id: int, key: str, params: dict[str, Any], *, dedupe_key: str) -> bool:
    """An alert from the platform bot: the locale `key` with `params`, rendered in the recipient's
    language. `dedupe_key` names the occurrence (e.g. the `billing.alerts` claim with its time)."""
    return await enqueue(
        conn, kind=ALERT, bot_id=PLATFORM_BOT, chat_id=user_id, dedupe_key=f"alert:{dedupe_key}:{user_id}",
        params={"key": key, **params}, language=await _language(conn, user_id),
    )
