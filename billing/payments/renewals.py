"""Before paid time runs out: reminders (each sent once), the YooKassa renewals that are due, the
client's auto-renewal switch, and what /subscription shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.plans import plan_on_sale
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
RENEWAL_PRICE = "renew-price"   # the author raised the price: the client is asked before a charge
# That notice's locale key; services.outbox gives it the "renew at the new price" button whose
# callback data is RENEW_PRICE_CALLBACK + the price in kopecks (handlers.tracker.renewal_price).
RENEW_PRICE_KEY = "renew-price-changed"
RENEW_PRICE_CALLBACK = "renewprice:"


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


@dataclass(frozen=True, slots=True)
class RenewalTerms:
    """What an auto-renewal would charge: never more than the client agreed to."""

    agreed: int              # kopecks the client agreed to (at opt-in, or confirmed since)
    current: int | None      # the plan's price now; None: the plan is off sale

    @property
    def needs_confirmation(self) -> bool:
        return self.current is not None and self.current > self.agreed

    @property
    def charge(self) -> int:
        """A lower price is the client's gain and needs no word from them."""
        return min(self.agreed, self.current if self.current is not None else self.agreed)


async def renewal_terms(renewal: AutoRenewal, latest: Subscription | None = None) -> RenewalTerms:
    if renewal.agreed_price_kopecks is not None:
        agreed = int(renewal.agreed_price_kopecks)
    else:  # opted in before the agreed price was kept: what they paid last
        latest = latest or await Subscription.filter(
            tracker_id=renewal.tracker_id, user_id=renewal.user_id).order_by("-ends_at").first()
        agreed = int(latest.price_kopecks) if latest is not None else 0
    plan = await plan_on_sale(renewal.tracker_id, renewal.plan_kind)
    return RenewalTerms(agreed, int(plan.price_kopecks) if plan is not None else None)


async def stars_renewal_amount(renewal: AutoRenewal) -> int | None:
    """The Stars Telegram will take at a Stars subscription's next renewal: a subscription renews at
    the price of its first charge (`method_id`), so that payment's amount; None if none is known."""
    if renewal.provider != PaymentProvider.STARS:
        return None
    first = await Payment.filter(provider=PaymentProvider.STARS, external_id=renewal.method_id).first()
    if first is None:  # the first charge was never recorded: the client's latest Stars payment here
        first = await Payment.filter(tracker_id=renewal.tracker_id, user_id=renewal.user_id,
                                     provider=PaymentProvider.STARS).order_by("-id").first()
    return int(first.amount_minor) if first is not None else None


async def agree_to_price(tracker_id: int, user_id: int, price_kopecks: int) -> AutoRenewal | None:
    """The client's "renew at the new price" button: taken only while it is the plan's price (a
    button under an older notice does not agree to a price raised again since). Returns the
    renewal row, or None if there is nothing to agree to."""
    renewal = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id, enabled=True)
    if renewal is None:
        return None
    plan = await plan_on_sale(tracker_id, renewal.plan_kind)
    if plan is None or plan.price_kopecks != price_kopecks:
        return None
    renewal.agreed_price_kopecks = price_kopecks
    await renewal.save(update_fields=["agreed_price_kopecks", "updated_at"])
    return renewal


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
