"""Paid subscriptions and their accounting periods.

`create_subscription` is what a successful payment calls: it writes the subscription and all its
periods in one transaction, so a period never exists without its subscription or the reverse.
`plan_subscription` is the pure part, shared with `gptitor simulate`, which writes the same rows
in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from billing import dashboard_rollup
from billing.periods import DEFAULT_TIMEZONE, PeriodSpan, cut_periods
from models import AccountingPeriod, Subscription
from models.enums import Collector, PlanKind, SubscriptionStatus
from models.sql import is_postgres, sql, utc
from notify import events as notify_events
from referral.attribution import locked_chain


@dataclass(frozen=True, slots=True)
class SubscriptionPlan:
    plan_kind: PlanKind
    price_kopecks: int
    starts_at: datetime
    ends_at: datetime
    periods: list[PeriodSpan]


def plan_subscription(
    plan_kind: PlanKind | str, price_kopecks: int, starts_at: datetime, tz: str | ZoneInfo | None = DEFAULT_TIMEZONE
) -> SubscriptionPlan:
    periods = cut_periods(plan_kind, price_kopecks, starts_at, tz)
    return SubscriptionPlan(PlanKind(plan_kind), price_kopecks, periods[0].starts_at, periods[-1].ends_at, periods)


async def current_end(tracker_id: int, user_id: int, at: datetime) -> datetime | None:
    """When the user's paid time on this tracker runs out, if some of it is still ahead at `at`
    (refunded subscriptions do not count)."""
    latest = (
        await Subscription.filter(
            tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE, ends_at__gt=utc(at)
        )
        .order_by("-ends_at")
        .first()
    )
    return latest.ends_at if latest else None


async def create_subscription(
    tracker_id: int,
    user_id: int,
    plan_kind: PlanKind | str,
    price_kopecks: int,
    paid_at: datetime,
    payment_id: int | None = None,
    tz: str | ZoneInfo | None = DEFAULT_TIMEZONE,
    *,
    auto_renew: bool = False,
    collector: Collector = Collector.PLATFORM,
) -> Subscription:
    """A subscription paid at `paid_at` and its periods, in one transaction. `collector` (who holds
    the money) is copied onto every period, as the chain is, for settlement.

    A renewal paid while the user still has paid time starts when that time ends. With a
    `payment_id` it is idempotent: a second call for the same payment returns the first
    subscription. The first payment also locks the user's inviter chain on this tracker
    (`referral.attribution.locked_chain`, the chain's one owner): attribution never changes after
    it, and every period carries a copy of the locked chain (`l1`..`l6`).
    """
    paid_at = utc(paid_at)
    async with in_transaction() as conn:
        if is_postgres(conn):  # one purchase of a user at a time, so renewals queue correctly
            # NO KEY UPDATE: the payment just written share-locks the user row through its foreign
            # key, and FOR UPDATE would wait for another purchase's share lock: a deadlock.
            await conn.execute_query(sql(conn, "SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE"), [user_id])
        if payment_id is not None:
            existing = await Subscription.get_or_none(payment_id=payment_id)
            if existing is not None:
                return existing
        starts_at = await current_end(tracker_id, user_id, paid_at) or paid_at
        plan = plan_subscription(plan_kind, price_kopecks, starts_at, tz)
        subscription = await Subscription.create(
            tracker_id=tracker_id,
            user_id=user_id,
            payment_id=payment_id,
            plan_kind=plan.plan_kind,
            price_kopecks=price_kopecks,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            auto_renew=auto_renew,
        )
        # The periods carry the chain as locked (it never changes after this): settlement splits
        # by it and a partner's forecast is one index range over the periods.
        chain = await locked_chain(tracker_id, user_id, using_db=conn, at=paid_at)
        await AccountingPeriod.bulk_create(
            [
                AccountingPeriod(
                    subscription_id=subscription.id,
                    tracker_id=tracker_id,
                    user_id=user_id,
                    seq=p.seq,
                    starts_at=p.starts_at,
                    ends_at=p.ends_at,
                    revenue_kopecks=p.revenue_kopecks,
                    l1_id=chain.l1,
                    l2_id=chain.l2,
                    l3_id=chain.l3,
                    l4_id=chain.l4,
                    l5_id=chain.l5,
                    l6_id=chain.l6,
                    collector=collector,
                )
                for p in plan.periods
            ]
        )
        # The dashboard's totals move with the payment (the state before is the rows without it).
        await dashboard_rollup.apply_change(conn, await dashboard_rollup.snapshot(
            conn, tracker_id, user_id, without_subscription=subscription.id))
        await notify_events.subscription_paid(conn, subscription)  # with the payment, or not at all
    return subscription
