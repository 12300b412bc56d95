"""The database round trips of a tracker bot's hottest updates (issue 20): a known client's
`/start` and a text that meets the paywall. Each update goes through the real tracker dispatcher
(its middlewares, routers, dialogs and the conversation pipeline) of a running platform; the
round trips are counted on tortoise's connection (tests/querycount: a batch of statements sent in
one hop counts once) and printed, and the test fails above the budget.

Not counted: UpdateGate's claim and finish of the update (the exactly-once gate, in front of the
dispatcher), which are the same two statements for every update whatever it holds.
"""

from __future__ import annotations

import time

import pytest
from aiogram.types import Update

from billing.plans import set_price
from models import PlanKind
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import REPLY, add_tracker, ai_settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.querycount import Queries, counting

BOT = "count_bot"
# Round trips per update, the tracker row included (issue 20). /start: the person's upsert with
# their FSM state and aiogram-dialog's stack read along (bot.middlewares, bot.storage; on SQLite
# two statements in one hop to the database thread, on PostgreSQL one statement), and the
# greeting's facts with the plans on sale and whether a membership exists
# (billing.access.client_facts; a member's plain /start makes none). Paywall: the same first round
# trip and the conversation's one read, which brings the plans on sale along (llm.state). The
# empty stack's save costs nothing when the update read no stack (bot.storage).
BUDGET = {"start": 2, "paywall": 2, "newcomer start": 3}


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=2, chunk_delay=0.01) as fake:
        yield fake


def message_update(update_id: int, person, text: str) -> Update:
    message = {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
        "from": {"id": person.id, "is_bot": False, "first_name": person.first_name, "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.model_validate({"update_id": update_id, "message": message})


async def feed(runtime, bot, update: Update) -> Queries:
    with counting() as queries:
        await runtime.tracker_dp.feed_update(bot, update)
        await runtime.ai.conversations.wait_idle()  # the paywall is sent from the conversation's task
    return queries


def within(what: str, queries: Queries, budget: int) -> None:
    print(f"\n{what}: {len(queries)} statements\n{queries}")
    assert len(queries) <= budget, f"{what} took {len(queries)} round trips (budget {budget}):\n{queries}"


async def known_client_updates(tg, llm_fake, database_url, tmp_path) -> tuple[Queries, Queries]:
    """The statements of a known client's /start and of their text that meets the paywall."""
    person = tg.user(2301, "Kim", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 93, BOT, free_messages=0)
        await set_price(tracker.id, PlanKind.MONTH, 149_000)
        bot = runtime.registry.get(tracker.bot_id)
        # The client is known: they started the bot once, and their first text met the paywall.
        await person.send(BOT, "/start")
        await person.wait_for_text(BOT, "Plans")
        await person.send(BOT, "Hi")
        await person.wait_for_text(BOT, "Month")
        seen = len(tg.calls)

        start = await feed(runtime, bot, message_update(10_003, person, "/start"))
        paywall = await feed(runtime, bot, message_update(10_004, person, "How do I begin?"))

        answers = [c.params["text"] for c in tg.calls[seen:] if c.method.lower() == "sendmessage"]
        assert len(answers) == 2 and "Plans" in answers[0] and "1,490" in answers[1]
    return start, paywall


async def test_a_known_clients_start_and_paywall_take_two_round_trips(tg, llm_fake, database_url, tmp_path):
    start, paywall = await known_client_updates(tg, llm_fake, database_url, tmp_path)
    within("/start of a known client", start, BUDGET["start"])
    within("a known client's text that meets the paywall", paywall, BUDGET["paywall"])
    # The tracker row comes from the per-bot cache, and the user is one upsert that reads the
    # person's FSM records along.
    assert not any('FROM "trackers"' in q and '"bot_id"=' in q for q in start.log + paywall.log)
    for update in (start, paywall):
        assert sum("INTO users" in q for q in update.log) == 1
        assert "INTO users" in update.log[0] and "fsm_records" in update.log[0]
        assert not any('FROM "users"' in q or 'FROM "fsm_records"' in q for q in update.log)


async def test_a_newcomers_start_creates_the_membership_in_one_statement(tg, llm_fake, database_url, tmp_path):
    """A newcomer's plain /start: the person's upsert, the greeting's facts, and the membership
    made by one insert (referral.attribution; tortoise's get_or_create took a read, a transaction
    and the insert). Nothing else the facts say changes, so they are not read again."""
    first, person = tg.user(2303, "Ira", language_code="en"), tg.user(2302, "Noa", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 94, BOT, free_messages=0)
        await set_price(tracker.id, PlanKind.MONTH, 149_000)
        bot = runtime.registry.get(tracker.bot_id)
        await first.send(BOT, "/start")  # the bot's first update fills its tracker cache
        await first.wait_for_text(BOT, "Plans")
        tg._conversation(tg.bot(BOT), person.chat).opened = True  # fed below, not sent through the fake
        seen = len(tg.calls)
        start = await feed(runtime, bot, message_update(10_005, person, "/start"))
        answers = [c.params["text"] for c in tg.calls[seen:] if c.method.lower() == "sendmessage"]
        assert len(answers) == 1 and "Plans" in answers[0]
    within("/start of a newcomer", start, BUDGET["newcomer start"])
    # In order: the upsert with the FSM records, the facts, the membership's insert and nothing else.
    assert "INTO users" in start.log[0] and "fsm_records" in start.log[0], start.log
    assert "EXISTS (SELECT 1 FROM memberships" in start.log[1], start.log
    assert start.log[2].lstrip().startswith("INSERT INTO memberships"), start.log
    assert sum("INSERT INTO memberships" in q for q in start.log) == 1
