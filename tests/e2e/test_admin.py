"""The platform admin end to end: the real platform against the fake Telegram server.

The admin (ADMIN_IDS) opens /admin, adds a new mJ rate (a past date is refused), prices a model,
changes and switches it off, adds a commission schedule (one that does not add up to 100 is
refused), reads February's totals of a settled scenario and gets that month's ledger as a CSV
document. Someone else gets the usual answer to /admin, no admin button, and nothing from an
admin's callbacks copied into their own chat or from a hand-made one.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing import commission, rates
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import CommissionRate, MjRate, ModelPrice, OutboxEvent, OutboxStatus, UsageRecord
from notify.outbox import PLATFORM_BOT
from tests.billing.helpers import MSK, at, join, make_tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME
ADMIN_ID, STRANGER_ID = 900, 901
ADMIN_WORDS = ("administration", "Rate now", "Model prices", "Totals for", "Ledger for", "Commission now")


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def window(person, text: str):
    """The next window showing `text` with its buttons."""
    return await person.wait_for_message(PLATFORM, lambda m: text in m.plain and bool(m.buttons))


async def settled_february() -> None:
    """The money test's scenario (tests/billing/test_reports.py) settled on Feb 5, 2025."""
    tracker = await make_tracker(author_id=1, bot_id=777)
    await join(tracker, 11, inviter=1)
    await join(tracker, 5, inviter=11)
    for user in (6, 7):
        await join(tracker, user)
    t0 = at(2025, 1, 1, 9)
    for user, price in ((5, 200_000), (6, 100_001), (7, 50_000)):
        await create_subscription(tracker.id, user, "month", price, t0, tz=MSK)
    for user, cost_ukop in ((5, 60_000_500_000), (7, 80_000_000_000)):
        await UsageRecord.create(tracker=tracker, user_id=user, model="m", input_tokens=1, output_tokens=1,
                                 mj_micro=0, cost_ukop=cost_ukop, created_at=t0 + timedelta(days=3))
    await settle_due_periods(at(2025, 2, 5, 12))


def callback_update(query_id: str, person, message_raw: dict, data: str) -> dict:
    return {"callback_query": {"id": query_id, "from": person.as_api(), "message": message_raw,
                               "chat_instance": "x", "data": data}}


