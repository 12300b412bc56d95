"""billing.payments without Telegram: payloads, pre-checkout checks, recording exactly once,
YooKassa confirmations against the fake API, saved-method renewals, reminders and refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.access import access_for
from billing.payments import (
    METHOD_STARS,
    METHOD_TELEGRAM,
    REMIND_1D,
    REMIND_3D,
    InvalidPayload,
    YooKassaPayments,
    check_invoice,
    decode_payload,
    due_reminders,
    due_yookassa_renewals,
    encode_payload,
    notify_once,
    record_payment,
    refund_payment,
    stars_for,
)
from billing.plans import PriceError, parse_price, set_price, stop_selling
from billing.yookassa_gateway import GatewayTimeout, YooKassaGateway
from bot.crypto import SecretBox, generate_key
from models import (
    AccountingPeriod,
    AutoRenewal,
    Checkout,
    Membership,
    OutboxEvent,
    Payment,
    PaymentProvider,
    PeriodStatus,
    PlanKind,
    Subscription,
    SubscriptionStatus,
    TrackerStatus,
    User,
)
from tests.billing.helpers import join, make_tracker
from tests.fakes.yookassa_server import FakeYooKassa

BOX = SecretBox(generate_key())
BOT = 555
RATE = Decimal("1.5")


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize("text, kopecks", [
    ("2000", 200000), ("2 000", 200000), ("2000.50", 200050), ("2000,5", 200050), ("2\u00a0000 ₽", 200000),
    ("1500 руб", 150000),
])
def test_prices_people_type(text, kopecks):
    assert parse_price(text) == kopecks


@pytest.mark.parametrize("text, key", [
    ("0", "plans-price-not-positive"), ("-100", "plans-price-not-positive"), ("abc", "plans-price-not-a-number"),
    ("", "plans-price-not-a-number"), ("10.001", "plans-price-kopecks"), ("0.5", "plans-price-too-small"),
    ("99999999", "plans-price-too-large"), ("inf", "plans-price-not-a-number"),
])
def test_bad_prices_are_refused_with_a_reason(text, key):
    with pytest.raises(PriceError) as err:
        parse_price(text)
    assert err.value.key == key


def test_stars_round_up_to_whole_stars():
    assert stars_for(200000, Decimal("1.5")) == 1334
    assert stars_for(150, Decimal("1.5")) == 1
    assert stars_for(300, Decimal("1.5")) == 2


def test_payload_is_signed_short_and_bound_to_the_bot():
    payload = encode_payload(BOX, BOT, METHOD_STARS, 12, 1234567890123, PlanKind.QUARTER, 100_000_000)
    assert len(payload.encode()) <= 128
    terms = decode_payload(BOX, BOT, payload)
    assert (terms.tracker_id, terms.user_id, terms.plan_kind, terms.price_kopecks) == (12, 1234567890123,
                                                                                       PlanKind.QUARTER, 100_000_000)
    with pytest.raises(InvalidPayload):
        decode_payload(BOX, BOT + 1, payload)  # another bot
    with pytest.raises(InvalidPayload):
        decode_payload(BOX, BOT, payload.replace(":100000000:", ":100:"))  # a cheaper price
    with pytest.raises(InvalidPayload):
        decode_payload(SecretBox(generate_key()), BOT, payload)  # another platform's key


# --------------------------------------------------------------------------- pre-checkout


async def _tracker_with_month(price=200000):
    tracker = await make_tracker()
    await set_price(tracker.id, PlanKind.MONTH, price)
    await join(tracker, 7)
    return tracker


async def test_pre_checkout_checks(database):
    tracker = await _tracker_with_month()
    payload = encode_payload(BOX, BOT, METHOD_TELEGRAM, tracker.id, 7, PlanKind.MONTH, 200000)

    async def check(user=7, payload=payload, currency="RUB", amount=200000):
        return await check_invoice(BOX, BOT, tracker, user, payload, currency, amount, RATE)

    assert (await check()).ok
    assert (await check(user=8)).error == "payment-error-invalid"
    assert (await check(payload=payload[:-1] + ("A" if payload[-1] != "A" else "B"))).error == "payment-error-invalid"
    assert (await check(amount=100)).error == "payment-error-amount"
    assert (await check(currency="XTR")).error == "payment-error-amount"
    stars = encode_payload(BOX, BOT, METHOD_STARS, tracker.id, 7, PlanKind.MONTH, 200000)
    assert (await check(payload=stars, currency="XTR", amount=1334)).ok
    await set_price(tracker.id, PlanKind.MONTH, 250000)
    assert (await check()).error == "payment-error-price-changed"
    await stop_selling(tracker.id, PlanKind.MONTH)
    assert (await check()).error == "payment-error-not-on-sale"
    await set_price(tracker.id, PlanKind.MONTH, 200000)
    tracker.status = TrackerStatus.PAUSED
    assert (await check()).error == "payment-error-tracker-paused"


# --------------------------------------------------------------------------- recording


async def test_a_charge_is_recorded_once_and_renewals_start_at_the_end(database):
    tracker = await _tracker_with_month()
    await join(tracker, 8, inviter=7)
    paid_at = datetime(2025, 1, 31, 9, tzinfo=UTC)
    args = dict(tracker_id=tracker.id, user_id=8, provider=PaymentProvider.TELEGRAM, plan_kind=PlanKind.MONTH,
                price_kopecks=200000, currency="RUB", amount_minor=200000, paid_at=paid_at)
    first = await record_payment(external_id="ch-1", **args)
    again = await record_payment(external_id="ch-1", **args)
    assert first.created and not again.created
    assert again.subscription.id == first.subscription.id
    assert await Payment.all().count() == 1 and await Subscription.all().count() == 1
    member = await Membership.get(tracker=tracker, user_id=8)
    assert member.locked_at is not None and member.l1_id == 7
    # Both at once (a duplicate update racing the first): still one.
    results = await asyncio.gather(*(record_payment(external_id="ch-2", **args) for _ in range(3)))
    assert sum(r.created for r in results) == 1
    renewal = await Subscription.get(id=results[0].subscription.id)
    assert renewal.starts_at == first.subscription.ends_at
    assert await AccountingPeriod.all().count() == 2


async def test_two_different_payments_of_one_client_at_once_queue_one_after_the_other(database):
    # Several rounds: on PostgreSQL the per-user lock once deadlocked with the other purchase's
    # foreign-key share lock on the same user row, now and then.
    tracker = await _tracker_with_month()
    paid_at = datetime(2025, 1, 31, 9, tzinfo=UTC)
    for user in range(20, 30):
        await User.create(id=user, first_name=f"Client{user}")
        args = dict(tracker_id=tracker.id, user_id=user, provider=PaymentProvider.TELEGRAM,
                    plan_kind=PlanKind.MONTH, price_kopecks=200000, currency="RUB", amount_minor=200000,
                    paid_at=paid_at)
        results = await asyncio.gather(record_payment(external_id=f"x-{user}", **args),
                                       record_payment(external_id=f"y-{user}", **args), return_exceptions=True)
        assert all(not isinstance(r, BaseException) and r.created for r in results), results
        first, second = sorted((r.subscription for r in results), key=lambda sub: sub.starts_at)
        assert second.starts_at == first.ends_at  # the second month starts where the first ends


# --------------------------------------------------------------------------- YooKassa


@pytest.fixture
async def yk():
    async with FakeYooKassa() as fake:
        gateway = YooKassaGateway(fake.shop_id, fake.secret_key, api_url=fake.api_url, timeout=1.0)
        yield fake, YooKassaPayments(gateway)
        gateway.close()


async def _checkout(yookassa, tracker, user_id=7, auto_renew=False):
    return await yookassa.start_checkout(tracker, user_id, PlanKind.MONTH, 200000, auto_renew=auto_renew,
                                         return_url="https://t.me/t_bot", description="T: month")


async def test_yookassa_confirmed_once_and_forgery_ignored(database, yk):
    fake, yookassa = yk
    tracker = await _tracker_with_month()
    checkout = await _checkout(yookassa, tracker)
    assert checkout.confirmation_url and checkout.external_id in fake.payments
    assert (await yookassa.confirm(checkout.external_id)).status == "not_paid"  # forged: API says pending
    assert await Payment.all().count() == 0
    fake.succeed(checkout.external_id)
    statuses = [(await yookassa.confirm(checkout.external_id)).status for _ in range(3)]
    assert statuses == ["recorded", "duplicate", "duplicate"]
    assert await Subscription.all().count() == 1
    assert (await access_for(tracker, 7)).subscription is not None


async def test_yookassa_timeout_then_retry_makes_one_payment(database, yk):
    fake, yookassa = yk
    tracker = await _tracker_with_month()
    fake.hang_next(processed=True)  # YooKassa made the payment but the answer never came
    with pytest.raises(GatewayTimeout):
        await _checkout(yookassa, tracker)
    fake.release()
    checkout = await _checkout(yookassa, tracker)
    assert len(fake.payments) == 1 and await Checkout.all().count() == 1
    fake.succeed(checkout.external_id)
    assert (await yookassa.confirm(checkout.external_id)).status == "recorded"


async def test_saved_method_renews_once_and_a_decline_is_reported(database, yk):
    fake, yookassa = yk
    tracker = await _tracker_with_month()
    checkout = await _checkout(yookassa, tracker, auto_renew=True)
    fake.succeed(checkout.external_id)
    first = (await yookassa.confirm(checkout.external_id)).outcome
    renewal = await AutoRenewal.get(tracker=tracker, user_id=7)
    assert renewal.enabled and renewal.provider == PaymentProvider.YOOKASSA
    near_end = first.subscription.ends_at - timedelta(hours=12)
    assert [r.id for r in await due_yookassa_renewals(near_end)] == [renewal.id]
    result = await yookassa.renew(renewal, near_end)
    assert result.status == "renewed"
    assert (await yookassa.renew(renewal, near_end)).status in ("skipped",)  # the next end is a month away
    assert await Subscription.all().count() == 2
    second = result.outcome.subscription
    assert second.starts_at == first.subscription.ends_at
    fake.decline_method(renewal.method_id)
    failed = await yookassa.renew(renewal, second.ends_at - timedelta(hours=1))
    assert failed.status == "failed" and failed.ends_at == second.ends_at
    assert await Subscription.all().count() == 2


async def test_reminders_are_due_once(database):
    tracker = await _tracker_with_month()
    now = datetime(2025, 3, 1, tzinfo=UTC)
    await record_payment(tracker_id=tracker.id, user_id=7, provider=PaymentProvider.TELEGRAM, external_id="c",
                         plan_kind=PlanKind.MONTH, price_kopecks=200000, currency="RUB", amount_minor=200000,
                         paid_at=now - timedelta(days=26))
    due = await due_reminders(now)
    assert [(r.user_id, r.kind) for r in due] == [(7, REMIND_3D)]
    assert await notify_once(tracker.id, 7, due[0].kind, due[0].ends_at, "renew-reminder", {"days": 3})
    assert not await notify_once(tracker.id, 7, due[0].kind, due[0].ends_at, "renew-reminder", {"days": 3})
    notices = await OutboxEvent.filter(kind="client_notice").order_by("id")
    reminders = [(e.chat_id, e.params["days"]) for e in notices if e.params["key"] == "renew-reminder"]
    assert reminders == [(7, 3)]  # written once, with its claim
    later = await due_reminders(now + timedelta(days=1, hours=12))
    assert [r.kind for r in later] == [REMIND_1D]


async def test_refunds_cancel_open_periods_and_end_access(database, yk):
    fake, yookassa = yk
    tracker = await _tracker_with_month()
    checkout = await _checkout(yookassa, tracker)
    fake.succeed(checkout.external_id)
    outcome = (await yookassa.confirm(checkout.external_id)).outcome
    refunded = await refund_payment(outcome.payment.id, yookassa=yookassa)
    assert refunded.result.cancelled_periods == 1 and not refunded.already
    assert (await Subscription.get(id=outcome.subscription.id)).status == SubscriptionStatus.REFUNDED
    assert not await AccountingPeriod.filter(status=PeriodStatus.OPEN).exists()
    assert (await access_for(tracker, 7)).subscription is None
    assert len(fake.refunds) == 1
    again = await refund_payment(outcome.payment.id, yookassa=yookassa)
    assert again.already and len(fake.refunds) == 1

    stars_calls = []

    async def refund_stars(payment):
        stars_calls.append(payment.external_id)

    stars = await record_payment(tracker_id=tracker.id, user_id=7, provider=PaymentProvider.STARS,
                                 external_id="star-1", plan_kind=PlanKind.MONTH, price_kopecks=200000,
                                 currency="XTR", amount_minor=1334)
    await refund_payment(stars.payment.id, refund_stars=refund_stars)
    assert stars_calls == ["star-1"]
    assert (await Subscription.get(id=stars.subscription.id)).status == SubscriptionStatus.REFUNDED


async def test_a_partial_yookassa_refund_shortens_instead_of_ending(database, yk):
    # issue 19: a partial refund made in YooKassa's dashboard used to cancel the whole subscription
    fake, yookassa = yk
    tracker = await _tracker_with_month()
    checkout = await _checkout(yookassa, tracker)
    fake.succeed(checkout.external_id)
    outcome = (await yookassa.confirm(checkout.external_id)).outcome
    part = await yookassa.gateway.refund(checkout.external_id, 50000, "dashboard-1")
    for _ in range(2):  # the notification comes twice
        recorded = await yookassa.refund_succeeded(part.id)
    assert recorded is not None and recorded.already
    subscription = await Subscription.get(id=outcome.subscription.id)
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.ends_at < outcome.subscription.ends_at
    [period] = await AccountingPeriod.filter(subscription_id=subscription.id)
    assert period.status == PeriodStatus.OPEN and period.revenue_kopecks == 150000
    assert not (await Payment.get(id=outcome.payment.id)).refunded
    assert (await access_for(tracker, 7)).subscription is not None

    rest = await yookassa.gateway.refund(checkout.external_id, 150000, "dashboard-2")
    await yookassa.refund_succeeded(rest.id)
    assert (await Subscription.get(id=subscription.id)).status == SubscriptionStatus.REFUNDED
    assert (await Payment.get(id=outcome.payment.id)).refunded
