"""Small builders for the referral tests: users, trackers and paid subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from models import Payment, Tracker, UsageRecord, User
from models.enums import PaymentProvider, PlanKind
from referral import lock_inviter

_bot_ids = count(1000)
_payment_ids = count(1)

PAID_AT = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


async def make_user(user_id: int, first_name: str = "") -> User:
    return await User.create(id=user_id, first_name=first_name or f"user{user_id}")


async def make_tracker(author_id: int, username: str = "") -> Tracker:
    if not await User.exists(id=author_id):
        await make_user(author_id, "Author")
    bot_id = next(_bot_ids)
    return await Tracker.create(
        bot_id=bot_id, username=username or f"tracker{bot_id}_bot", name="Tracker",
        author_id=author_id, token_encrypted="x",
    )  # fmt: skip


async def pay(
    tracker_id: int,
    user_id: int,
    price_kopecks: int = 200_000,
    *,
    paid_at: datetime = PAID_AT,
    cost_kopecks: int = 0,
    refunded: bool = False,
) -> Payment:
    """A month's payment as the payment flow records it: the payment, the lock of the inviter
    chain, the subscription with its period and, optionally, LLM usage inside the period."""
    from tortoise.transactions import in_transaction

    from billing.subscriptions import create_subscription

    payment = await Payment.create(
        tracker_id=tracker_id, user_id=user_id, provider=PaymentProvider.SIMULATION,
        external_id=f"test-{next(_payment_ids)}", plan_kind=PlanKind.MONTH, currency="RUB",
        amount_minor=price_kopecks, amount_kopecks=price_kopecks, refunded=refunded,
    )  # fmt: skip
    # TODO(billing): create_subscription sets locked_at itself; switch this to whatever payment
    # entry point calls referral.lock_inviter inside its transaction once billing does.
    async with in_transaction() as conn:
        await lock_inviter(tracker_id, user_id, using_db=conn, at=paid_at)
    subscription = await create_subscription(
        tracker_id, user_id, PlanKind.MONTH, price_kopecks, paid_at, payment_id=payment.id
    )
    if cost_kopecks:
        await UsageRecord.create(
            tracker_id=tracker_id, user_id=user_id, subscription_id=subscription.id, model="m",
            input_tokens=1, output_tokens=1, mj_micro=1, cost_ukop=cost_kopecks * 1_000_000,
            created_at=paid_at + timedelta(days=1),
        )  # fmt: skip
    return payment


@pytest.fixture
async def tracker(database):
    return await make_tracker(1, "vera_bot")
