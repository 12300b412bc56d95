"""A tracker with hundreds of Stars clients is deleted (issue 19): the author's press answers at
once, the cancellations run in the background under Telegram's pace (a 429 waited out), every
subscription is cancelled and every client told exactly once, and a process killed half way
leaves the rest to the next one, which cancels nobody twice.

The clients are written straight into the database and into the fake Telegram's record of Stars
charges (a thousand payments through the chat would take the test's whole budget); the tracker,
the author's press and every Bot API call are real.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path

import pytest

import services.stars_cancel
from bot.crypto import generate_key
from models import AutoRenewal, PaymentProvider, PlanKind, StarsCancellation, StarsCancelStatus, Tracker, User
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.e2e.test_outbox_kill import Platform
from tests.e2e.test_payments import new_tracker
from tests.fakes.telegram import STARS_SUBSCRIPTION_PERIOD, TelegramError
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME
REPO = Path(__file__).resolve().parents[2]
EDIT = "editUserStarSubscription"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def seed_stars_clients(tg, tracker: Tracker, count: int, first_id: int) -> list[str]:
    """`count` clients with a live Stars subscription on the tracker, as Telegram and the platform
    both know them after a first charge; each has opened the bot. Returns their charge ids."""
    bot = tg.bot(tracker.bot_id)
    charges = []
    for n in range(count):
        user = tg.user(first_id + n, f"Client{n}", language_code="en")
        tg._conversation(bot, user.chat).opened = True  # they wrote to the bot when they subscribed
        charge = f"tgcharge-seed-{tracker.id}-{n}"
        bot.star_charges[charge] = {
            "user_id": user.id, "user": user.as_api(), "amount": 1334, "date": tg.now(),
            "invoice_payload": "seeded", "subscription_period": STARS_SUBSCRIPTION_PERIOD,
            "refunded": False, "refunded_at": None}
        bot.star_subscriptions[charge] = {"canceled": False}
        charges.append(charge)
    await User.bulk_create([User(id=first_id + n, first_name=f"Client{n}", language_code="en")
                            for n in range(count)], batch_size=500)
    await AutoRenewal.bulk_create([
        AutoRenewal(tracker_id=tracker.id, user_id=first_id + n, provider=PaymentProvider.STARS, method_id=charge,
                    plan_kind=PlanKind.MONTH, agreed_price_kopecks=200000, enabled=True)
        for n, charge in enumerate(charges)], batch_size=500)
    return charges


class HeldEdits:
    """Telegram sits on the bot's editUserStarSubscription calls that `hold(charge_id)` picks:
    the request is in flight, nothing changes. Once opened, a call still held is answered with a
    500 (it never took effect) and later ones go through."""

    def __init__(self, tg, hold) -> None:
        self.hold = hold
        self.held: list[str] = []
        self.opened = asyncio.Event()
        self._edit = tg._methods[EDIT.lower()]
        tg._methods[EDIT.lower()] = self._edit_subscription

    async def _edit_subscription(self, bot, params: dict):
        charge = str(params.get("telegram_payment_charge_id"))
        if not self.opened.is_set() and self.hold(charge):
            self.held.append(charge)
            await self.opened.wait()
            raise TelegramError(500, "Internal Server Error")
        result = self._edit(bot, params)
        return await result if isinstance(result, Awaitable) else result

    def open(self) -> None:
        self.opened.set()


def cancellations(tg, bot: str) -> Counter:
    """Charge id -> how many times Telegram accepted its cancellation."""
    return Counter(c.params["telegram_payment_charge_id"] for c in tg.calls_to(EDIT, bot=bot)
                   if c.status == 200 and c.params.get("is_canceled"))


def tells(tg, bot: str) -> Counter:
    return Counter(c.params["chat_id"] for c in tg.calls_to("sendMessage", bot=bot) if c.status == 200)


async def delete_tracker(author) -> str:
    """From the tracker's card, the last thing the platform showed the author after registering it."""
    await author.click(author.last_message(PLATFORM), "🗑 Удалить")
    confirm = await author.wait_for_text(PLATFORM, "Удалить трекер")
    return await author.click(confirm, "Да, удалить")


async def token_wiped(tracker_id: int) -> bool:
    return (await Tracker.get(id=tracker_id)).token_encrypted == ""


