"""The reminder before a Stars subscription renews (issue 19) states what Telegram will take, in
Stars, and on which day: the price of the subscription's first charge (Telegram renews at it
whatever the plan says now), written with the reader's digits and the plural their language asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from billing.payments import METHOD_STARS, XTR, InvoiceTerms, record_telegram_payment
from billing.plans import set_price
from i18n.format import count, day
from models import OutboxEvent, PlanKind, User
from scheduler import renewals as jobs
from services.outbox import render
from tests.billing.helpers import join, make_tracker

TZ = "Europe/Moscow"
PAID_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def bound():
    jobs.bind(SimpleNamespace(yookassa=None, tz=TZ))
    yield
    jobs.bind(None)


async def stars_subscriber(tracker, user_id: int, stars: int, language: str = "en"):
    """A client who subscribed with Stars at `stars` a month; returns their subscription."""
    await User.get_or_create(id=user_id, defaults={"language_code": language})
    await join(tracker, user_id)
    terms = InvoiceTerms(METHOD_STARS, tracker.id, user_id, PlanKind.MONTH, 200000, f"n{user_id}")
    outcome = await record_telegram_payment(terms, f"tgcharge-{user_id}", XTR, stars, paid_at=PAID_AT, tz=TZ,
                                            recurring=True)
    return outcome.subscription


async def reminder_to(user_id: int) -> OutboxEvent:
    [event] = [e for e in await OutboxEvent.filter(chat_id=user_id).order_by("id")
               if e.params.get("key", "").startswith("renew-reminder")]
    return event


@pytest.mark.parametrize(("stars", "ru_word", "en_word"), [
    (1334, "звезды", "Stars"), (1, "звезду", "Star"), (21, "звезду", "Stars"), (25, "звёзд", "Stars"),
])
async def test_the_stars_reminder_states_the_stars_and_the_day_in_both_languages(database, stars, ru_word, en_word):
    tracker = await make_tracker()
    await set_price(tracker.id, PlanKind.MONTH, 200000)
    subscription = await stars_subscriber(tracker, 7, stars)

    assert await jobs.send_reminders((subscription.ends_at - timedelta(days=2)).isoformat()) == 1
    event = await reminder_to(7)
    assert event.params["key"] == jobs.STARS_REMINDER_KEY and event.params["stars"] == stars
    until = subscription.ends_at.astimezone(ZoneInfo(TZ)).date()

    ru = render(event.kind, event.params, "ru")
    assert f"Telegram спишет {count(stars, 'ru')} {ru_word}." in ru and day(until, lang="ru") in ru
    en = render(event.kind, event.params, "en")
    assert f"Telegram will charge {count(stars, 'en')} {en_word}." in en and day(until, lang="en") in en
    assert "₽" not in ru and "RUB" not in en  # Stars are not roubles


async def test_a_renewed_subscription_is_reminded_of_its_own_price_not_the_plans_new_one(database):
    tracker = await make_tracker()
    await set_price(tracker.id, PlanKind.MONTH, 200000)
    first = await stars_subscriber(tracker, 8, 1334)
    # Telegram renewed it once (same Stars), and the author has since raised the plan's price.
    terms = InvoiceTerms(METHOD_STARS, tracker.id, 8, PlanKind.MONTH, 200000, "n8")
    renewed = await record_telegram_payment(terms, "tgcharge-8-2", XTR, 1334, paid_at=first.ends_at, tz=TZ,
                                            recurring=True, renewal=True)
    await set_price(tracker.id, PlanKind.MONTH, 300000)

    assert await jobs.send_reminders((renewed.subscription.ends_at - timedelta(hours=20)).isoformat()) == 1
    event = await reminder_to(8)
    assert event.params["stars"] == 1334 and event.params["days"] == 1
    assert f"{count(1334, 'en')} Stars" in render(event.kind, event.params, "en")
