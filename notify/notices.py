"""Messages to one person: a client's notices from the tracker bot (payment received, renewed,
refunded, reminders, a declined renewal) and alerts to an author or an admin from the platform
bot. Written to the outbox inside the transaction of the fact they report, so they go out once
(the dedupe key) and survive a restart; `services.outbox` renders and sends them.

A notice carries a locale key and plain values: `amount` in kopecks, `until` as the local date
(ISO) in the platform's zone; the renderer formats them in the reader's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from models import Payment, Subscription, Tracker, User
from notify.events import ALERT, CLIENT_NOTICE
from notify.outbox import PLATFORM_BOT, enqueue
from notify.redact import redact


async def _language(conn: BaseDBAsyncClient, user_id: int) -> str:
    found = await User.filter(id=user_id).using_db(conn).values_list("language_code", flat=True)
    return str(found[0] or "ru") if found else "ru"


def local_day(moment: datetime | None, tz: str | ZoneInfo | None) -> str:
    """`moment` as the date it is in the platform's zone, ISO; "" for none."""
    if moment is None:
        return ""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return (moment.astimezone(zone) if zone else moment).date().isoformat()


def read_day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


async def to_client(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, key: str, params: dict[str, Any], *,
                    dedupe_key: str) -> bool:
    """The locale `key` from the tracker bot to a client, with the tracker's name as `name`.
    False when this `dedupe_key` was written before."""
    tracker = await Tracker.get(id=tracker_id, using_db=conn)
    return await enqueue(
        conn, kind=CLIENT_NOTICE, bot_id=tracker.bot_id, chat_id=user_id, dedupe_key=dedupe_key,
        params={"key": key, "name": tracker.name, **params}, language=await _language(conn, user_id),
        tracker_id=tracker.id,
    )


async def payment_received(conn: BaseDBAsyncClient, payment_id: int, subscription: Subscription,
                           paid_until: datetime | None, *, renewal: bool, tz: str | ZoneInfo | None) -> bool:
    """"Payment received, active until ..." (or "renewed until ...") for one payment."""
    return await to_client(
        conn, subscription.tracker_id, subscription.user_id, "payment-renewed" if renewal else "payment-success",
        {"until": local_day(paid_until, tz)}, dedupe_key=f"client-paid:{payment_id}",
    )


# The nudge's locale key: the delivery loop gives it a share button and the cabinet's.
EARN_NUDGE = "payment-earn-nudge"


async def earn_nudge(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, url: str) -> bool:
    """"You can now earn: here is your link", right after a client's first "payment received"
    (the same chat's queue keeps the order). Once per client and tracker, whatever happens later."""
    return await to_client(conn, tracker_id, user_id, EARN_NUDGE, {"url": url},
                           dedupe_key=f"client-earn:{tracker_id}:{user_id}")


async def payment_refunded(conn: BaseDBAsyncClient, payment: Payment) -> bool:
    """"Your payment of <amount> was refunded" (amount in kopecks)."""
    return await to_client(
        conn, payment.tracker_id, payment.user_id, "payment-refunded", {"amount": int(payment.amount_kopecks)},
        dedupe_key=f"client-refund:{payment.id}",
    )


async def alert(conn: BaseDBAsyncClient, user_id: int, key: str, params: dict[str, Any], *, dedupe_key: str) -> bool:
    """An alert from the platform bot: the locale `key` with `params`, rendered in the recipient's
    language. `dedupe_key` names the occurrence (e.g. the `billing.alerts` claim with its time)."""
    return await enqueue(
        conn, kind=ALERT, bot_id=PLATFORM_BOT, chat_id=user_id, dedupe_key=f"alert:{dedupe_key}:{user_id}",
        # An alert may quote an error; what goes to a person never carries a token.
        params={"key": key, **{k: redact(v) if isinstance(v, str) else v for k, v in params.items()}},
        language=await _language(conn, user_id),
    )
