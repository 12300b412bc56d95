"""Client notices and alerts as outbox events: written with their fact, once."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from billing.subscriptions import create_subscription
from i18n.format import day
from models import OutboxEvent, Payment, User
from models.enums import PaymentProvider, PlanKind
from notify import events, notices
from notify.outbox import PLATFORM_BOT
from services.outbox import render
from tests.billing.helpers import make_tracker

PAID_AT = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


async def test_payment_and_refund_notices_go_to_the_client_from_the_tracker_bot_once(database):
    tracker = await make_tracker()
    await User.create(id=42, first_name="Kim", language_code="en")
    payment = await Payment.create(tracker=tracker, user_id=42, provider=PaymentProvider.TELEGRAM, external_id="ch-1",
                                   plan_kind=PlanKind.MONTH, currency="RUB", amount_minor=200_000,
                                   amount_kopecks=200_000)
    sub = await create_subscription(tracker.id, 42, PlanKind.MONTH, 200_000, PAID_AT, payment_id=payment.id)
    for _ in range(2):  # a repeated webhook writes nothing more
        async with in_transaction() as conn:
            await notices.payment_received(conn, payment.id, sub, sub.ends_at, renewal=False, tz="Europe/Moscow")
            await notices.payment_refunded(conn, payment)
    rows = await OutboxEvent.filter(kind=events.CLIENT_NOTICE).order_by("id")
    assert [(e.bot_id, e.chat_id, e.language) for e in rows] == [(tracker.bot_id, 42, "en")] * 2
    until = notices.local_day(sub.ends_at, "Europe/Moscow")
    assert rows[0].params == {"key": "payment-success", "name": tracker.name, "until": until}
    assert rows[1].params == {"key": "payment-refunded", "name": tracker.name, "amount": 200_000}
    # As the delivery loop writes them, in the client's language.
    assert render(rows[0].kind, rows[0].params, "en").endswith(f"{day(notices.read_day(until), lang='en')}.")
    assert "2,000" in render(rows[1].kind, rows[1].params, "en")


async def test_an_alert_is_written_only_if_its_transaction_commits(database):
    await User.create(id=5, first_name="Author")
    try:
        async with in_transaction() as conn:
            await notices.alert(conn, 5, "ai-alert-no-rate", {}, dedupe_key="no-rate:1")
            raise RuntimeError("the fact was not committed")
    except RuntimeError:
        pass
    assert not await OutboxEvent.exists()
    async with in_transaction() as conn:
        assert await notices.alert(conn, 5, "ai-alert-no-price", {"model": "m"}, dedupe_key="no-price:m:1")
        assert not await notices.alert(conn, 5, "ai-alert-no-price", {"model": "m"}, dedupe_key="no-price:m:1")
    event = await OutboxEvent.get()
    assert (event.kind, event.bot_id, event.chat_id, event.language) == (events.ALERT, PLATFORM_BOT, 5, "ru")
    assert event.params == {"key": "ai-alert-no-price", "model": "m"}
