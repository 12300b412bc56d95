"""The answer's state read in one statement agrees with the lookups it replaces on the hot path
(`access_for`, `budget_for`, `current_meeting`), and the pipeline sees payments and refunds at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.access import Payer, access_for
from billing.budget import budget_for
from billing.rates import add_rate, current_rate, rate_at, record_usage, set_model_price
from billing.refunds import refund_subscription
from billing.subscriptions import create_subscription
from llm import LLMClient
from llm import meetings as mt
from llm.conversation import ConversationService, Outcome, Request
from llm.state import HISTORY_ROWS, answer_state
from models import ChatMessage, Meeting, MeetingEnd, Membership, Scenario, UsageRecord
from tests.billing.helpers import at, join, make_tracker
from tests.fakes.openai_server import FakeOpenAIServer

MODEL = "gpt-4o-mini"
PAID = at(2025, 3, 10, 9)


async def assert_agrees(tracker, user_id: int, now: datetime, *, test: bool = False) -> None:
    state = await answer_state(tracker, user_id, test=test, now=now)
    expected = await access_for(tracker, user_id, now)
    assert (state.access.payer, state.access.free_left) == (expected.payer, expected.free_left)
    sub_id = expected.subscription.id if expected.subscription is not None else None
    assert state.access.subscription_id == sub_id
    rate = await rate_at(now)
    if sub_id is not None:
        assert state.budget(tracker, rate) == await budget_for(tracker, sub_id, now, rate=rate)
    else:
        assert state.budget(tracker, rate) is None


async def test_access_and_budget_agree_through_payments_periods_and_refunds(database):
    await add_rate(at(2025, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    tracker = await make_tracker(author_id=1)
    tracker.free_messages = 3
    await tracker.save()
    await join(tracker, 5)
    await join(tracker, 6)
    await Membership.filter(tracker=tracker, user_id=6).update(messages_used=3)

    await assert_agrees(tracker, 1, PAID)  # the author
    await assert_agrees(tracker, 5, PAID)  # the free allowance: 3 left
    await assert_agrees(tracker, 6, PAID)  # none left: the paywall
    await assert_agrees(tracker, 7, PAID)  # not even a member
    assert (await answer_state(tracker, 5, test=False, now=PAID)).access.free_left == 3
    assert (await answer_state(tracker, 6, test=False, now=PAID)).access.payer is None

    sub = await create_subscription(tracker.id, 5, "quarter", 600_000, PAID)
    # Usage in the first month: two calls on the subscription, one on the author's test chat and
    # one on the free allowance (neither of which counts against the budget).
    for hours in (1, 30):
        await record_usage(tracker.id, 5, MODEL, 3000, 1000, at=PAID + timedelta(hours=hours), subscription_id=sub.id)
    await record_usage(tracker.id, 5, MODEL, 3000, 1000, at=PAID + timedelta(hours=2), charged_to="author")
    await record_usage(tracker.id, 5, MODEL, 3000, 1000, at=PAID + timedelta(hours=3), charged_to="platform")
    await record_usage(tracker.id, 5, MODEL, 100, 100, at=PAID + timedelta(days=40), subscription_id=sub.id)

    for moment in (PAID - timedelta(seconds=1), PAID, PAID + timedelta(days=5), PAID + timedelta(days=45),
                   PAID + timedelta(days=95)):  # before, in the 1st and the 2nd period, after the quarter
        await assert_agrees(tracker, 5, moment)
    first = await answer_state(tracker, 5, test=False, now=PAID + timedelta(days=5))
    assert first.access.payer is Payer.SUBSCRIPTION
    assert first.budget(tracker, await rate_at(PAID)).spent_micro == 2 * 5_000_000  # 5 mJ a call
    second = await answer_state(tracker, 5, test=False, now=PAID + timedelta(days=45))
    assert second.budget(tracker, await rate_at(PAID)).spent_micro == 300_000  # a new period from zero

    tracker.period_mj_limit = "7.5"  # the author's own limit instead of the margin's
    await tracker.save()
    await assert_agrees(tracker, 5, PAID + timedelta(days=5))
    assert first.budget(tracker, None).limit_micro == 7_500_000

    await refund_subscription(sub.id)
    await assert_agrees(tracker, 5, PAID + timedelta(days=5))  # back on the free allowance
    assert (await answer_state(tracker, 5, test=False, now=PAID + timedelta(days=5))).access.payer is Payer.PLATFORM


async def test_the_open_meeting_agrees_with_current_meeting(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    now = datetime.now(UTC)
    state = await answer_state(tracker, 5, test=False, now=now)
    assert state.meeting is None and await mt.current_meeting(tracker.id, 5) is None

    scenario = await Scenario.create(tracker=tracker, name="Weekly", prompt="Ask about the week.", end_marker="[END]",
                                     timeout_minutes=30)
    meeting = await mt.start_meeting(tracker.id, 5, scenario.id, now=now - timedelta(minutes=10))
    test_meeting = await mt.start_meeting(tracker.id, 1, None, test=True, now=now)

    state = await answer_state(tracker, 5, test=False, now=now)
    assert state.meeting is not None and state.meeting.id == meeting.id == (await mt.current_meeting(tracker.id, 5)).id
    assert (state.meeting.prompt, state.meeting.end_marker, state.meeting.timeout_minutes) == (
        "Ask about the week.", "[END]", 30
    )
    assert not state.meeting.timed_out(now)
    assert (await answer_state(tracker, 5, test=True, now=now)).meeting is None  # test and real talk apart
    author = await answer_state(tracker, 1, test=True, now=now)
    assert author.meeting.id == test_meeting.id and author.meeting.prompt == "" and not author.meeting.timed_out(now)

    later = now + timedelta(minutes=25)  # idle 35 minutes then: past the 30-minute timeout
    assert (await answer_state(tracker, 5, test=False, now=later)).meeting.timed_out(later)
    assert await mt.current_meeting(tracker.id, 5, now=later) is None
    assert (await Meeting.get(id=meeting.id)).end_reason == MeetingEnd.TIMEOUT
    assert (await answer_state(tracker, 5, test=False, now=later)).meeting is None


async def test_the_history_comes_with_the_state_newest_rows_oldest_first(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    await join(tracker, 6)
    now = datetime.now(UTC)
    empty = await answer_state(tracker, 5, test=False, now=now, with_history=True)
    assert empty.history == [] and empty.meeting is None and empty.access.payer is None
    assert (await answer_state(tracker, 5, test=False, now=now)).history is None  # not asked for

    meeting = await mt.start_meeting(tracker.id, 5, None, now=now)
    rows = [("user" if n % 2 == 0 else "assistant", f"message {n}", n) for n in range(HISTORY_ROWS + 5)]
    for role, text, tokens in rows:
        await ChatMessage.create(tracker=tracker, user_id=5, role=role, text=text, tokens=tokens, created_at=now)
    await ChatMessage.create(tracker=tracker, user_id=5, role="user", text="a test turn", is_test=True, created_at=now)
    await ChatMessage.create(tracker=tracker, user_id=6, role="user", text="someone else", created_at=now)

    state = await answer_state(tracker, 5, test=False, now=now, with_history=True)
    assert state.history == rows[-HISTORY_ROWS:]
    assert state.meeting.id == meeting.id and state.access.payer is None  # one state whatever the rows
    test = await answer_state(tracker, 5, test=True, now=now, with_history=True)
    assert test.history == [("user", "a test turn", 0)] and test.meeting is None


class Sink:
    def __init__(self) -> None:
        self.answers: list[str] = []

    async def typing(self) -> None: ...
    async def delta(self, text: str) -> None: ...
    async def notice(self, key: str, **params: object) -> None: ...
    async def paywall(self, plans=None) -> None: ...

    async def done(self, text: str) -> None:
        self.answers.append(text)


async def test_the_pipeline_sees_a_refund_and_a_new_payment_at_once(database):
    await add_rate(at(2025, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    tracker = await make_tracker(author_id=1)
    tracker.model = MODEL
    await tracker.save()
    await join(tracker, 5)
    async with FakeOpenAIServer(reply="Noted, well done.", chunks=3) as fake:
        llm = LLMClient(fake.base_url, fake.api_key, timeout=15.0)

        service = ConversationService(llm, default_model=MODEL)
        sink = Sink()

        async def say(text: str) -> Outcome:
            return await service.handle(Request(tracker.id, 5, text, sink, tracker=tracker))

        try:
            assert await say("hello") is Outcome.PAYWALL  # no allowance, no subscription
            sub = await create_subscription(tracker.id, 5, "month", 200_000, datetime.now(UTC) - timedelta(minutes=1))
            assert await say("I paid") is Outcome.ANSWERED
            await refund_subscription(sub.id)
            assert await say("and now?") is Outcome.PAYWALL
            renewed = await create_subscription(tracker.id, 5, "month", 200_000,
                                                datetime.now(UTC) - timedelta(seconds=1))
            assert await say("paid again") is Outcome.ANSWERED
        finally:
            await llm.aclose()
    usage = await UsageRecord.filter(tracker_id=tracker.id).order_by("id")
    assert [u.subscription_id for u in usage] == [sub.id, renewed.id]
    assert [(u.input_tokens, u.output_tokens) for u in usage] == [
        (r.usage["prompt_tokens"], r.usage["completion_tokens"]) for r in fake.chat_requests
    ]
    rate = await current_rate()
    assert all(u.rate_id == rate.id and u.charged_to == "subscription" for u in usage)
    assert sink.answers == ["Noted, well done."] * 2
