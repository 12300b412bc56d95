"""The cost rules on the conversation pipeline, against the fake OpenAI server over real HTTP:
`max_tokens` on every call, the free-message cap, the margin guard and the capped limit, the call
limits as a queue, and a broken or usage-less answer metered by a local count."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.budget import budget_for
from billing.policy import clear_cache, load_policy, set_setting
from billing.rates import (
    CHARGED_TO_AUTHOR,
    CHARGED_TO_SUBSCRIPTION,
    add_rate,
    clear_caches,
    set_model_price,
    usage_cost,
)
from billing.subscriptions import create_subscription
from llm import LLMClient
from llm.conversation import ConversationService, Outcome, Request
from llm.limits import FairLimiter
from llm.tokens import estimate_tokens
from models import Membership, ModelPrice, Tracker, UsageRecord
from tests.billing.helpers import at, join, make_tracker
from tests.fakes.openai_server import Failure, FakeOpenAIServer
from tests.waiting import eventually, stays

MODEL = "gpt-4o-mini"
REPLY = "Good. Name one small step for tomorrow and the time you will take it."


class Sink:
    def __init__(self) -> None:
        self.answers: list[str] = []
        self.notices: list[str] = []
        self.paywalls = 0

    async def typing(self) -> None: ...
    async def delta(self, text: str) -> None: ...

    async def notice(self, key: str, **params: object) -> None:
        self.notices.append(key)

    async def paywall(self, plans=None) -> None:
        self.paywalls += 1

    async def done(self, text: str) -> None:
        self.answers.append(text)


@pytest.fixture
async def fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=4) as server:
        yield server


@pytest.fixture
async def service(database, fake):
    clear_cache()
    await add_rate(at(2025, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    llm = LLMClient(fake.base_url, fake.api_key, timeout=15.0)
    svc = ConversationService(llm, default_model=MODEL)
    try:
        yield svc
    finally:
        await svc.aclose()
        await llm.aclose()
        clear_cache()


async def tracker_with(author_id: int = 1, bot_id: int = 100, **fields) -> Tracker:
    tracker = await make_tracker(author_id=author_id, bot_id=bot_id)
    for name, value in {"model": MODEL, **fields}.items():
        setattr(tracker, name, value)
    await tracker.save()
    return tracker


async def subscribe(tracker: Tracker, user_id: int, price_kopecks: int = 200_000) -> int:
    await join(tracker, user_id)
    since = datetime.now(UTC) - timedelta(minutes=1)
    sub = await create_subscription(tracker.id, user_id, "month", price_kopecks, since)
    return sub.id


async def test_max_tokens_is_sent_on_every_call_and_follows_the_admin(service, fake):
    tracker = await tracker_with()
    await subscribe(tracker, 5)
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.ANSWERED
    await set_setting("max_tokens", "200", admin_id=9)
    assert await service.handle(Request(tracker.id, 1, "as the author", sink, tracker=tracker)) is Outcome.ANSWERED
    test_chat = Request(tracker.id, 1, "test chat", sink, tracker=tracker, test=True)
    assert await service.handle(test_chat) is Outcome.ANSWERED
    assert [r.body.get("max_tokens") for r in fake.chat_requests] == [1024, 200, 200]


async def test_free_messages_are_capped_by_the_platform(service, fake):
    tracker = await tracker_with(free_messages=100_000)  # set before the cap existed
    await join(tracker, 5)
    await set_setting("max_free_messages", "2")
    sink = Sink()
    outcomes = [await service.handle(Request(tracker.id, 5, f"q{n}", sink, tracker=tracker)) for n in range(3)]
    assert outcomes == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.PAYWALL]
    assert len(fake.chat_requests) == 2 and sink.paywalls == 1
    assert (await Membership.get(tracker_id=tracker.id, user_id=5)).messages_used == 2


async def test_an_unsafe_limit_is_capped_by_the_margin(service, fake):
    tracker = await tracker_with(period_mj_limit=Decimal("1000000000"))
    sub_id = await subscribe(tracker, 5, price_kopecks=100)  # 1 RUB a month
    budget = await budget_for(tracker, sub_id)
    assert budget.limit_micro == 666_666  # 100 kopecks at 150 kopecks per mJ, not 1e9 mJ
    await set_setting("allow_unsafe_limits", "yes")
    assert (await budget_for(tracker, sub_id, policy=await load_policy())).limit_micro == 10**15


async def test_the_margin_guard_refuses_an_answer_that_could_cost_more_than_the_period_brings(service, fake):
    tracker = await tracker_with()
    sub_id = await subscribe(tracker, 5, price_kopecks=100)
    await ModelPrice.filter(model=MODEL).update(mj_per_1k_output=Decimal("300"))  # a max answer: 300 mJ
    clear_caches()
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.BUDGET
    assert fake.chat_requests == [] and sink.notices == ["ai-budget-reached"]
    await set_setting("max_tokens", "16")  # 16 tokens: 4.8 mJ at most, about 7 RUB: still more than 1 RUB
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.BUDGET
    await ModelPrice.filter(model=MODEL).update(mj_per_1k_output=Decimal("0.001"), mj_per_1k_input=Decimal("0.001"))
    clear_caches()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.ANSWERED
    assert await UsageRecord.filter(subscription_id=sub_id).count() == 1


async def test_concurrent_calls_wait_in_a_queue_per_tracker_and_in_all(service, fake):
    await set_setting("tracker_concurrency", "2")
    await set_setting("global_concurrency", "3")
    busy = await tracker_with(author_id=1, bot_id=100)
    quiet = await tracker_with(author_id=2, bot_id=101)
    sinks: dict[tuple[int, int], Sink] = {}
    for user in range(10, 16):
        await subscribe(busy, user)
        sinks[(busy.id, user)] = Sink()
    for user in (20, 21):
        await subscribe(quiet, user)
        sinks[(quiet.id, user)] = Sink()
    fake.hold = asyncio.Event()
    tasks = [
        asyncio.create_task(service.converse(Request(tid, user, "hello", sink)))
        for (tid, user), sink in sinks.items()
    ]
    await eventually(lambda: fake.in_flight == 3, "three calls at the server")
    await stays(lambda: fake.in_flight == 3, "no fourth call while three run", for_seconds=0.5)
    # Each tracker holds its two slots (the quiet one's second waits for a platform slot, ahead
    # of the busy tracker's other four, which wait for a tracker slot).
    assert service.gate.running() == 3
    assert service.gate.running(busy.id) == 2 and service.gate.running(quiet.id) == 2
    assert service.gate.waiting(busy.id) == 4 and service.gate.waiting() == 5
    assert all(not sink.notices for sink in sinks.values())  # waiting is not an error
    fake.hold.set()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    assert outcomes == [Outcome.ANSWERED] * 8
    assert fake.peak_in_flight == 3
    assert all(sink.answers == [REPLY] and not sink.notices for sink in sinks.values())


async def test_the_limiter_serves_in_arrival_order_and_survives_a_cancelled_waiter():
    limiter = FairLimiter(1)
    order: list[int] = []
    await limiter.acquire()

    async def take(n: int) -> None:
        await limiter.acquire()
        order.append(n)
        limiter.release()

    first, second, third = (asyncio.create_task(take(n)) for n in (1, 2, 3))
    await eventually(lambda: limiter.waiting == 3, "three waiting")
    second.cancel()
    limiter.release()
    await asyncio.gather(first, third)
    assert order == [1, 3] and limiter.idle


async def test_a_broken_answer_is_metered_for_the_part_shown(service, fake):
    tracker = await tracker_with()
    sub_id = await subscribe(tracker, 5)
    fake.fail(Failure.cut_stream(after_chunks=2))
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.FAILED
    shown = sink.answers[0].removesuffix(" …")
    assert shown and REPLY.startswith(shown) and shown != REPLY
    usage = await UsageRecord.get(tracker_id=tracker.id)
    assert (usage.subscription_id, usage.charged_to) == (sub_id, CHARGED_TO_SUBSCRIPTION)
    assert usage.output_tokens == estimate_tokens(shown) > 0 and usage.input_tokens > 0
    price = await ModelPrice.get(model=MODEL)
    assert usage.mj_micro == usage_cost(usage.input_tokens, usage.output_tokens, price, Decimal("1.5")).mj_micro


async def test_a_failure_before_any_text_still_costs_nothing(service, fake):
    tracker = await tracker_with(free_messages=3)
    await join(tracker, 5)
    fake.fail(*[Failure.server_error(500)] * 3)
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.FAILED
    assert not await UsageRecord.exists()
    assert (await Membership.get(tracker_id=tracker.id, user_id=5)).messages_used == 0


async def test_an_answer_without_usage_is_metered_by_a_local_count(service, fake):
    fake.report_usage = False
    tracker = await tracker_with()
    await subscribe(tracker, 5)
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "hi", sink, tracker=tracker)) is Outcome.ANSWERED
    assert await service.handle(Request(tracker.id, 1, "me", sink, tracker=tracker, test=True)) is Outcome.ANSWERED
    assert fake.usages == [] and sink.answers == [REPLY, REPLY]
    records = await UsageRecord.filter(tracker_id=tracker.id).order_by("id")
    assert [r.charged_to for r in records] == [CHARGED_TO_SUBSCRIPTION, CHARGED_TO_AUTHOR]
    # Never below what the server itself would have counted (its count: words + 3 a message).
    assert all(r.output_tokens == estimate_tokens(REPLY) >= len(REPLY.split()) for r in records)
    assert all(r.mj_micro > 0 for r in records)


async def test_the_authors_own_use_is_metered_to_the_author(service, fake):
    tracker = await tracker_with()
    sink = Sink()
    assert await service.handle(Request(tracker.id, 1, "my own question", sink, tracker=tracker)) is Outcome.ANSWERED
    assert await service.handle(Request(tracker.id, 1, "test", sink, tracker=tracker, test=True)) is Outcome.ANSWERED
    records = await UsageRecord.filter(tracker_id=tracker.id)
    assert [(r.user_id, r.charged_to) for r in records] == [(1, CHARGED_TO_AUTHOR)] * 2
