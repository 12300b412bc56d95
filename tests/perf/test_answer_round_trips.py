"""The database round trips of one streamed answer through the conversation pipeline (issue 20):
one read before the model's call (access, budget, meeting and history: llm.state) and one write
after it (the usage record, the history and the meeting's mJ: llm.records, models.sql.write_together).

Counted on SQLite, where each statement, BEGIN or COMMIT is a hop to aiosqlite's thread and those
hops were a third of the pipeline's own CPU per answer (benchmarks/proxy.py). PostgreSQL writes the
same rows in a transaction of several statements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import aiosqlite
import pytest

from billing import dashboard_rollup
from llm import meetings as mt
from llm.conversation import Outcome, Request
from llm.state import _statement
from models import ChatMessage, DashboardClientMonth, Meeting, Scenario, UsageRecord
from models.sql import default_connection, rows
from tests.billing.helpers import join
from tests.conftest import ON_POSTGRES
from tests.llm.test_costs import Sink, fake, service, subscribe, tracker_with  # noqa: F401 - fixtures
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="counts hops to the SQLite thread")


@contextmanager
def hops() -> Iterator[list[str]]:
    """Every call handed to aiosqlite's thread while the block runs (the test is the only task)."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


# A subscriber's answer is counted by the author's dashboard in the job that records it
# (billing.dashboard_rollup.usage_steps, in the zone read with the answer's state): the read before
# the call, then that one job.
SUBSCRIBER_HOPS = 2


async def test_a_subscribers_answer_is_one_read_and_one_transaction(service, fake):
    tracker = await tracker_with()
    for user_id in (5, 6):
        await subscribe(tracker, user_id)
    await dashboard_rollup.ensure_built(tracker.id, tracker.author_id, "Europe/Moscow")
    sink = Sink()
    # The first answer fills the price, rate and policy caches (read once per 30 s, not per answer).
    assert await service.handle(Request(tracker.id, 5, "warm up", sink, tracker=tracker)) is Outcome.ANSWERED
    with hops() as seen:
        outcome = await service.handle(Request(tracker.id, 6, "how am I doing?", sink, tracker=tracker))
    assert outcome is Outcome.ANSWERED
    assert len(seen) <= SUBSCRIBER_HOPS, seen
    [record] = await UsageRecord.filter(user_id=6)
    counted = await DashboardClientMonth.filter(tracker_id=tracker.id, user_id=6).values_list("cost_ukop", flat=True)
    assert sum(counted) == record.cost_ukop > 0  # the dashboard saw this answer, in the same commit
    assert await ChatMessage.filter(user_id=6).count() == 2


async def test_in_a_meeting_the_meetings_mj_rides_in_the_same_write(service, fake):
    tracker = await tracker_with()
    await subscribe(tracker, 5)
    scenario = await Scenario.create(tracker=tracker, name="Weekly", prompt="Ask about the week.", end_marker="[END]")
    meeting = await mt.start_meeting(tracker.id, 5, scenario.id)
    await dashboard_rollup.ensure_built(tracker.id, tracker.author_id, "Europe/Moscow")
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "warm up", sink, tracker=tracker)) is Outcome.ANSWERED
    with hops() as seen:
        assert await service.handle(Request(tracker.id, 5, "and now?", sink, tracker=tracker)) is Outcome.ANSWERED
    assert len(seen) <= SUBSCRIBER_HOPS, seen
    records = await UsageRecord.filter(meeting_id=meeting.id).values_list("mj_micro", flat=True)
    assert len(records) == 2 and (await Meeting.get(id=meeting.id)).mj_micro == sum(records) > 0


async def test_before_the_dashboard_is_built_the_answers_transaction_looks_for_its_totals(service, fake):
    """No totals when the answer's state was read, built while the model answers: the answer's
    write reads them again in its transaction and counts the answer there."""
    tracker = await tracker_with()
    await subscribe(tracker, 5)
    fake.hold = asyncio.Event()  # the model answers when the test says so
    answer = asyncio.create_task(service.handle(Request(tracker.id, 5, "hello", Sink(), tracker=tracker)))
    await eventually(lambda: fake.in_flight == 1, "the model's call to begin")
    await dashboard_rollup.ensure_built(tracker.id, tracker.author_id, "Europe/Moscow")
    assert not await UsageRecord.filter(user_id=5).exists()  # built before the answer was written
    fake.hold.set()
    assert await answer is Outcome.ANSWERED
    [record] = await UsageRecord.filter(user_id=5)
    counted = await DashboardClientMonth.filter(tracker_id=tracker.id, user_id=5).values_list("cost_ukop", flat=True)
    assert sum(counted) == record.cost_ukop > 0


async def test_a_free_message_adds_only_the_take_of_the_allowance(service, fake):
    tracker = await tracker_with(free_messages=5)
    await join(tracker, 5)
    sink = Sink()
    assert await service.handle(Request(tracker.id, 5, "warm up", sink, tracker=tracker)) is Outcome.ANSWERED
    with hops() as seen:
        assert await service.handle(Request(tracker.id, 5, "free", sink, tracker=tracker)) is Outcome.ANSWERED
    assert len(seen) == 3, seen  # the read, the allowance's one UPDATE (the cap holds under races), the write


async def test_the_read_sums_the_period_once_over_this_clients_rows(database):
    """The state read joined to the history: SQLite once ran the period's two sums once per history
    row (up to 60) and over every client's usage of the month (the charged_to index)."""
    conn = default_connection()
    plan = [r[3] for r in await rows(conn, "EXPLAIN QUERY PLAN " + _statement(conn, with_history=True), [1] * 16)]
    usage = [n for n, step in enumerate(plan) if "SEARCH u " in step]
    assert len(usage) == 2 and all("(tracker_id=? AND user_id=?" in plan[n] for n in usage), plan
    history_scan = next(n for n, step in enumerate(plan) if step.startswith("SCAN h"))
    assert max(usage) < history_scan and any(step == "CO-ROUTINE st" for step in plan), plan
