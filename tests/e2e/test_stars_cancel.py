"""Deleting a tracker, or pausing it with "cancel Stars subscriptions", cancels every client's
Stars subscription through the tracker bot, in the background, and tells each client; the author's
press says at once how many are under way (issue 19). The token is wiped once they are done. A
client who blocked the bot is cancelled all the same."""

from __future__ import annotations

import pytest

from billing.plans import set_price
from models import AutoRenewal, PlanKind, Tracker, TrackerStatus
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.e2e.test_payments import choose, new_tracker
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME
STARS_MONTHLY = "⭐ 1,334 Stars a month (renews itself)"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def subscribe_with_stars(client, bot: str):
    await choose(client, bot, "Month — 2,000 RUB", STARS_MONTHLY)
    offer = await client.wait_for_text(bot, "every 30 days")
    paid = await client.pay(offer)
    await client.wait_for_text(bot, "is active until")
    return paid


async def open_card(author, username: str):
    await author.send(PLATFORM, "/start")
    menu = await author.wait_for_text(PLATFORM, "Мои трекеры")
    await author.click(menu, "🤖 Мои трекеры")
    listing = await author.wait_for_text(PLATFORM, username)
    await author.click(listing, next(b["text"] for b in listing.buttons if username in b["text"]))
    return await author.wait_for_text(PLATFORM, f"@{username}")


async def test_deleting_a_tracker_cancels_its_clients_stars_subscriptions(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    kate = tg.user(2601, "Kate", language_code="en")
    oleg = tg.user(2602, "Oleg", language_code="en")
    author = tg.user(1026, "Anna", language_code="ru")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 26, "closing_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        kate_paid = await subscribe_with_stars(kate, "closing_bot")
        oleg_paid = await subscribe_with_stars(oleg, "closing_bot")
        await oleg.block("closing_bot")

        card = author.last_message(PLATFORM)
        await author.click(card, "🗑 Удалить")
        confirm = await author.wait_for_text(PLATFORM, "Удалить трекер")
        query_id = await author.click(confirm, "Да, удалить")

        bot = tg.bot("closing_bot")
        await eventually(lambda: query_id in tg.bot(PLATFORM).callback_answers, "the deletion answered")
        alert = tg.bot(PLATFORM).callback_answers[query_id]
        assert "Подписки за звёзды отменяются: 2" in alert["text"] and alert.get("show_alert")
        told = await kate.wait_for_text("closing_bot", "Your Stars subscription is cancelled")
        assert "closed the tracker" in told.text
        assert bot.star_subscriptions[kate_paid.charge_id]["canceled"] is True
        await eventually(lambda: bot.star_subscriptions[oleg_paid.charge_id]["canceled"], "Oleg's cancelled")

        async def token_wiped():
            row = await Tracker.get(id=tracker.id)
            return row.status == TrackerStatus.DELETED and row.token_encrypted == ""

        await eventually(token_wiped, "the token wiped once the cancellations are done")
        assert not await AutoRenewal.filter(tracker_id=tracker.id, enabled=True).exists()


async def test_pausing_by_choice_cancels_stars_subscriptions_and_keeping_them_does_not(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    kate = tg.user(2611, "Kate", language_code="en")
    author = tg.user(1027, "Anna", language_code="ru")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 27, "resting_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        paid = await subscribe_with_stars(kate, "resting_bot")
        bot = tg.bot("resting_bot")

        await author.click(author.last_message(PLATFORM), "⏸ Приостановить")
        confirm = await author.wait_for_text(PLATFORM, "подписки за звёзды")
        await author.click(confirm, "⏸ Приостановить, подписки оставить")
        await author.wait_for_text(PLATFORM, "Трекер приостановлен")
        assert bot.star_subscriptions[paid.charge_id]["canceled"] is False
        await author.click(author.last_message(PLATFORM), "▶️ Возобновить")
        await author.wait_for_text(PLATFORM, "снова работает")

        await author.click(author.last_message(PLATFORM), "⏸ Приостановить")
        confirm = await author.wait_for_text(PLATFORM, "подписки за звёзды")
        await author.click(confirm, "⏸ Приостановить и отменить подписки за звёзды")
        await author.wait_for_text(PLATFORM, "Подписки за звёзды отменяются: 1")
        await kate.wait_for_text("resting_bot", "paused the tracker")
        assert bot.star_subscriptions[paid.charge_id]["canceled"] is True
        assert (await Tracker.get(id=tracker.id)).status == TrackerStatus.PAUSED