async def test_the_admin_runs_the_economics_and_nobody_else_can(tg, database_url, tmp_path):
    admin = tg.user(ADMIN_ID, "Ada", language_code="en")
    stranger = tg.user(STRANGER_ID, "Eve", language_code="en")
    settings = make_settings(tg, database_url, tmp_path, admin_ids=[ADMIN_ID])
    async with running_platform(settings):
        # The start menu: the admin button for the admin only.
        await admin.send(PLATFORM, "/start")
        start_menu = await window(admin, "New tracker")
        assert any("🛠 Administration" in row for row in start_menu.keyboard)
        await stranger.send(PLATFORM, "/start")
        stranger_menu = await window(stranger, "New tracker")
        assert not any("Administration" in b["text"] for b in stranger_menu.buttons)
        await admin.click(start_menu, "🛠 Administration")
        menu = await window(admin, "Platform administration")
        assert "Rate: 1.5 RUB per mJ" in menu.plain  # the seeded rate

        # --- the mJ rate: a past date is refused; a new rate from now applies at once ------------
        assert (await rates.current_rate()).rub_per_mj == Decimal("1.5")  # fills the rate cache
        await admin.click(menu, "💱 mJ rate")
        rate_window = await window(admin, "Rate now: 1.5 RUB per mJ")
        await admin.click(rate_window, "➕ New rate")
        await window(admin, "Send the new rate")
        await admin.send(PLATFORM, "2 2020-01-01")
        await window(admin, "That time has passed")
        before = datetime.now(UTC)
        await admin.send(PLATFORM, "1,75")
        rate_window = await window(admin, "The rate 1.75 RUB/mJ applies from")
        assert "Rate now: 1.75 RUB per mJ" in rate_window.plain
        newest = await MjRate.all().order_by("-valid_from").first()
        assert newest.rub_per_mj == Decimal("1.75") and newest.valid_from >= before - timedelta(seconds=1)
        assert await MjRate.all().count() == 2  # the refused one wrote nothing
        assert (await rates.current_rate()).rub_per_mj == Decimal("1.75")  # the cache was cleared
        await admin.click(rate_window, "← Back")

        # --- model prices: add, change, switch off ------------------------------------------------
        menu = await window(admin, "Platform administration")
        await admin.click(menu, "🧠 Model prices")
        # A fresh install on the default endpoint already prices its common models (billing.default_prices).
        prices = await window(admin, "Authors choose among active models only")
        assert ["🟢 gpt-4o-mini: 0.01 / 0.04"] in prices.keyboard
        assert "default prices from its price list of 1 Jun 2025" in prices.plain
        await admin.click(prices, "➕ Add a model")
        await window(admin, "Send the model's name")
        await admin.send(PLATFORM, "gpt-test 0.15")
        await window(admin, "Send the model's name (no spaces) and two numbers")
        await admin.send(PLATFORM, "gpt-test 0.15 0.6")
        card = await window(admin, "The price of gpt-test is saved")
        assert (await rates.cached_price("gpt-test")).mj_per_1k_output == Decimal("0.6")
        await admin.send(PLATFORM, "0.2 0.8")
        card = await window(admin, "gpt-test: 0.2 mJ per 1,000 input tokens, 0.8 mJ")
        assert (await rates.cached_price("gpt-test")).mj_per_1k_input == Decimal("0.2")  # not the cached 0.15
        await admin.click(card, "⛔ Switch the model off")
        await window(admin, "The model gpt-test is switched off")
        assert not (await ModelPrice.get(model="gpt-test")).active
        assert await rates.cached_price("gpt-test") is None
        await admin.send(PLATFORM, "0.2 0.8")  # a price again switches it back on
        card = await window(admin, "Active.")
        assert (await ModelPrice.get(model="gpt-test")).active
        await admin.click(card, "← Back")
        prices = await window(admin, "Authors choose among active models only")
        assert any("🟢 gpt-test: 0.2 / 0.8" in row for row in prices.keyboard)
        await admin.click(prices, "← Back")

        # --- the commission schedule --------------------------------------------------------------
        menu = await window(admin, "Platform administration")
        await admin.click(menu, "➗ Commission")
        schedule = await window(admin, "Commission now: platform 20 %, author 20 %, L1 30 %")
        await admin.click(schedule, "➕ New schedule")
        await window(admin, "Send the shares in percent")
        await admin.send(PLATFORM, "20 20 30 20 11")
        await window(admin, "The shares add up to 101, not 100")
        await admin.send(PLATFORM, "10 30 30 20 10")
        schedule = await window(admin, "The new schedule applies from")
        assert "Commission now: platform 10 %, author 30 %" in schedule.plain
        [row] = await CommissionRate.all()
        assert (row.platform, row.author, row.created_by) == (Decimal(10), Decimal(30), ADMIN_ID)
        assert (await commission.schedule_at(fallback=settings.commission))["author"] == Decimal(30)
        await admin.click(schedule, "← Back")
        menu = await window(admin, "Platform administration")

        # --- undelivered events: retry one, then all ----------------------------------------------
        dead = [await OutboxEvent.create(dedupe_key=f"dead-{n}", kind="start", bot_id=PLATFORM_BOT, chat_id=ADMIN_ID,
                                         language="en", params={"name": "Bob"}, status=OutboxStatus.DEAD,
                                         attempts=8, next_attempt_at=datetime.now(UTC), last_error="Forbidden")
                for n in (1, 2)]
        await admin.click(menu, "📮 Undelivered events")
        events = await window(admin, "Undelivered events: 2 (page 1 of 1)")
        assert f"#{dead[0].id} start → {ADMIN_ID}, attempts: 8" in events.plain and "Forbidden" in events.plain
        await admin.click(events, f"🔁 #{dead[0].id}")
        events = await window(admin, "Queued again: 1")
        assert (await OutboxEvent.get(id=dead[0].id)).status != OutboxStatus.DEAD
        await admin.click(events, "🔁 Retry all")
        events = await window(admin, "Every event was delivered")
        assert await OutboxEvent.filter(status=OutboxStatus.DEAD).count() == 0
        async def both_sent() -> bool:  # the delivery loop sends them now
            return await OutboxEvent.filter(status=OutboxStatus.SENT).count() == 2

        await eventually(both_sent, "both events sent again")
        assert sum("Bob opened the bot" in m.plain for m in admin.messages(PLATFORM)) == 2
        await admin.click(events, "← Back")

        # --- February's totals and its ledger as CSV ----------------------------------------------
        await settled_february()
        menu = await window(admin, "Platform administration")  # the same window, edited
        await admin.click(menu, "📊 Month totals and export")
        await window(admin, "Totals for")
        await admin.send(PLATFORM, "2025-02")
        totals = await window(admin, "Totals for February 2025")
        for line in ("Periods: 3", "Revenue: RUB 3,500.01", "Token cost: RUB 1,400.01", "Margin: RUB 2,100.00",
                     "Shares: platform RUB 480.00, author RUB 480.00, L1 RUB 720.00, L2 RUB 480.00, L3 RUB 240.00",
                     "L1 RUB 300.01, L2 RUB 200.00, L3 RUB 240.00", "Losses: -RUB 300.00",
                     "The platform keeps: RUB 920.01 · people get: RUB 1,179.99"):
            assert line in totals.plain, line
        await admin.click(totals, "📄 Export the ledger (CSV)")
        document = await admin.wait_for_message(PLATFORM, lambda m: m.content_type == "document")
        assert document.file.filename == "ledger-2025-02.csv"
        assert "Ledger for February 2025 (Europe/Moscow): 11 entries" in document.plain
        rows = list(csv.DictReader(io.StringIO(document.file.data.decode("utf-8"))))
        assert len(rows) == 11
        assert sum(Decimal(r["amount_rub"]) for r in rows) == Decimal("2100.00")
        assert {(r["account"], r["role"], r["kind"], r["amount_rub"]) for r in rows if r["account"] == "user:11"} == {
            ("user:11", "l1", "accrual", "419.99")}
        assert {r["tracker"] for r in rows} == {"t777_bot"}
        await window(admin, "Totals for February 2025")  # the window again, below the document
        admin_screens = list(tg._conversation(tg.bot(PLATFORM), admin.chat).events)  # every send and edit

        # --- the stranger --------------------------------------------------------------------------
        # /admin is an unknown command for them: the menu they are in is shown again, as for any
        # other text, and someone who is in no menu gets the usual "did not understand".
        await stranger.send(PLATFORM, "/admin")
        stranger_menu = await window(stranger, "New tracker")
        newcomer = tg.user(STRANGER_ID + 1, "Zoe", language_code="en")
        await newcomer.send(PLATFORM, "/admin")
        assert "I did not understand that" in (await newcomer.wait_for_message(PLATFORM)).text
        own_raw = tg._conversation(tg.bot(PLATFORM), stranger.chat).messages[stranger_menu.message_id].message
        # The start menu's admin button, made by hand with the stranger's own dialog id
        # (first: a stale callback below restarts their menu with a new id).
        new_tracker = next(b["callback_data"] for b in stranger_menu.buttons if "New tracker" in b["text"])
        forged = new_tracker[: -len("new")] + "admin"
        assert forged.endswith("\x1dadmin")
        tg.push_update(PLATFORM, callback_update("forged-admin", stranger, own_raw, forged))
        answer = await tg.wait_for_callback_answer(PLATFORM, "forged-admin")
        assert not answer.get("text")  # reached the button (not a stale-menu answer) and was refused
        # Every button the admin was shown, pressed from the stranger's own chat.
        copied = {b["callback_data"] for m in admin_screens for b in m.buttons if "callback_data" in b}
        assert len(copied) >= 15
        for n, data in enumerate(sorted(copied)):
            tg.push_update(PLATFORM, callback_update(f"copied-{n}", stranger, own_raw, data))
        await tg.wait_until_delivered(PLATFORM)
        await stranger.send(PLATFORM, "1.1")  # would be a new rate in the admin's rate window
        await stranger.wait_for_message(PLATFORM, lambda m: "did not understand" in m.plain or "New tracker" in m.plain)
        await tg.wait_until_delivered(PLATFORM)
        await admin.expect_no_message(PLATFORM, timeout=0.5)

        for message in tg._conversation(tg.bot(PLATFORM), stranger.chat).events:  # every send and edit
            assert message.content_type != "document"
            assert not any(word in message.text for word in ADMIN_WORDS), message.text
        assert await MjRate.all().count() == 2
        assert await CommissionRate.all().count() == 1
        assert (await ModelPrice.get(model="gpt-test")).active
