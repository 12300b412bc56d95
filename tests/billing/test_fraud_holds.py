"""Fraud holds: a sock-puppet chain is flagged at payment time and its shares held at settlement;
the admin releases or forfeits them with ledger entry pairs; an honest chain accrues as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from billing import fraud, holds
from billing.accounts import user_account_id
from billing.ledger import InsufficientFunds, platform_balance, reserve_payout, settled_total, user_balance
from billing.payments.recording import record_payment
from billing.policy import load_policy, set_setting
from billing.refunds import refund_subscription
from billing.reports import month_totals
from billing.settlement import settle_due_periods
from billing.yookassa_api.payments import card_fingerprint
from models import FraudFlag, FraudReason, LedgerEntry, Membership, Payment, PaymentProvider
from models.enums import EntryKind
from models.sql import rows
from scheduler import referral_jobs
from tests.billing.helpers import MSK, at, join, make_tracker

T0 = at(2025, 1, 10, 9)
MONTH = 30_000  # margin of a month without usage: platform 6 000, author 6 000, l1 9 000, l2 6 000, l3 3 000
CARD = "555555:4444:12/2030"
A, B, C, D = 10, 11, 12, 13


async def pay(tracker, user_id: int, charge: str, card: str | None, days: int = 0):
    outcome = await record_payment(
        tracker_id=tracker.id, user_id=user_id, provider=PaymentProvider.YOOKASSA, external_id=charge,
        plan_kind="month", price_kopecks=MONTH, currency="RUB", amount_minor=MONTH,
        paid_at=T0 + timedelta(days=days), tz=MSK, payer_fingerprint=card,
    )
    assert outcome.created
    return outcome.subscription


async def build_chain(tracker, minutes_apart: float) -> None:
    """A→B→C→D on the tracker, each joining `minutes_apart` after their inviter."""
    await join(tracker, A)
    for member, inviter in ((B, A), (C, B), (D, C)):
        await join(tracker, member, inviter=inviter)
    start = datetime.now(UTC) - timedelta(minutes=minutes_apart * 4)
    for n, member in enumerate((A, B, C, D)):
        await Membership.filter(tracker_id=tracker.id, user_id=member).update(
            created_at=start + timedelta(minutes=minutes_apart * n))


async def books_balance() -> None:
    """Every settled period's own entries add up to its margin, whatever was held or moved."""
    found = await rows(connections.get("default"), """
        SELECT p.id, p.margin_kopecks, (SELECT SUM(e.amount_kopecks) FROM ledger_entries e
                                        WHERE e.source_type = 'period' AND e.source_id = p.id)
        FROM accounting_periods p WHERE p.status = 'settled'""", [])
    assert found and all(int(margin) == int(shares) for _, margin, shares in found), found
    margin, ledger = await settled_total()
    assert margin == ledger


async def test_a_sock_puppet_chain_is_flagged_and_held_then_released_and_forfeited(database):
    tracker = await make_tracker(author_id=1)
    await build_chain(tracker, minutes_apart=1)
    for n, member in enumerate((A, B, C, D)):
        await pay(tracker, member, f"p-{member}", CARD, days=0)
        assert n == 0 or await FraudFlag.filter(user_id=(A, B, C)[n - 1]).exists()

    reasons = {(f.user_id, f.reason) for f in await FraudFlag.all()}
    assert {(uid, FraudReason.SHARED_CARD) for uid in (A, B, C)} <= reasons
    assert {(uid, FraudReason.FAST_CHAIN) for uid in (A, B, C)} <= reasons
    assert D not in {uid for uid, _ in reasons}  # D brought nobody: nothing of theirs to hold

    await settle_due_periods(T0 + timedelta(days=35))
    await books_balance()
    # A: l1 of B, l2 of C, l3 of D; B: l1 of C, l2 of D; C: l1 of D
    expected = {A: 9_000 + 6_000 + 3_000, B: 9_000 + 6_000, C: 9_000}
    for uid, amount in expected.items():
        b = await user_balance(uid)
        assert (b.held, b.available, b.accrued) == (amount, 0, 0), uid
    with pytest.raises(InsufficientFunds):
        await reserve_payout(1, await user_account_id(A), 100)
    author = await user_balance(1)
    assert author.available == 4 * 6_000  # the author's share is never held

    platform_before = (await platform_balance()).available
    released = await holds.release(B, admin_id=999)
    assert (released.shares, released.kopecks) == (2, 15_000)
    forfeited = await holds.forfeit(C, admin_id=999)
    assert (forfeited.shares, forfeited.kopecks) == (1, 9_000)

    b_bal, c_bal, a_bal = await user_balance(B), await user_balance(C), await user_balance(A)
    assert (b_bal.held, b_bal.available, b_bal.accrued) == (0, 15_000, 15_000)
    assert (c_bal.held, c_bal.available) == (0, 0)
    assert (a_bal.held, a_bal.available) == (18_000, 0)
    assert (await platform_balance()).available == platform_before + 9_000
    await books_balance()
    month = await month_totals("2025-02", MSK)  # the admin's totals count held and moved shares too
    assert month.accrued_kopecks == month.margin_kopecks == 4 * MONTH
    assert month.unheld["l1"] == 9_000 + 9_000  # C's forfeited l1 of D, and nobody's l1 of A's payment
    # a release clears the flags; a forfeit leaves them
    assert not await FraudFlag.filter(user_id=B, cleared_at=None).exists()
    assert await FraudFlag.filter(user_id=C, cleared_at=None).exists()

    # idempotent: a second decision on the same shares writes nothing
    count = await LedgerEntry.all().count()
    assert (await holds.release(B, admin_id=999)).shares == 0
    assert (await holds.forfeit(B, admin_id=999)).shares == 0
    assert (await holds.forfeit(C, admin_id=999)).shares == 0
    assert await LedgerEntry.all().count() == count

    listed = {p.user_id: p for p in await holds.flagged_partners()}
    assert set(listed) == {A, C}
    assert listed[A].held_kopecks == 18_000 and listed[C].held_kopecks == 0
    assert {r for r, _, _ in listed[A].reasons} == {"shared_card", "fast_chain"}


