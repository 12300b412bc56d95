"""Refunds, whole or partial, before or after settlement (issue 19).

A refund of R kopecks of a paid subscription is split in two:

- its **unsettled part** U = min(R, the revenue of the periods still open) comes out of the time
  not delivered yet, the latest period first: a period it covers is cancelled (it will never
  accrue), the one it reaches part-way is shortened (its revenue and its end cut in proportion);
- its **settled part** S = R - U is clawed back from the settled periods, the latest first, each
  at most the revenue it still has. Their shares were accrued and may have been paid out, so
  nothing is edited: one `Clawback` per period and reversing ledger entries (kind `clawback`)
  that bring the period's shares to its net margin (settled margin minus the revenue clawed
  back), pro rata to what each role got. A balance may go negative; later accruals make it up
  before any payout (a payout needs a positive available balance, billing.ledger).

The subscription ends (refunded, access gone) only when the whole unsettled part goes back;
otherwise it is shortened to the end of its last period still standing. The payment counts as
refunded once all of it has gone back. Each refund is recorded once under its `key` (a
YooKassa refund id, a Stars charge id, "full"), and never for more than is left of the payment,
so the same refund arriving by two routes is returned once. The README has a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing import dashboard_rollup
from billing.accounts import platform_account_id, user_account_id
from billing.ledger import INSERT_ENTRY
from billing.split import ALL_ROLES, Weights, role_amounts
from models import AccountingPeriod, Clawback, Collector, Payment, Refund, Subscription, Tracker, summaries
from models.enums import EntryKind, PeriodStatus, Role, SourceType, SubscriptionStatus
from models.sql import is_postgres, returning, rows, sql, ts, write_first
from notify import events as notify_events
from notify import notices


@dataclass(frozen=True, slots=True)
class RefundResult:
    subscription_id: int
    cancelled_periods: int  # cancelled by this call (0 on a repeat)
    settled_periods: int  # periods that stand (settled), clawed back from or not
    already_refunded: bool  # this refund was recorded before, or nothing of the payment was left
    amount_kopecks: int = 0
    unsettled_kopecks: int = 0
    settled_kopecks: int = 0  # clawed back
    ended: bool = False  # the subscription is refunded (ended), not just shortened


async def refund_subscription(subscription_id: int, amount_kopecks: int | None = None, *,
                              key: str = "full") -> RefundResult:
    """Record a refund of `amount_kopecks` (None: all that is left) of the subscription's payment.
    Idempotent per `key`; one transaction."""
    async with in_transaction() as conn:
        await write_first(conn, "payments")  # `gptitor refund` beside the running platform waits its turn
        if is_postgres(conn):  # one refund of a subscription at a time; settlement skips locked periods
            await rows(conn, "SELECT id FROM subscriptions WHERE id = ? FOR UPDATE", [subscription_id])
            await rows(conn, "SELECT id FROM accounting_periods WHERE subscription_id = ? FOR UPDATE",
                       [subscription_id])
        subscription = await Subscription.get(id=subscription_id, using_db=conn)
        settled_count = await AccountingPeriod.filter(
            subscription_id=subscription_id, status=PeriodStatus.SETTLED).using_db(conn).count()
        before = await dashboard_rollup.snapshot(conn, subscription.tracker_id, subscription.user_id)
        if subscription.payment_id is None:  # no payment to record against (simulations): end it
            ended_now = await _end_without_payment(conn, subscription, settled_count)
            await dashboard_rollup.apply_change(conn, before)
            return ended_now
        if await Refund.exists(payment_id=subscription.payment_id, key=key, using_db=conn):
            return RefundResult(subscription_id, 0, settled_count, True)
        if (subscription.status == SubscriptionStatus.REFUNDED
                and not await Refund.exists(payment_id=subscription.payment_id, using_db=conn)):
            # refunded before refunds were recorded (migration 0007): it stands as it was settled then;
            # a repeated notification or command must not claw back now what was absorbed then
            return RefundResult(subscription_id, 0, settled_count, True)
        [(done,)] = await rows(conn, "SELECT COALESCE(SUM(amount_kopecks), 0) FROM refunds WHERE payment_id = ?",
                               [subscription.payment_id])
        left = subscription.price_kopecks - int(done)
        amount = left if amount_kopecks is None else min(int(amount_kopecks), left)
        if amount <= 0:
            return RefundResult(subscription_id, 0, settled_count, True)

        open_periods = await AccountingPeriod.filter(
            subscription_id=subscription_id, status=PeriodStatus.OPEN).using_db(conn).order_by("-seq")
        open_revenue = sum(p.revenue_kopecks for p in open_periods)
        unsettled = min(amount, open_revenue)
        settled = amount - unsettled
        ended = unsettled == open_revenue
        refund = await Refund.create(
            payment_id=subscription.payment_id, key=key, amount_kopecks=amount, unsettled_kopecks=unsettled,
            settled_kopecks=settled, ended_subscription=ended, using_db=conn,
        )
        cancelled = await _take_unsettled(conn, open_periods, unsettled)
        clawed = await _claw_back(conn, refund, subscription, settled)
        if clawed != settled:  # cannot happen while revenues add up to the price: refuse, do not guess
            raise RuntimeError(f"refund {key} of subscription {subscription_id}: {settled - clawed} kopecks unplaced")
        if ended:
            await _end(conn, subscription, fully_refunded=amount == left)
        else:
            await _shorten(conn, subscription)
        await dashboard_rollup.apply_change(conn, before)  # the dashboard's totals move with the refund
    return RefundResult(subscription_id, cancelled, settled_count, False, amount, unsettled, settled, ended)


async def _take_unsettled(conn: BaseDBAsyncClient, periods: list[AccountingPeriod], amount: int) -> int:
    """Cancel or shorten open periods, the latest first, for `amount` kopecks. Returns how many
    were cancelled."""
    cancelled = 0
    for period in periods:
        if amount <= 0:
            break
        if amount >= period.revenue_kopecks:
            changed = await AccountingPeriod.filter(id=period.id, status=PeriodStatus.OPEN).using_db(conn).update(
                status=PeriodStatus.CANCELLED)
            if changed == 1:
                await summaries.periods_closed(conn, [period.id])  # out of the cabinet's open totals
            amount -= period.revenue_kopecks
            cancelled += 1
        else:
            kept = period.revenue_kopecks - amount
            # the end moves in proportion to the revenue kept: the client keeps what is left paid for
            ends_at = period.starts_at + (period.ends_at - period.starts_at) * kept // period.revenue_kopecks
            changed = await AccountingPeriod.filter(id=period.id, status=PeriodStatus.OPEN).using_db(conn).update(
                revenue_kopecks=kept, ends_at=ends_at)
            amount = 0
        if changed != 1:  # settled meanwhile: roll the whole refund back rather than count it twice
            raise RuntimeError(f"period {period.id} changed under a refund")
    return cancelled


async def _claw_back(conn: BaseDBAsyncClient, refund: Refund, subscription: Subscription, amount: int) -> int:
    """Take `amount` kopecks of revenue back from the settled periods, the latest first, with
    reversing entries. Returns the kopecks placed."""
    placed = 0
    if amount <= 0:
        return 0
    platform = await platform_account_id(conn)
    periods = await AccountingPeriod.filter(
        subscription_id=subscription.id, status=PeriodStatus.SETTLED).using_db(conn).order_by("-seq")
    for period in periods:
        if placed >= amount:
            break
        before = await Clawback.filter(period_id=period.id).using_db(conn).values_list("id", "revenue_kopecks")
        room = period.revenue_kopecks - sum(int(r) for _, r in before)
        take = min(amount - placed, room)
        if take <= 0:
            continue
        clawback = await Clawback.create(refund=refund, period_id=period.id, revenue_kopecks=take, using_db=conn)
        clawed_total = period.revenue_kopecks - room + take
        net_margin = int(period.margin_kopecks or 0) - clawed_total
        await _reverse(conn, period, [cid for cid, _ in before], clawback.id, net_margin, platform)
        if period.collector == Collector.AUTHOR:
            await _give_back_collected(conn, period, clawback.id, take)
        placed += take
    return placed


async def _give_back_collected(conn: BaseDBAsyncClient, period: AccountingPeriod, clawback_id: int, take: int) -> None:
    """The author collected this period's revenue (Stars, their own shop) and settlement debited
    it from their account; the refund went back to the client out of that money, so the author no
    longer owes it: a `collected` entry of the opposite sign, named by the clawback."""
    tracker = await Tracker.get(id=period.tracker_id, using_db=conn)
    account = await user_account_id(tracker.author_id, conn)
    await conn.execute_query(sql(conn, INSERT_ENTRY), [
        account, EntryKind.COLLECTED.value, Role.AUTHOR.value, take, SourceType.CLAWBACK.value, clawback_id,
        period.tracker_id, ts(conn, datetime.now(UTC)),
    ])


# The period's shares as they stand: its own entries and its clawbacks' reversals (not the author's
# `collected` debit and its give-backs, which are what the author holds, not a share).
_PERIOD_ENTRIES = (
    "SELECT source_type, account_id, role, kind, SUM(amount_kopecks) FROM ledger_entries "
    "WHERE ((source_type = ? AND source_id = ?) OR (source_type = ? AND source_id IN ({ids}))) "
    "AND kind <> 'collected' "
    "GROUP BY source_type, account_id, role, kind"
)


async def _reverse(conn: BaseDBAsyncClient, period: AccountingPeriod, earlier: list[int], clawback_id: int,
                   net_margin: int, platform: int) -> None:
    """Entries that bring the period's shares to `net_margin`: each role keeps its part of what it
    was accrued, pro rata (largest remainder, as the split); a net margin <= 0 is the platform's."""
    ids = earlier or [0]
    found = await rows(conn, _PERIOD_ENTRIES.format(ids=", ".join("?" * len(ids))),
                       [SourceType.PERIOD.value, period.id, SourceType.CLAWBACK.value, *ids])
    accrued: dict[str, tuple[int, int]] = {}  # role -> (account, amount) as settled
    current: dict[tuple[int, str], int] = {}  # (account, role) -> what it holds now
    for source, account, role, kind, total in found:
        current[(int(account), role)] = current.get((int(account), role), 0) + int(total)
        # A share held for a flagged partner (billing.holds) counts as accrued to them until the
        # admin releases it (an accrual of theirs) or forfeits it (an accrual of the platform's),
        # which then names who holds it; either way the roles keep their pro-rata weights.
        if source == SourceType.PERIOD.value and (
                kind == EntryKind.ACCRUAL.value or (kind == EntryKind.HELD.value and role not in accrued)):
            accrued[role] = (int(account), int(total))
    target: dict[tuple[int, str], int] = {key: 0 for key in current}
    settled_margin = sum(amount for _, amount in accrued.values())
    if net_margin > 0 and settled_margin > 0:
        weights = tuple(accrued.get(role.value, (0, 0))[1] for role in ALL_ROLES)
        for role, amount in zip(ALL_ROLES, role_amounts(net_margin, Weights(weights, settled_margin)),
                                strict=True):
            if role.value in accrued:
                target[(accrued[role.value][0], role.value)] = amount
    else:
        target[(platform, Role.PLATFORM.value)] = net_margin  # a loss, as split_margin records one
    now = ts(conn, datetime.now(UTC))
    entries: list[Any] = [
        (account, EntryKind.CLAWBACK.value, role, amount - current.get((account, role), 0),
         SourceType.CLAWBACK.value, clawback_id, period.tracker_id, now)
        for (account, role), amount in target.items()
        if amount != current.get((account, role), 0)
    ]
    if entries:
        await conn.execute_many(sql(conn, INSERT_ENTRY), entries)


