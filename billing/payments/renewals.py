"""Before paid time runs out: reminders (each sent once), the YooKassa renewals that are due, the
client's auto-renewal switch, and what /subscription shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.subscriptions import current_end
from models import (
    AutoRenewal,
    Payment,
    PaymentProvider,
    PlanKind,
    SentNotice,
    Subscription,
    SubscriptionStatus,
    Tracker,
    TrackerStatus,
)
from models.sql import utc
from notify import notices

REMIND_3D = "renew-3d"
REMIND_1D = "renew-1d"
RENEWAL_FAILED = "renew-failed"


@dataclass(frozen=True, slots=True)
class Reminder:
    tracker_id: int
    user_id: int
    kind: str
    ends_at: datetime
    auto_renewal: AutoRenewal | None


async def latest_subscription(tracker_id: int, user_id: int, after: datetime) -> Subscription | None:
    return await Subscription.filter(
        tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE, ends_at__gt=utc(after)
    ).order_by("-ends_at").first()


async def due_reminders(now: datetime | None = None) -> list[Reminder]:
    """Clients on a live tracker whose paid time ends within 3 days (1 day for the second one).
    Day plans get none: they end within a day of being bought."""
    now = utc(now or datetime.now(UTC))
    soon = await Subscription.filter(
        status=SubscriptionStatus.ACTIVE, ends_at__gt=now, ends_at__lte=now + timedelta(days=3)
    ).values_list("tracker_id", "user_id")
    reminders = []
    for tracker_id, user_id in sorted(set(soon)):
        latest = await latest_subscription(tracker_id, user_id, now)
        if latest is None or latest.ends_at > now + timedelta(days=3) or latest.plan_kind == PlanKind.DAY:
            continue
        if not await Tracker.filter(id=tracker_id, status=TrackerStatus.ACTIVE).exists():
            continue
        kind = REMIND_1D if latest.ends_at <= now + timedelta(days=1) else REMIND_3D
        renewal = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id, enabled=True)
        reminders.append(Reminder(tracker_id, user_id, kind, latest.ends_at, renewal))
    return reminders


async def notify_once(tracker_id: int, user_id: int, kind: str, ends_at: datetime, key: str,
                      params: dict[str, Any] | None = None, *, tz: str | ZoneInfo | None = None) -> bool:
    """The client's notice `key` about the paid time that ends at `ends_at` (a reminder, a declined
    renewal), once per (tracker, user, kind, end): the claim and the outbox event are one
    transaction, so a crash leaves neither or both. `until` (the end, as the client's date) is
    added to `params`. True if written now."""
    ends_at = utc(ends_at)
    try:
        async with in_transaction() as conn:
            await SentNotice.create(tracker_id=tracker_id, user_id=user_id, kind=kind, ends_at=ends_at, using_db=conn)
            await notices.to_client(conn, tracker_id, user_id, key,
                                    {**(params or {}), "until": notices.local_day(ends_at, tz)},
                                    dedupe_key=f"notice:{tracker_id}:{user_id}:{kind}:{ends_at.isoformat()}")
    except IntegrityError:
        return False
    return True


async def renewal_failed(tracker_id: int, user_id: int, ends_at: datetime) -> bool:
    """A renewal of the paid time that ends at `ends_at` was declined (and the client told)."""
    return await SentNotice.filter(tracker_id=tracker_id, user_id=user_id, kind=RENEWAL_FAILED,
                                   ends_at=utc(ends_at)).exists()


async def due_yookassa_renewals(now: datetime | None = None) -> list[AutoRenewal]:
    """Opted-in clients whose paid time ends within a day (or ended less than a day ago)."""
    now = utc(now or datetime.now(UTC))
    due = []
    for renewal in await AutoRenewal.filter(enabled=True, provider=PaymentProvider.YOOKASSA).order_by("id"):
        latest = await latest_subscription(renewal.tracker_id, renewal.user_id, now - timedelta(days=1))
        if latest is None or latest.ends_at > now + timedelta(days=1):
            continue
        if await Tracker.filter(id=renewal.tracker_id, status=TrackerStatus.ACTIVE).exists():
            due.append(renewal)
    return due


async def set_auto_renew(tracker_id: int, user_id: int, enabled: bool) -> AutoRenewal | None:
    row = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    if row is None:
        return None
    if row.enabled != enabled:
        row.enabled = enabled
        await row.save(update_fields=["enabled", "updated_at"])
        await Subscription.filter(tracker_id=tracker_id, user_id=user_id, ends_at__gt=datetime.now(UTC)).update(
            auto_renew=enabled)
    return row


# --------------------------------------------------------------------------- what /subscription shows


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    current: Subscription | None
    paid_until: datetime | None
    renewal: AutoRenewal | None
    payments: list[Payment]


async def subscription_state(tracker_id: int, user_id: int, now: datetime | None = None,
                             history: int = 10) -> SubscriptionState:
    now = utc(now or datetime.now(UTC))
    current = await Subscription.filter(
        tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now
    ).order_by("starts_at").first()
    until = await current_end(tracker_id, user_id, now)
    renewal = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    payments = await Payment.filter(tracker_id=tracker_id, user_id=user_id).order_by("-id").limit(history)
    return SubscriptionState(current, until, renewal, list(payments))
