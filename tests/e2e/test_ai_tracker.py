"""The AI tracker end to end: the real platform against the fake Telegram and fake OpenAI servers.

A subscriber chats and the answer is streamed; every call is metered with the fake server's own
usage and settlement subtracts exactly that; the budget stops a client (also under a burst of
messages) and renews with the next period; a model that times out or answers 5xx costs nothing;
ten messages at once are all answered in order; a meeting planned before a restart opens after
it; an invalid API key alerts the author and the admin once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.periods import add_months
from billing.rates import set_model_price
from billing.settlement import settle_due_periods, token_cost_kopecks
from billing.subscriptions import create_subscription
from models import (
    AccountingPeriod,
    ChatMessage,
    Meeting,
    Membership,
    PlannedMeeting,
    PlannedStatus,
    Scenario,
    ScenarioTrigger,
    Tracker,
    UsageRecord,
    User,
)
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.fakes.openai_server import Failure, FakeOpenAIServer
from tests.waiting import eventually, stays

MODEL = "gpt-4o-mini"
REPLY = "Great start! Tell me one goal for this week and one small step you will take tomorrow."
MSK = ZoneInfo("Europe/Moscow")
ADMIN = 9001


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=8, chunk_delay=0.05) as fake:
        yield fake


def ai_settings(tg, database_url, tmp_path, fake, **overrides):
    values = dict(
        openai_base_url=fake.base_url, openai_api_key=fake.api_key, default_model=MODEL,
        llm_timeout=1.0, stream_edit_interval=0.05, admin_ids=[ADMIN],
        # Explicit: tortoise's init sets os.environ["TIMEZONE"] = "UTC" for the rest of the process.
        platform_timezone="Europe/Moscow",
    )
    values.update(overrides)
    return make_settings(tg, database_url, tmp_path, **values)


async def add_tracker(runtime, tg, n: int, username: str, author_id: int = 1001, **fields) -> Tracker:
    token = tracker_token(n)
    tg.add_bot(token, username, "Vera")
    author, _ = await User.get_or_create(id=author_id, defaults={"first_name": "Anna", "language_code": "ru"})
    tracker = await Tracker.create(
        bot_id=int(token.split(":")[0]), username=username, name="Vera", author=author,
        token_encrypted=runtime.box.encrypt(token), system_prompt="You are Vera, a kind tracker.", **fields,
    )
    await runtime.serve_tracker(tracker)
    await set_model_price(MODEL, "1", "2")  # 1 mJ per 1K input tokens, 2 per 1K output
    return tracker


async def subscribe(tracker: Tracker, user_id: int, *, plan: str = "month", price: int = 200_000, paid_at=None):
    await User.get_or_create(id=user_id, defaults={"first_name": f"Client{user_id}", "language_code": "en"})
    await Membership.get_or_create(tracker=tracker, user_id=user_id)
    return await create_subscription(tracker.id, user_id, plan, price, paid_at or datetime.now(UTC))


async def idle(runtime) -> None:
    """The client may see the whole answer a moment before it is metered: wait for that."""
    await runtime.ai.conversations.wait_idle()


def is_final(text: str):
    return lambda message: message.text == text


async def test_a_subscriber_chats_metered_exactly_and_settlement_uses_it(tg, llm_fake, database_url, tmp_path):
    client = tg.user(2001, "Bob", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 1, "vera_bot")
        sub = await subscribe(tracker, client.id)

        await client.send("vera_bot", "Hi Vera, I want to run a marathon")
        first = await client.wait_for_message("vera_bot")
        assert first.plain != REPLY and REPLY.startswith(first.plain)  # a part first, then edits
        await client.wait_for_message("vera_bot", is_final(REPLY))
        await client.send("vera_bot", "I ran 5 km today")
        await client.wait_for_message("vera_bot", is_final(REPLY))
        await idle(runtime)

        assert tg.calls_to("sendChatAction", bot="vera_bot")
        assert len(tg.calls_to("editMessageText", bot="vera_bot")) >= 2
        # The second prompt carries the system prompt and the history.
        second = llm_fake.chat_requests[1].messages
        assert second[0]["role"] == "system" and "Vera" in second[0]["content"]
        assert [m["role"] for m in second[1:]] == ["user", "assistant", "user"]

        records = await UsageRecord.filter(tracker_id=tracker.id).order_by("id")
        assert [(r.input_tokens, r.output_tokens) for r in records] == [
            (u["prompt_tokens"], u["completion_tokens"]) for u in llm_fake.usages
        ]
        assert {(r.charged_to, r.subscription_id, r.model) for r in records} == {("subscription", sub.id, MODEL)}
        assert await ChatMessage.filter(tracker_id=tracker.id, user_id=client.id).count() == 4

        period = await AccountingPeriod.get(subscription_id=sub.id)
        result = await settle_due_periods(now=period.ends_at + timedelta(seconds=1))
        assert result.periods == 1
        period = await AccountingPeriod.get(id=period.id)
        cost = token_cost_kopecks(sum(r.cost_ukop for r in records))
        assert cost > 0
        assert period.token_cost_kopecks == cost
        assert period.margin_kopecks == period.revenue_kopecks - cost == 200_000 - cost


async def test_budget_reached_under_a_burst_alerts_the_author_once(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    client = tg.user(2002, "Eve", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        await author.send(PLATFORM_USERNAME, "/start")  # so the platform bot may write to the author
        tracker = await add_tracker(runtime, tg, 2, "budget_bot", period_mj_limit="0.03")  # one answer costs ~0.05 mJ
        await subscribe(tracker, client.id)

        for i in range(5):  # all at once: each check must see the answers before it
            await client.send("budget_bot", f"burst message {i}")
        await client.wait_for_message("budget_bot", is_final(REPLY))
        for _ in range(4):
            await client.wait_for_text("budget_bot", "limit is used up")

        records = await UsageRecord.filter(tracker_id=tracker.id)
        assert len(records) == 1  # no overshoot beyond one answer
        assert len(llm_fake.chat_requests) == 1
        def budget_alerts() -> list[str]:
            return [m.plain for m in author.messages(PLATFORM_USERNAME) if "лимита периода" in m.plain]

        # The alerts come through the outbox, a moment after the answers.
        await eventually(lambda: len(budget_alerts()) >= 2, "two budget alerts")
        assert sorted(a.split("израсходовал ")[1].split("%")[0] for a in budget_alerts()) == ["100", "80"]
        await client.send("budget_bot", "one more")
        await client.wait_for_text("budget_bot", "limit is used up")
        await stays(lambda: len(budget_alerts()) == 2, "no third budget alert", for_seconds=1.0)


async def test_the_budget_renews_with_the_next_period(tg, llm_fake, database_url, tmp_path):
    client = tg.user(2003, "Kim", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 3, "renew_bot", period_mj_limit="0.03")
        # A quarter bought a month ago (minus 4 s): its first monthly period ends in 4 seconds.
        wall = datetime.now(MSK).replace(tzinfo=None) + timedelta(seconds=4)
        paid_at = add_months(wall, -1).replace(tzinfo=MSK)
        sub = await subscribe(tracker, client.id, plan="quarter", price=600_000, paid_at=paid_at)
        first_end = (await AccountingPeriod.get(subscription_id=sub.id, seq=1)).ends_at
        if abs((first_end - datetime.now(UTC)).total_seconds()) > 10:
            pytest.skip("month-end clamping today; the boundary is not 4 s away")

        await client.send("renew_bot", "first")
        await client.wait_for_message("renew_bot", is_final(REPLY))
        await idle(runtime)
        await client.send("renew_bot", "second")
        await client.wait_for_text("renew_bot", "limit is used up")
        await asyncio.sleep(max(0.0, (first_end - datetime.now(UTC)).total_seconds()) + 0.5)
        await client.send("renew_bot", "third, in the new period")
        await client.wait_for_message("renew_bot", is_final(REPLY))
        await idle(runtime)
        assert await UsageRecord.filter(tracker_id=tracker.id).count() == 2


@pytest.mark.parametrize("failure", ["5xx", "timeout"])
async def test_model_failures_apologise_and_charge_nothing(tg, llm_fake, database_url, tmp_path, failure):
    client = tg.user(2004, "Ian", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 4, "flaky_bot")
        await subscribe(tracker, client.id)
        make = (lambda: Failure.server_error(502)) if failure == "5xx" else Failure.hang_forever
        llm_fake.fail(make(), make(), make())

        await client.send("flaky_bot", "Are you there?")
        await client.wait_for_text("flaky_bot", "Sorry, I cannot answer right now")
        assert len(llm_fake.chat_requests) == 3  # retried within the bound, then gave up
        assert await UsageRecord.all().count() == 0

        await client.send("flaky_bot", "And now?")  # the next call works and is the only one charged
        await client.wait_for_message("flaky_bot", is_final(REPLY))
        await idle(runtime)
        assert await UsageRecord.all().count() == 1


async def test_ten_messages_at_once_are_all_answered_in_order(tg, llm_fake, database_url, tmp_path):
    llm_fake.reply = lambda messages: f"Answer to {messages[-1]['content']}"
    llm_fake.chunk_delay = 0.01
    client = tg.user(2005, "Zoe", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 5, "busy_bot")
        await subscribe(tracker, client.id)

        for i in range(10):
            await client.send("busy_bot", f"msg {i}")
        await client.wait_for_message("busy_bot", is_final("Answer to msg 9"), timeout=30)
        await idle(runtime)
        assert [m.plain for m in client.messages("busy_bot")] == [f"Answer to msg {i}" for i in range(10)]
        assert [r.messages[-1]["content"] for r in llm_fake.chat_requests] == [f"msg {i}" for i in range(10)]
        assert await UsageRecord.filter(tracker_id=tracker.id).count() == 10


async def test_a_meeting_planned_before_a_restart_opens_after_it(tg, llm_fake, database_url, tmp_path):
    client = tg.user(2006, "Lea", language_code="en")
    settings = ai_settings(tg, database_url, tmp_path, llm_fake)
    async with running_platform(settings) as runtime:
        tracker = await add_tracker(runtime, tg, 6, "meet_bot")
        await client.send("meet_bot", "/start")
        await client.wait_for_message("meet_bot")
        await subscribe(tracker, client.id)
        due_local = datetime.now(MSK) + timedelta(seconds=5)
        scenario = await Scenario.create(
            tracker=tracker, name="Evening check-in", prompt="Ask about the day.", trigger=ScenarioTrigger.WEEKLY,
            weekdays=str(due_local.weekday()), time_of_day=due_local.strftime("%H:%M:%S"),
            opening="Good evening! Time for our check-in.",
        )
        assert await runtime.ai.sweep() == 1
        planned = await PlannedMeeting.get(scenario_id=scenario.id)
        assert planned.status == PlannedStatus.PLANNED
    # Stopped before it was due; a new process on the same database must still open it.
    async with running_platform(settings):
        await client.wait_for_text("meet_bot", "Time for our check-in", timeout=20)
        assert (await PlannedMeeting.get(id=planned.id)).status == PlannedStatus.OPENED
        meeting = await Meeting.get(tracker_id=tracker.id, user_id=client.id)
        assert meeting.scenario_id == scenario.id and meeting.ended_at is None
        # The next weekly occurrence is planned, a week on.
        nxt = await PlannedMeeting.get(scenario_id=scenario.id, status=PlannedStatus.PLANNED)
        assert timedelta(days=6) < nxt.due_at - planned.due_at <= timedelta(days=7, seconds=1)
        # The client ends it with /end.
        await client.send("meet_bot", "/end")
        await client.wait_for_text("meet_bot", "The meeting is over")


async def test_an_on_demand_meeting_opened_by_the_model_and_ended_by_its_marker(tg, llm_fake, database_url, tmp_path):
    llm_fake.reply = lambda messages: (
        "Let us set your goal. [END]" if "OK" in messages[-1]["content"] else "Hello! What is your goal?"
    )
    client = tg.user(2007, "Ada", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 7, "demand_bot")
        await subscribe(tracker, client.id)
        await Scenario.create(tracker=tracker, name="Goal setting", prompt="Help set one goal.",
                              trigger=ScenarioTrigger.ON_DEMAND, end_marker="[END]")
        await client.send("demand_bot", "/meet")
        menu = await client.wait_for_text("demand_bot", "Which meeting")
        await client.click(menu, "Goal setting")
        await client.wait_for_message("demand_bot", is_final("Hello! What is your goal?"))
        await client.send("demand_bot", "OK, run a marathon")
        await client.wait_for_message("demand_bot", is_final("Let us set your goal."))
        await client.wait_for_text("demand_bot", "The meeting is over")
        await idle(runtime)
        meeting = await Meeting.get(tracker_id=tracker.id)
        usage = await UsageRecord.filter(meeting_id=meeting.id)
        assert meeting.end_reason == "marker" and len(usage) == 2
        assert meeting.mj_micro == sum(r.mj_micro for r in usage) > 0
        assert "Help set one goal." in llm_fake.chat_requests[0].messages[0]["content"]


async def test_an_invalid_api_key_alerts_the_author_and_the_admin_once(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    admin = tg.user(ADMIN, "Root", language_code="en")
    client = tg.user(2008, "Max", language_code="en")
    # A generous timeout: on a loaded machine a timed-out step would be retried and break the count.
    settings = ai_settings(tg, database_url, tmp_path, llm_fake, openai_api_key="sk-wrong", llm_timeout=15.0)
    async with running_platform(settings) as runtime:
        for person in (author, admin):
            await person.send(PLATFORM_USERNAME, "/start")
            await person.wait_for_message(PLATFORM_USERNAME)
        tracker = await add_tracker(runtime, tg, 8, "keyless_bot")
        await subscribe(tracker, client.id)
        for i in range(3):
            await client.send("keyless_bot", f"hello {i}")
            await client.wait_for_text("keyless_bot", "Sorry, I cannot answer right now")
        await stays(lambda: len(llm_fake.chat_requests) == 3, "a config error is not retried", for_seconds=0.3)
        def told(person, text: str) -> int:
            return len([m for m in person.messages(PLATFORM_USERNAME) if text in m.plain])

        # Through the outbox: once each, a moment later.
        await eventually(lambda: told(author, "ошибка настройки") and told(admin, "configuration error"),
                         "the author's and the admin's alerts")
        await stays(lambda: told(author, "ошибка настройки") == 1 and told(admin, "configuration error") == 1,
                    "each alert once", for_seconds=1.0)
        assert await UsageRecord.all().count() == 0


async def test_the_authors_test_chat_shows_the_meeting_cost_and_the_monthly_estimate(
    tg, llm_fake, database_url, tmp_path
):
    from models import Plan, PlanKind

    author = tg.user(1001, "Anna", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 9, "vera_chat_bot")
        await Plan.create(tracker=tracker, kind=PlanKind.MONTH, price_kopecks=200_000)
        await author.send(PLATFORM_USERNAME, "/start")
        menu = await author.wait_for_message(
            PLATFORM_USERNAME, lambda m: any("vera_chat_bot" in b["text"] for b in m.buttons)
        )
        [label] = [b["text"] for b in menu.buttons if "vera_chat_bot" in b["text"]]
        await author.click(menu, label)
        card = await author.wait_for_text(PLATFORM_USERNAME, "@vera_chat_bot")
        await author.click(card, "🤖 ИИ и сценарии")
        panel = await author.wait_for_text(PLATFORM_USERNAME, "ИИ-трекер")
        assert "gpt-4o-mini" in panel.plain and "1,5 ₽ за мДж" in panel.plain

        await author.click(panel, "🧠 Модель")
        models = await author.wait_for_text(PLATFORM_USERNAME, "Выберите модель")
        await author.click(models, MODEL)
        panel = await author.wait_for_text(PLATFORM_USERNAME, "Сохранено")
        assert (await Tracker.get(id=tracker.id)).model == MODEL

        await author.click(panel, "➕ Новый сценарий")
        await author.wait_for_text(PLATFORM_USERNAME, "Как назовём")
        await author.send(PLATFORM_USERNAME, "Встреча")
        await author.wait_for_text(PLATFORM_USERNAME, "промпт сценария")
        await author.send(PLATFORM_USERNAME, "Check the client's week.")
        card = await author.wait_for_text(PLATFORM_USERNAME, "Сценарий «Встреча»")
        await author.click(card, "🗓 Когда")
        await author.wait_for_text(PLATFORM_USERNAME, "Когда проходит встреча")
        await author.send(PLATFORM_USERNAME, "пн,чт 19:00")
        card = await author.wait_for_text(PLATFORM_USERNAME, "пн, чт в 19:00")

        await author.click(card, "💬 Чат (тест)")
        await author.wait_for_message(PLATFORM_USERNAME, is_final(REPLY))  # the model opens the meeting
        await author.wait_for_text(PLATFORM_USERNAME, "Тестовый чат")
        await author.send(PLATFORM_USERNAME, "My week was good")
        await author.wait_for_message(PLATFORM_USERNAME, is_final(REPLY))
        window = await author.wait_for_message(PLATFORM_USERNAME, lambda m: "Тестовый чат" in m.plain and m.buttons)
        await author.click(window, "⏹ Завершить встречу")
        result = await author.wait_for_text(PLATFORM_USERNAME, "Встреча завершена")

        meeting = await Meeting.get(tracker_id=tracker.id, is_test=True)
        usage = await UsageRecord.filter(meeting_id=meeting.id)
        assert len(usage) == 2 and {r.charged_to for r in usage} == {"author"}
        assert meeting.mj_micro == sum(r.mj_micro for r in usage) and meeting.ended_at is not None
        mj = f"{meeting.mj_micro / 1_000_000:.2f}".replace(".", ",")  # a Russian decimal comma
        assert f"{mj} мДж" in result.plain
        assert f"Встреча: 8 встреч × {mj} мДж" in result.plain  # two a week = 8 a month
        assert "При цене месяца 2 000 ₽ маржа" in result.plain
        # The test chat is not the tracker's history with real clients.
        assert await ChatMessage.filter(tracker_id=tracker.id, is_test=False).count() == 0