@pytest.mark.timeout(600)
async def test_a_thousand_stars_clients_are_cancelled_in_the_background_once_each(
        tg, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(services.stars_cancel, "CALL_GAP", 0.001)  # the pace is Telegram's, not the test's
    count = 1000
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    author = tg.user(1031, "Anna", language_code="ru")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 31, "crowd_bot")
        charges = await seed_stars_clients(tg, tracker, count, first_id=310000)
        gate = HeldEdits(tg, lambda charge: True)  # Telegram holds every cancellation until opened

        query_id = await delete_tracker(author)
        answer = await tg.wait_for_callback_answer(PLATFORM, query_id)
        # The press answered while not one cancellation had been made: it does not wait for them.
        assert "Подписки за звёзды отменяются: 1\u00a0000" in answer["text"] and answer.get("show_alert")
        assert not cancellations(tg, "crowd_bot")
        assert (await Tracker.get(id=tracker.id)).token_encrypted != ""  # kept for the cancellations

        tg.fail_next(EDIT, 429, retry_after=1, bot="crowd_bot")  # Telegram asks for a pause once
        gate.open()
        bot = tg.bot("crowd_bot")
        await eventually(lambda: all(bot.star_subscriptions[c]["canceled"] for c in charges),
                         "every Stars subscription cancelled", timeout=300)
        await eventually(lambda: len(tells(tg, "crowd_bot")) == count, "every client told", timeout=120)
        await eventually(lambda: token_wiped(tracker.id), "the token wiped once all are done")

        assert set(cancellations(tg, "crowd_bot").values()) == {1}
        assert set(tells(tg, "crowd_bot").values()) == {1}
        finished = await author.wait_for_text(PLATFORM, "отмена подписок за звёзды закончена")
        assert "Отменено: 1 000." in finished.plain and "Не удалось" not in finished.plain
        assert any(c.status == 429 for c in tg.calls_to(EDIT, bot="crowd_bot"))
        assert await StarsCancellation.filter(tracker_id=tracker.id, status=StarsCancelStatus.DONE).count() == count
        assert not await AutoRenewal.filter(tracker_id=tracker.id, enabled=True).exists()


CLAIM_SECONDS = 4.0  # a killed process's claims free its bot this long after it took them
CALL_GAP = 0.002


@pytest.mark.timeout(600)
async def test_a_process_killed_half_way_leaves_the_rest_to_the_next_which_cancels_none_twice(
        tg, database, tmp_path):
    count, half = 400, 200
    author = tg.user(1032, "Anna", language_code="ru")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL", "SECRET_KEY"))},
        "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": generate_key(),
        "DATABASE_URL": database, "TELEGRAM_API_BASE": tg.base_url, "POLLING_TIMEOUT": "1",
        "PYTHONPATH": str(REPO),
    }
    platform = Platform(tmp_path, env, main="tests.e2e.stars_cancel_kill_main",
                        args=[str(CLAIM_SECONDS), str(CALL_GAP)])
    try:
        await platform.start()
        tracker = await new_tracker(tg, 32, "halfway_bot")
        charges = await seed_stars_clients(tg, tracker, count, first_id=320000)
        held = HeldEdits(tg, lambda charge: charge == charges[half])

        query_id = await delete_tracker(author)
        answer = await tg.wait_for_callback_answer(PLATFORM, query_id, timeout=60)
        assert "Подписки за звёзды отменяются: 400" in answer["text"]
        await eventually(lambda: held.held, "the middle cancellation to be in flight", timeout=300)
        platform.kill()

        bot = tg.bot("halfway_bot")
        done_before = [c for c in charges if bot.star_subscriptions[c]["canceled"]]
        assert done_before == charges[:half]  # in order, and the one in flight never took effect
        held.open()

        await platform.start()
        await eventually(lambda: all(bot.star_subscriptions[c]["canceled"] for c in charges),
                         "the rest cancelled by the next process", timeout=300)
        await eventually(lambda: len(tells(tg, "halfway_bot")) == count, "every client told", timeout=120)
        await eventually(lambda: token_wiped(tracker.id), "the token wiped once all are done")

        assert set(cancellations(tg, "halfway_bot").values()) == {1}, "a subscription cancelled twice"
        assert set(tells(tg, "halfway_bot").values()) == {1}, "a client told twice"
        assert await StarsCancellation.filter(tracker_id=tracker.id, status=StarsCancelStatus.DONE).count() == count
    except BaseException:
        print(platform.logs())
        raise
    finally:
        platform.stop()