async def _end(conn: BaseDBAsyncClient, subscription: Subscription, *, fully_refunded: bool) -> None:
    if subscription.status == SubscriptionStatus.REFUNDED:
        return
    subscription.status = SubscriptionStatus.REFUNDED
    await subscription.save(update_fields=["status"], using_db=conn)
    if subscription.payment_id is not None and fully_refunded:
        await Payment.filter(id=subscription.payment_id).using_db(conn).update(refunded=True)
    if subscription.payment_id is not None:
        await notices.payment_refunded(conn, await Payment.get(id=subscription.payment_id, using_db=conn))
    await notify_events.subscription_refunded(conn, subscription)


async def _shorten(conn: BaseDBAsyncClient, subscription: Subscription) -> None:
    standing = await AccountingPeriod.filter(subscription_id=subscription.id).exclude(
        status=PeriodStatus.CANCELLED).using_db(conn).order_by("-ends_at").first()
    if standing is not None and standing.ends_at != subscription.ends_at:
        await Subscription.filter(id=subscription.id).using_db(conn).update(ends_at=standing.ends_at)


async def _end_without_payment(conn: BaseDBAsyncClient, subscription: Subscription, settled: int) -> RefundResult:
    already = subscription.status == SubscriptionStatus.REFUNDED
    # RETURNING: exactly the periods this statement closed leave the cabinet's open totals
    closed = await returning(conn, "UPDATE accounting_periods SET status = ? WHERE subscription_id = ? "
                             "AND status = ? RETURNING id",
                             [PeriodStatus.CANCELLED.value, subscription.id, PeriodStatus.OPEN.value])
    await summaries.periods_closed(conn, [row["id"] for row in closed])
    await _end(conn, subscription, fully_refunded=True)
    return RefundResult(subscription.id, len(closed), settled, already, ended=True)
