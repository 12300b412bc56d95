"""Auto-renewal at the agreed price only (issue 19): the price the client opted in at is kept; a
raised price asks first and charges nothing until they agree; a lowered one is simply charged;
reminders state the amount and the date; a renewal pending at YooKassa is asked about, never
charged again (its idempotence key expires after 24 h)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from billing.payments import RENEW_PRICE_KEY, YooKassaPayments, agree_to_price
from billing.plans import set_price
from billing.yookassa_gateway import GatewayTimeout, YooKassaGateway
from models import AutoRenewal, Checkout, CheckoutStatus, OutboxEvent, Payment, Subscription
from models.enums import PlanKind
from scheduler import renewals as jobs
from tests.billing.helpers import join, make_tracker
from tests.fakes.yookassa_server import FakeYooKassa

TZ = "Europe/Moscow"


@pytest.fixture
async def yk():
    async with FakeYooKassa() as fake:
        gateway = YooKassaGateway(fake.shop_id, fake.secret_key, api_url=fake.api_url, timeout=1.0)
        payments = YooKassaPayments(gateway, tz=TZ)
        jobs.bind(SimpleNamespace(yookassa=payments, tz=TZ))
        yield fake, payments
        jobs.bind(None)
        gateway.close()


async def opted_in(fake, yookassa, price=200000, user=7, tracker=None):
    """A client who bought a month at `price` and turned auto-renewal on: (tracker, subscription)."""
    if tracker is None:
        tracker = await make_tracker()
        await set_price(tracker.id, PlanKind.MONTH, price)
    await join(tracker, user)
    checkout = await yookassa.start_checkout(tracker, user, PlanKind.MONTH, price, auto_renew=True,
                                             return_url="https://t.me/t_bot", description="T: month")
    fake.succeed(checkout.external_id)
    outcome = (await yookassa.confirm(checkout.external_id)).outcome
    return tracker, outcome.subscription


async def client_notices(key: str) -> list[dict]:
    return [e.params for e in await OutboxEvent.filter(chat_id=7).order_by("id") if e.params.get("key") == key]


async def test_the_agreed_price_is_kept_and_a_raised_price_asks_before_any_charge(database, yk):
    fake, yookassa = yk
    tracker, first = await opted_in(fake, yookassa)
    assert (await AutoRenewal.get(tracker_id=tracker.id, user_id=7)).agreed_price_kopecks == 200000
    await set_price(tracker.id, PlanKind.MONTH, 250000)
    near_end = first.ends_at - timedelta(hours=12)
    charges = len(fake.payment_requests)

    for _ in range(2):  # two scheduler runs: asked once, charged never
        assert await jobs.charge_renewals(near_end.isoformat()) == 0
    assert len(fake.payment_requests) == charges
    assert await Subscription.filter(user_id=7).count() == 1
    [asked] = await client_notices(RENEW_PRICE_KEY)
    assert (asked["amount"], asked["old_amount"]) == (250000, 200000) and asked["until"]
    assert not await client_notices("renew-failed")

    assert await agree_to_price(tracker.id, 7, 240000) is None  # not the price: a stale button
    assert await agree_to_price(tracker.id, 7, 250000) is not None
    assert await jobs.charge_renewals(near_end.isoformat()) == 1
    renewed = await Payment.filter(user_id=7).order_by("-id").first()
    assert renewed.amount_kopecks == 250000 and renewed.amount_minor == 250000


async def test_a_lowered_price_is_charged_without_asking(database, yk):
    fake, yookassa = yk
    tracker, first = await opted_in(fake, yookassa)
    await set_price(tracker.id, PlanKind.MONTH, 150000)
    assert await jobs.charge_renewals((first.ends_at - timedelta(hours=12)).isoformat()) == 1
    assert (await Payment.filter(user_id=7).order_by("-id").first()).amount_kopecks == 150000
    assert not await client_notices(RENEW_PRICE_KEY)


async def test_reminders_state_the_amount_and_the_date_or_ask_about_a_raised_price(database, yk):
    fake, yookassa = yk
    tracker, first = await opted_in(fake, yookassa)
    assert await jobs.send_reminders((first.ends_at - timedelta(days=2)).isoformat()) == 1
    [reminder] = await client_notices("renew-reminder-auto-amount")
    assert reminder["amount"] == 200000 and reminder["until"] == first.ends_at.astimezone(
        __import__("zoneinfo").ZoneInfo(TZ)).date().isoformat()

    await set_price(tracker.id, PlanKind.MONTH, 260000)
    assert await jobs.send_reminders((first.ends_at - timedelta(hours=12)).isoformat()) == 1
    assert len(await client_notices("renew-reminder-auto-amount")) == 1  # no "we will charge" at a price not agreed
    [asked] = await client_notices(RENEW_PRICE_KEY)
    assert asked["amount"] == 260000


async def test_a_renewal_pending_for_over_a_day_is_polled_never_charged_again(database, yk):
    fake, yookassa = yk
    tracker, first = await opted_in(fake, yookassa)
    renewal = await AutoRenewal.get(tracker_id=tracker.id, user_id=7)
    fake.hold_method(renewal.method_id)
    near_end = first.ends_at - timedelta(hours=12)
    assert (await yookassa.renew(renewal, near_end)).status == "pending"
    charges = len(fake.payment_requests)

    fake.expire_idempotence_keys()  # a day later a repeated request would be a second payment
    later = near_end + timedelta(hours=25)
    assert (await yookassa.renew(renewal, later)).status == "pending"
    assert await jobs.charge_renewals(later.isoformat()) == 0
    assert len(fake.payment_requests) == charges

    pending = await Checkout.get(idempotence_key=f"renew-{first.id}")
    fake.succeed(pending.external_id)
    assert await jobs.charge_renewals((later + timedelta(days=2)).isoformat()) == 1  # past the due window
    assert len(fake.payment_requests) == charges
    assert await Payment.filter(user_id=7).count() == 2
    assert await Subscription.filter(user_id=7).count() == 2


async def test_a_renewal_charge_never_answered_for_a_day_is_not_made_again(database, yk):
    fake, yookassa = yk
    tracker, first = await opted_in(fake, yookassa)
    renewal = await AutoRenewal.get(tracker_id=tracker.id, user_id=7)
    near_end = first.ends_at - timedelta(hours=12)
    fake.hang_next(processed=True)
    with pytest.raises(GatewayTimeout):
        await yookassa.renew(renewal, near_end)
    fake.release()
    charges = len(fake.payment_requests)
    assert (await yookassa.renew(renewal, near_end)).status == "renewed"  # within the day: the same key again
    assert len(fake.payment_requests) == charges + 1 and await Payment.filter(user_id=7).count() == 2

    tracker2, first2 = await opted_in(fake, yookassa, user=8, tracker=tracker)
    renewal2 = await AutoRenewal.get(tracker_id=tracker2.id, user_id=8)
    fake.hang_next(processed=True)
    with pytest.raises(GatewayTimeout):
        await yookassa.renew(renewal2, first2.ends_at - timedelta(hours=12))
    fake.release()
    charges = len(fake.payment_requests)
    checkout = await Checkout.get(idempotence_key=f"renew-{first2.id}")
    # YooKassa keeps a key for 24 h of its own clock: the attempt is made a day old.
    await Checkout.filter(id=checkout.id).update(created_at=datetime.now(UTC) - timedelta(hours=25))

    result = await yookassa.renew(renewal2, first2.ends_at - timedelta(hours=1))
    assert (result.status, result.reason) == ("failed", "no-answer")
    assert len(fake.payment_requests) == charges
    assert (await Checkout.get(id=checkout.id)).status == CheckoutStatus.CANCELED
    assert await Payment.filter(user_id=8).count() == 1
