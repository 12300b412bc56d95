"""The database itself keeps money history: the ledger refuses UPDATE and DELETE, and deleting a
tracker, a user or a payment with money behind it is refused instead of cascading into it.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (both backends have their own triggers
and their own way of changing a foreign key's ON DELETE in migration 0007).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from billing.ledger import settled_total, user_balance
from billing.payments.recording import record_payment
from billing.settlement import settle_due_periods
from models import (
    Account,
    AccountingPeriod,
    LedgerEntry,
    Payment,
    PaymentProvider,
    Plan,
    Subscription,
    Tracker,
    User,
)
from models.sql import sql
from tests.billing.helpers import MSK, at, join, ledger_snapshot, make_tracker

T0 = at(2025, 1, 1, 9)
# SQLite reports a trigger's RAISE(ABORT) as a constraint failure; PostgreSQL's restrict_violation
# is an integrity error too. OperationalError is accepted in case a driver maps it otherwise.
REFUSED = (IntegrityError, OperationalError)


async def settled_world() -> Tracker:
    """Author 1's tracker; client 5 invited by partner 3 paid a month, and the month settled."""
    tracker = await make_tracker(author_id=1)
    await join(tracker, 3, inviter=1)
    await join(tracker, 5, inviter=3)
    await record_payment(
        tracker_id=tracker.id, user_id=5, provider=PaymentProvider.YOOKASSA, external_id="pay-1",
        plan_kind="month", price_kopecks=100_000, currency="RUB", amount_minor=100_000, paid_at=T0, tz=MSK,
    )
    assert (await settle_due_periods(T0 + timedelta(days=40))).periods == 1
    assert await LedgerEntry.all().count() > 0
    return tracker


async def test_an_update_of_a_ledger_row_is_refused_by_the_database(database):
    await settled_world()
    before = await ledger_snapshot()
    entry = await LedgerEntry.all().order_by("id").first()
    assert entry is not None
    with pytest.raises(REFUSED, match="append-only"):
        await LedgerEntry.filter(id=entry.id).update(amount_kopecks=entry.amount_kopecks + 1)
    conn = connections.get("default")
    with pytest.raises(REFUSED, match="append-only"):
        await conn.execute_query(sql(conn, "UPDATE ledger_entries SET amount_kopecks = 0 WHERE id = ?"), [entry.id])
    assert await ledger_snapshot() == before


async def test_a_delete_of_a_ledger_row_is_refused_by_the_database(database):
    await settled_world()
    before = await ledger_snapshot()
    with pytest.raises(REFUSED, match="append-only"):
        await LedgerEntry.all().delete()
    conn = connections.get("default")
    with pytest.raises(REFUSED, match="append-only"):
        await conn.execute_script("DELETE FROM ledger_entries")
    assert await ledger_snapshot() == before
    margin, ledger = await settled_total()
    assert margin == ledger == 100_000


async def test_appending_to_the_ledger_still_works(database):
    await settled_world()
    rows = await LedgerEntry.all().count()
    # a second settlement of a later period appends; nothing before it is touched
    tracker = await Tracker.get(username="t100_bot")
    await record_payment(
        tracker_id=tracker.id, user_id=5, provider=PaymentProvider.YOOKASSA, external_id="pay-2",
        plan_kind="month", price_kopecks=50_000, currency="RUB", amount_minor=50_000,
        paid_at=T0 + timedelta(days=45), tz=MSK,
    )
    await settle_due_periods(T0 + timedelta(days=100))
    assert await LedgerEntry.all().count() > rows


async def test_deleting_a_tracker_with_money_history_is_refused_and_nothing_is_lost(database):
    tracker = await settled_world()
    counts = [await model.all().count() for model in (Payment, Subscription, AccountingPeriod, LedgerEntry)]
    with pytest.raises(IntegrityError):
        await Tracker.filter(id=tracker.id).delete()
    assert await Tracker.exists(id=tracker.id)
    assert [await model.all().count() for model in (Payment, Subscription, AccountingPeriod, LedgerEntry)] == counts


async def test_deleting_a_user_with_money_history_is_refused(database):
    await settled_world()
    partner_balance = await user_balance(3)
    assert partner_balance.available > 0
    for user_id in (5, 3):  # the payer, and a partner whose only tie is the period's chain and the ledger
        with pytest.raises(IntegrityError):
            await User.filter(id=user_id).delete()
    assert await user_balance(3) == partner_balance
    assert await Account.filter(user_id=3).exists()


async def test_deleting_a_payment_under_a_subscription_is_refused(database):
    await settled_world()
    payment = await Payment.get(external_id="pay-1")
    with pytest.raises(IntegrityError):
        await Payment.filter(id=payment.id).delete()
    assert await Subscription.filter(payment_id=payment.id).exists()


async def test_a_tracker_without_money_history_can_still_be_deleted_with_its_settings(database):
    # RESTRICT only where money is: plans and memberships still go with their tracker
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    await Plan.create(tracker=tracker, kind="month", price_kopecks=100_000)
    await Tracker.filter(id=tracker.id).delete()
    assert not await Plan.exists(tracker_id=tracker.id)
