"""Payments end to end: the real platform against the fake Telegram and YooKassa servers.

For each way to pay, a client goes from /start to an active subscription with the right periods
and access to the tracker; duplicates, forgeries, tampering, changed prices, a paused tracker, a
YooKassa timeout and a restart between the invoice and the payment each leave exactly one
subscription or none, and a message a person understands.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from billing.access import access_for
from billing.ledger import settled_total, user_balance
from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import (
    AccountingPeriod,
    AutoRenewal,
    Checkout,
    Collector,
    Payment,
    PaymentProvider,
    PlanKind,
    Subscription,
    SubscriptionStatus,
    Tracker,
    TrackerStatus,
)
from scheduler import renewals
from services import tracker_cache
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.fakes.telegram import plain
from tests.fakes.yookassa_server import FakeYooKassa

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def new_tracker(tg, n: int, username: str) -> Tracker:
    token = tracker_token(n)
    tg.add_bot(token, username, username)
    author = tg.user(1000 + n, "Anna", language_code="ru")
    await create_tracker(author, token, username)
    return await Tracker.get(username=username)


async def open_plans(client, bot: str):
    await client.send(bot, "/start")
    await client.wait_for_message(bot)
    await client.send(bot, "/subscription")
    return await client.wait_for_text(bot, "choose a subscription")


async def choose(client, bot: str, plan_button: str, method_button: str):
    paywall = await open_plans(client, bot)
    await client.click(paywall, plan_button)
    methods = await client.wait_for_text(bot, "How would you like to pay")
    await client.click(methods, method_button)


async def choose_extend(client, bot: str, plan_button: str, method_button: str):
    await client.send(bot, "/subscription")
    status = await client.wait_for_text(bot, "Active until")
    await client.click(status, "➕ Extend")
    plans = await client.wait_for_text(bot, "Extend your subscription")
    await client.click(plans, plan_button)
    methods = await client.wait_for_text(bot, "How would you like to pay")
    await client.click(methods, method_button)


async def settle_down(tg, bot: str) -> None:
    await tg.wait_until_delivered(bot)
    await asyncio.sleep(0.3)


# --------------------------------------------------------------------------- Telegram Payments


async def connect_card(rt, tg, tracker: Tracker) -> None:
    """The tracker's own provider token, as the author's "Card payments" screen stores it."""
    token = tg.issue_provider_token(tracker.username)
    await Tracker.filter(id=tracker.id).update(provider_token_encrypted=rt.box.encrypt(token))
    tracker_cache.forget(tracker_id=tracker.id)  # as PaymentService.connect_card_payments does


async def test_author_sets_prices_and_a_client_pays_by_card(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"tax_system_code": 2})
    client = tg.user(2101, "Bob", language_code="en")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 11, "card_bot")
        author = tg.user(1011)
        await author.click(author.last_message(PLATFORM), "💰 Тарифы и цены")
        plans = await author.wait_for_text(PLATFORM, "час работы живого специалиста")
        await author.click(plans, "Месяц: —")
        await author.wait_for_text(PLATFORM, "Пришлите новую цену")
        await author.send(PLATFORM, "0")
        await author.wait_for_text(PLATFORM, "больше нуля")
        await author.send(PLATFORM, "два")
        await author.wait_for_text(PLATFORM, "не похоже на цену")
        await author.send(PLATFORM, "2 000")
        saved = await author.wait_for_text(PLATFORM, "Цена сохранена")
        assert ["Месяц: 2 000 ₽"] in [[plain(b) for b in row] for row in saved.keyboard]
        assert "Оплата картой: не подключена" in saved.plain

        # Card payments need the provider token @BotFather issued for this tracker's own bot.
        await client.send("card_bot", "/subscription")
        await client.wait_for_text("card_bot", "choose a subscription")
        await client.click(client.last_message("card_bot"), "Month — 2,000 RUB")
        await client.wait_for_text("card_bot", "Payments are not set up")  # no other way to pay is on here

        await author.click(saved, "💳 Оплата картой")
        await author.wait_for_text(PLATFORM, "Bot Settings → Payments")
        await author.send(PLATFORM, "381764678:TEST:made-up")
        await author.wait_for_text(PLATFORM, "не принял этот токен для @card_bot")
        tg.add_bot(tracker_token(99), "other_bot", "Other")
        await author.send(PLATFORM, tg.issue_provider_token("other_bot"))
        await author.wait_for_text(PLATFORM, "не принял этот токен для @card_bot")
        own = tg.issue_provider_token("card_bot")
        await author.send(PLATFORM, f"Use this token to connect: {own}")
        await author.wait_for_text(PLATFORM, "пришлите токен ещё раз")
        await author.send("card_bot", "/start")
        await author.wait_for_text("card_bot", "Здравствуйте, Anna")  # now the bot may write to them
        await author.send(PLATFORM, own)
        connected = await author.wait_for_text(PLATFORM, "Оплата картой подключена")
        assert "деньги поступают в ваш магазин" in connected.plain
        preview = await author.wait_for_message("card_bot", lambda m: m.invoice is not None)
        assert not (await author.pay(preview)).ok  # the trial invoice takes no money
        row = await Tracker.get(id=tracker.id)
        assert row.provider_token_encrypted and own not in row.provider_token_encrypted

        await choose(client, "card_bot", "Month — 2,000 RUB", "💳 Card in Telegram — 2,000 RUB")
        invoice = await client.wait_for_message("card_bot", lambda m: m.invoice is not None)
        assert invoice.invoice["currency"] == "RUB" and invoice.invoice["prices"][0]["amount"] == 200000
        assert invoice.invoice["need_email"] and '"receipt"' in invoice.invoice["provider_data"]

        paid = await client.pay(invoice)
        assert paid.ok
        await client.wait_for_text("card_bot", "is active until")
        access = await access_for(tracker, client.id)
        assert access.subscription is not None and access.subscription.plan_kind == PlanKind.MONTH
        assert await AccountingPeriod.filter(subscription_id=access.subscription.id).count() == 1
        payment = await Payment.get(user_id=client.id)
        assert (payment.provider, payment.external_id, payment.amount_kopecks) == (
            PaymentProvider.TELEGRAM, paid.charge_id, 200000)
        assert payment.collector == Collector.AUTHOR  # the author's own shop holds the money

        await client.repeat_update(paid)  # the same successful_payment again
        await settle_down(tg, "card_bot")
        assert await Subscription.all().count() == 1 and await Payment.all().count() == 1
        await client.expect_no_message("card_bot")

        await client.send("card_bot", "/subscription")
        status = await client.wait_for_text("card_bot", "Active until")
        assert "Payment history" in status.plain and "RUB 2,000.00 by card in Telegram" in status.plain

        # Settled: the author keeps their share of what their shop took and owes the platform the rest.
        period = await AccountingPeriod.get(subscription_id=access.subscription.id)
        assert period.collector == Collector.AUTHOR
        await settle_due_periods(now=period.ends_at)
        owes = await user_balance(author.id)
        assert owes.collected == -200000 and 0 < owes.accrued < 200000
        assert owes.available == owes.accrued - 200000 and owes.owed == 200000 - owes.accrued
        margin, shares = await settled_total()
        assert margin == shares == 200000 - (await AccountingPeriod.get(id=period.id)).token_cost_kopecks


async def test_bad_invoices_are_refused_and_a_restart_loses_nothing(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path)
    client = tg.user(2102, "Eve", language_code="en")
    async with running_platform(settings) as rt:
        tracker = await new_tracker(tg, 12, "strict_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        await connect_card(rt, tg, tracker)
        await choose(client, "strict_bot", "Month — 2,000 RUB", "💳 Card in Telegram — 2,000 RUB")
        invoice = await client.wait_for_message("strict_bot", lambda m: m.invoice is not None)
        payload = invoice.invoice["payload"]

        tampered = await client.pay(invoice, payload=payload.replace(":200000:", ":100:"))
        assert not tampered.ok and "not for you or was changed" in tampered.error_message
        other = await tg.user(2103, "Mallory", language_code="en").pay(invoice)  # someone else's invoice
        assert not other.ok and "not for you" in other.error_message
        cheaper = await client.pay(invoice, total_amount=100)
        assert not cheaper.ok and "amount does not match" in cheaper.error_message

        await set_price(tracker.id, PlanKind.MONTH, 250000)
        changed = await client.pay(invoice)
        assert not changed.ok and "price of the Month plan has changed" in changed.error_message
        await set_price(tracker.id, PlanKind.MONTH, 200000)

        await Tracker.filter(id=tracker.id).update(status=TrackerStatus.PAUSED)
        paused = await client.pay(invoice)
        assert not paused.ok and "paused" in paused.error_message
        await Tracker.filter(id=tracker.id).update(status=TrackerStatus.ACTIVE)
        assert await Subscription.all().count() == 0 and await Payment.all().count() == 0

    # The platform restarts between the invoice and the payment: the signed invoice still works.
    async with running_platform(settings):
        paid = await client.pay(invoice)
        assert paid.ok
        await client.wait_for_text("strict_bot", "is active until")
        assert await Subscription.all().count() == 1
        assert (await access_for(tracker, client.id)).subscription is not None


# --------------------------------------------------------------------------- Telegram Stars


async def test_stars_subscription_renews_by_telegram_and_a_refund_ends_access(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    client = tg.user(2104, "Kate", language_code="en")
    async with running_platform(settings) as runtime:
        tracker = await new_tracker(tg, 13, "star_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        await set_price(tracker.id, PlanKind.DAY, 15000)

        await choose(client, "star_bot", "Month — 2,000 RUB", "⭐ 1,334 Stars a month (renews itself)")
        offer = await client.wait_for_text("star_bot", "every 30 days")
        link = offer.buttons[0]["url"]
        assert tg.bot("star_bot").invoice_links[link]["subscription_period"] == 2592000
        first = await client.pay(offer)
        assert first.ok and first.message["successful_payment"]["is_first_recurring"]
        await client.wait_for_text("star_bot", "is active until")
        sub1 = (await access_for(tracker, client.id)).subscription
        assert sub1 is not None and (await Payment.get(external_id=first.charge_id)).amount_minor == 1334

        renewal = await client.renew_star_subscription(first)
        await client.wait_for_text("star_bot", "renewed until")
        await client.repeat_update(renewal)
        await settle_down(tg, "star_bot")
        subs = await Subscription.filter(user_id=client.id).order_by("starts_at")
        assert len(subs) == 2 and subs[1].starts_at == sub1.ends_at

        await choose_extend(client, "star_bot", "Day — 150 RUB", "⭐ 100 Stars")
        invoice = await client.wait_for_message("star_bot", lambda m: m.invoice is not None)
        assert invoice.invoice["currency"] == "XTR" and "subscription_period" not in invoice.invoice
        day = await client.pay(invoice)
        await client.wait_for_text("star_bot", "is active until")
        assert await Subscription.filter(user_id=client.id).count() == 3

        await client.send("star_bot", "/subscription")
        status = await client.wait_for_text("star_bot", "Telegram Stars every 30 days")
        await client.click(status, "Turn off auto-renewal")
        await client.wait_for_text("star_bot", "Auto-renewal is off")
        assert tg.bot("star_bot").star_subscriptions[first.charge_id]["canceled"] is True
        assert not (await AutoRenewal.get(user_id=client.id)).enabled

        payment = await Payment.get(external_id=day.charge_id)
        await runtime.payments.refund(payment.id)
        await client.wait_for_text("star_bot", "was refunded")
        assert tg.bot("star_bot").refunds[-1]["telegram_payment_charge_id"] == day.charge_id
        refunded = await Subscription.get(payment_id=payment.id)
        assert refunded.status == SubscriptionStatus.REFUNDED
        assert not await AccountingPeriod.filter(subscription_id=refunded.id, status="open").exists()


# --------------------------------------------------------------------------- YooKassa


# Long enough for a local answer on a loaded machine (1 s timed out a re-fetch under the stress
# run); a hung call waits all of it.
YOOKASSA_TIMEOUT = 4.0


def yookassa_settings(tg, database_url, tmp_path, yk):
    return make_settings(tg, database_url, tmp_path, webhook_host="127.0.0.1", webhook_port=0, payments={
        "yookassa_shop_id": yk.shop_id, "yookassa_secret_key": yk.secret_key, "yookassa_api_url": yk.api_url,
        "yookassa_timeout": YOOKASSA_TIMEOUT, "yookassa_notify_sources": "127.0.0.1",  # the fake notifies from here
    })


async def test_yookassa_link_webhook_auto_renewal_and_refund(tg, database_url, tmp_path):
    client = tg.user(2105, "Ivan", language_code="en")
    async with FakeYooKassa() as yk:
        async with running_platform(yookassa_settings(tg, database_url, tmp_path, yk)) as runtime:
            notify_url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            tracker = await new_tracker(tg, 14, "yk_bot")
            await set_price(tracker.id, PlanKind.MONTH, 200000)
            await choose(client, "yk_bot", "Month — 2,000 RUB", "🔁 YooKassa with auto-renewal — 2,000 RUB")
            offer = await client.wait_for_text("yk_bot", "with auto-renewal")
            payment_id = offer.buttons[0]["url"].rsplit("/", 1)[1]
            assert yk.payments[payment_id]["_save"] is True

            # A forged notification: the body says succeeded, the API says pending.
            forged = dict(yk.payments[payment_id], status="succeeded", paid=True)
            assert await yk.notify(notify_url, "payment.succeeded", obj=yk._public(forged)) == 200
            assert await Payment.all().count() == 0

            yk.succeed(payment_id)
            for _ in range(3):  # YooKassa delivers the same notification three times
                assert await yk.notify(notify_url, "payment.succeeded", payment_id) == 200
            await client.wait_for_text("yk_bot", "is active until")
            await client.expect_no_message("yk_bot", timeout=0.5)
            assert await Payment.all().count() == 1 and await Subscription.all().count() == 1
            sub1 = (await access_for(tracker, client.id)).subscription
            assert sub1 is not None
            assert (await AutoRenewal.get(user_id=client.id)).enabled

            # The scheduler renews through the saved card a day before the end, once.
            soon = (sub1.ends_at - timedelta(hours=12)).isoformat()
            await renewals.run_renewals(soon)
            await renewals.run_renewals(soon)
            await client.wait_for_text("yk_bot", "renewed until")
            subs = await Subscription.filter(user_id=client.id).order_by("starts_at")
            assert len(subs) == 2 and subs[1].starts_at == sub1.ends_at

            # Declined next time: told once.
            yk.decline_method((await AutoRenewal.get(user_id=client.id)).method_id)
            later = (subs[1].ends_at - timedelta(hours=2)).isoformat()
            await renewals.run_renewals(later)
            await renewals.run_renewals(later)
            await client.wait_for_text("yk_bot", "payment was declined")
            await client.wait_for_text("yk_bot", "Renew: /subscription")  # the 1-day reminder, by hand now
            await client.expect_no_message("yk_bot", timeout=0.5)
            assert await Subscription.all().count() == 2

            await client.send("yk_bot", "/subscription")
            status = await client.wait_for_text("yk_bot", "Auto-renewal: on")
            await client.click(status, "Turn off auto-renewal")
            await client.wait_for_text("yk_bot", "Auto-renewal is off")
            assert not (await AutoRenewal.get(user_id=client.id)).enabled

            # A refund made in YooKassa's dashboard arrives as refund.succeeded (twice).
            second = await Payment.get(subscription__id=subs[1].id)
            refund_id = "rf-" + second.external_id[:20]
            yk.refunds[refund_id] = {"id": refund_id, "payment_id": second.external_id, "status": "succeeded",
                                     "created_at": "2025-01-01T00:00:00.000Z",
                                     "amount": {"value": "2000.00", "currency": "RUB"}}
            for _ in range(2):
                assert await yk.notify(notify_url, "refund.succeeded", refund_id) == 200
            await client.wait_for_text("yk_bot", "was refunded")
            await client.expect_no_message("yk_bot", timeout=0.5)
            assert (await Subscription.get(id=subs[1].id)).status == SubscriptionStatus.REFUNDED
            assert (await Subscription.get(id=sub1.id)).status == SubscriptionStatus.ACTIVE


async def test_yookassa_timeout_is_told_and_the_retry_makes_one_payment(tg, database_url, tmp_path):
    client = tg.user(2106, "Olga", language_code="en")
    async with FakeYooKassa() as yk:
        async with running_platform(yookassa_settings(tg, database_url, tmp_path, yk)) as runtime:
            tracker = await new_tracker(tg, 15, "slow_bot")
            await set_price(tracker.id, PlanKind.MONTH, 200000)
            yk.hang_next(processed=True)  # YooKassa makes the payment, but its answer never comes
            await choose(client, "slow_bot", "Month — 2,000 RUB", "🔗 YooKassa link — 2,000 RUB")
            await client.wait_for_text("slow_bot", "not answering right now")
            yk.release()
            await choose(client, "slow_bot", "Month — 2,000 RUB", "🔗 YooKassa link — 2,000 RUB")
            offer = await client.wait_for_text("slow_bot", "YooKassa page")
            payment_id = offer.buttons[0]["url"].rsplit("/", 1)[1]
            assert list(yk.payments) == [payment_id] and await Checkout.all().count() == 1

            # The notification check times out too: YooKassa is asked to deliver it again.
            yk.succeed(payment_id)
            notify_url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            yk.hang_next()
            assert await yk.notify(notify_url, "payment.succeeded", payment_id) == 500
            yk.release()
            assert await Payment.all().count() == 0
            assert await yk.notify(notify_url, "payment.succeeded", payment_id) == 200
            await client.wait_for_text("slow_bot", "is active until")
            assert await Payment.all().count() == 1 and await Subscription.all().count() == 1