async def test_an_honest_chain_is_not_flagged_and_accrues(database):
    tracker = await make_tracker(author_id=1)
    await build_chain(tracker, minutes_apart=24 * 60)  # a day between each invitation
    for member in (A, B, C, D):
        await pay(tracker, member, f"p-{member}", f"4111{member:02d}:1111:01/2031")
    assert not await FraudFlag.all().exists()
    await settle_due_periods(T0 + timedelta(days=35))
    assert (await user_balance(A)).available == 18_000 and (await user_balance(A)).held == 0
    assert not await LedgerEntry.filter(kind=EntryKind.HELD).exists()
    await books_balance()


async def test_payments_without_a_card_match_nothing_but_a_fast_chain_still_counts(database):
    tracker = await make_tracker(author_id=1)
    await build_chain(tracker, minutes_apart=1)
    await pay(tracker, D, "tg-1", None)  # Telegram Payments and Stars show no card
    flags = {(f.user_id, f.reason) for f in await FraudFlag.all()}
    assert flags == {(uid, FraudReason.FAST_CHAIN) for uid in (A, B, C)}
    # C's chain is two fast links: under the default three, over a setting of two
    member_c = await Membership.get(tracker_id=tracker.id, user_id=C)
    conn = connections.get("default")
    assert await fraud._fast_links(conn, tracker.id, C, member_c.created_at, [B, A], await load_policy()) == []
    await set_setting("fraud_fast_chain_links", "2", admin_id=999)
    assert await fraud._fast_links(conn, tracker.id, C, member_c.created_at, [B, A], await load_policy()) == [B, A]
    await set_setting("fraud_fast_chain_minutes", "0", admin_id=999)  # the check turned off
    assert await fraud._fast_links(conn, tracker.id, C, member_c.created_at, [B, A], await load_policy()) == []


async def test_evaluation_is_idempotent(database):
    tracker = await make_tracker(author_id=1)
    await build_chain(tracker, minutes_apart=1)
    await pay(tracker, C, "p-c", CARD)
    sub = await pay(tracker, D, "p-d", CARD)
    before = sorted(await FraudFlag.all().values_list("user_id", "reason", "detail"))
    payment = await Payment.get(id=sub.payment_id)
    conn = connections.get("default")
    assert await fraud.check_payment(conn, payment, CARD) == [A, B, C]
    assert sorted(await FraudFlag.all().values_list("user_id", "reason", "detail")) == before


async def test_a_partner_whose_referrals_refund_often_is_flagged_by_the_daily_check(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, A)
    clients = range(20, 26)
    subs = []
    for n, client in enumerate(clients):
        await join(tracker, client, inviter=A)
        subs.append(await pay(tracker, client, f"r-{client}", f"4000{n:02d}:0000:01/2031"))
    for sub in subs[:2]:
        await refund_subscription(sub.id)
    assert await fraud.evaluate_refund_rates() == 0  # 2 of 6: under 50 %
    await refund_subscription(subs[2].id)
    assert await fraud.evaluate_refund_rates() == 1  # 3 of 6
    assert await referral_jobs.fraud_refund_flags() == 1  # the daily job again: the same flag, nothing new
    assert [(f.user_id, f.reason) for f in await FraudFlag.all()] == [(A, FraudReason.REFUND_RATE)]
    # fewer payments than the minimum count are never judged
    await set_setting("fraud_refund_min_count", "7", admin_id=999)
    await FraudFlag.all().delete()
    assert await fraud.evaluate_refund_rates() == 0


async def test_a_refund_of_a_held_period_keeps_the_books(database):
    tracker = await make_tracker(author_id=1)
    await build_chain(tracker, minutes_apart=1)
    for member in (A, B, C):
        await pay(tracker, member, f"p-{member}", CARD)
    sub = await pay(tracker, D, "p-d", CARD)
    await settle_due_periods(T0 + timedelta(days=35))
    await refund_subscription(sub.id)  # all of D's settled month back: its shares clawed back
    await holds.release(C, admin_id=999)
    # C's only share was D's l1 (9 000), clawed back while held: released, they net to zero
    c = await user_balance(C)
    assert (c.held, c.available) == (0, 0)
    margin, ledger = await settled_total()
    assert margin == ledger


def test_the_card_fingerprint_is_first6_last4_and_expiry():
    method = {"type": "bank_card", "card": {"first6": "555555", "last4": "4444", "expiry_month": "12",
                                            "expiry_year": "2030", "card_type": "MasterCard"}}
    assert card_fingerprint(method) == CARD
    assert card_fingerprint({"type": "sbp"}) is None
    assert card_fingerprint({}) is None
