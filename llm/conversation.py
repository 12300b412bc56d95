"""The conversation pipeline of every tracker: one client's message in, one streamed answer out.

For each message: access (subscription, free allowance, or the author) -> the period's mJ budget
-> the prompt (the author's system prompt, the meeting's scenario prompt, the recent history
trimmed to a token budget) -> the margin guard (the budget keeps room for this answer at its
worst: the prompt's token bound plus `max_tokens`) -> a slot of the tracker's and the platform's
call limits (llm.limits: a queue) -> `LLMClient.stream_chat` with the tracker's model and
`max_tokens` -> the answer shown through a `Sink` -> metering and the history (`llm.records`: the
usage record at `billing.rates`' price and rate, by the API's own token counts, or ours when it
sent none; charged to the subscription, the platform or the author, with the meeting; written with
the history rows in one transaction). So the database is read once before the call and written
once after it. A call that broke after part of its answer was shown is metered for that part.
The cost policy (billing.policy) is read once per message (cached).

One answer at a time per client per tracker: messages are queued per (tracker, user) and a worker
answers them in order. That serialisation is also what keeps the budget exact under concurrent
messages: each check sees every earlier answer's usage, so a client overshoots by one answer at
most. A queue that is full refuses the message politely (flood control).

Domain code: nothing of aiogram. The transport implements `Sink`; texts are locale keys, the
host translates them; alerts to the author and the admins go through the outbox
(`billing.alerts.raise_alert`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F

from billing.access import Access, Payer, take_free_message
from billing.budget import Budget
from billing.policy import DEFAULTS, CostPolicy, load_policy
from billing.rates import cached_price, current_rate, usage_cost
from llm import meetings as mt
from llm import records
from llm.alerting import Alerts, fmt_mj
from llm.client import ChatResult, LLMClient, LLMConfigError, LLMError, Message, Usage
from llm.limits import CallGate
from llm.prompt import HISTORY_TOKENS, Turn, build_messages
from llm.records import CHARGED_TO
from llm.requests import Outcome, Request, Sink
from llm.state import AnswerState, answer_state
from llm.tokens import prompt_tokens
from models import Meeting, MeetingEnd, Membership, Scenario, Tracker

log = logging.getLogger(__name__)

ALERT_COOLDOWN = timedelta(hours=6)
__all__ = ["CHARGED_TO", "ConversationService", "Outcome", "Request", "Sink", "fmt_mj", "strip_marker"]


@dataclass
class _Turn:
    """One request on its way through `handle`'s steps, with what each step found."""

    request: Request
    tracker: Tracker
    state: AnswerState
    access: Access
    free_taken: bool = False
    budget: Budget | None = None
    meeting_id: int | None = None
    scenario_prompt: str = ""
    marker: str = ""
    model: str = ""
    policy: CostPolicy = DEFAULTS

    @property
    def payer(self) -> Payer | None:
        return self.access.payer


def strip_marker(text: str, marker: str) -> str:
    return text.replace(marker, "").rstrip() if marker else text


class ConversationService(Alerts):
    def __init__(
        self,
        llm: LLMClient,
        *,
        default_model: str,
        admin_ids: list[int] | tuple[int, ...] = (),
        queue_size: int = 20,
        history_tokens: int = HISTORY_TOKENS,
        alert_cooldown: timedelta = ALERT_COOLDOWN,
    ) -> None:
        self.llm = llm
        self.default_model = default_model
        self.admin_ids = list(admin_ids)
        self.queue_size = queue_size
        self.history_tokens = history_tokens
        self.alert_cooldown = alert_cooldown
        self._queues: dict[tuple[int, int], deque[Request]] = {}
        self._workers: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._flood_told: set[tuple[int, int]] = set()
        self._alerted: dict[str, float] = {}
        self.gate = CallGate(DEFAULTS.tracker_concurrency, DEFAULTS.global_concurrency)
        # With several workers: (tracker id, user id) -> an async context manager held around each
        # answer, so one client's messages are answered in turn across processes (bot.locks).
        self.chat_lock: Callable[[int, int], AbstractAsyncContextManager[Any]] | None = None

    # -- the queue ---------------------------------------------------------------------------

    def submit(self, request: Request) -> bool:
        """Queue a request; False (and a polite notice, once per flood) when the queue is full."""
        key = (request.tracker_id, request.user_id)
        queue = self._queues.setdefault(key, deque())
        if len(queue) >= self.queue_size:
            if key not in self._flood_told:
                self._flood_told.add(key)
                asyncio.ensure_future(request.sink.notice(key="ai-queue-full"))
            if request.done is not None and not request.done.done():
                request.done.set_result(Outcome.QUEUE_FULL)
            return False
        queue.append(request)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key), name=f"chat-{key[0]}-{key[1]}")
        return True

    async def converse(self, request: Request) -> Outcome:
        """Queue a request and wait for its outcome."""
        request.done = asyncio.get_running_loop().create_future()
        self.submit(request)
        return await request.done

    def busy(self, tracker_id: int, user_id: int) -> int:
        """Requests waiting or in progress for this client."""
        return len(self._queues.get((tracker_id, user_id), ())) + ((tracker_id, user_id) in self._workers)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every queue is empty and every answer is metered (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._workers:
                await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _drain(self, key: tuple[int, int]) -> None:
        queue = self._queues[key]
        try:
            while queue:
                request = queue.popleft()
                try:
                    if self.chat_lock is None:
                        outcome = await self.handle(request)
                    else:
                        async with self.chat_lock(*key):
                            outcome = await self.handle(request)
                except Exception:  # noqa: BLE001 - one broken answer must not stop the queue
                    log.exception("conversation %s failed", key)
                    outcome = Outcome.FAILED
                    try:
                        await request.sink.notice(key="ai-apology")
                    except Exception:  # noqa: BLE001
                        log.info("could not apologise to %s", key)
                if request.done is not None and not request.done.done():
                    request.done.set_result(outcome)
        finally:
            self._workers.pop(key, None)
            self._flood_told.discard(key)
            if not queue:
                self._queues.pop(key, None)

    async def aclose(self) -> None:
        tasks = list(self._workers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- one request -------------------------------------------------------------------------

    async def handle(self, request: Request) -> Outcome:
        tracker = request.tracker or await Tracker.get_or_none(id=request.tracker_id)
        if tracker is None:
            return Outcome.SKIPPED
        policy = await load_policy()
        self.gate.resize(policy.tracker_concurrency, policy.global_concurrency)
        # Access, the budget's period, the open meeting and (in real talk) the history: one
        # statement (llm.state).
        state = await answer_state(
            tracker, request.user_id, test=request.test, now=datetime.now(UTC), with_history=not request.test,
            policy=policy,
        )
        if not state.access.allowed:
            await request.sink.paywall(state.plans)
            return Outcome.PAYWALL
        turn = _Turn(request, tracker, state, state.access, policy=policy)
        stopped = await self._fixed_opening(turn) or await self._take_allowance(turn)
        if stopped is not None:
            return stopped
        await self._find_meeting(turn)
        messages = await self._messages(turn)
        if await self._over_margin(turn, messages):
            return Outcome.BUDGET
        result = await self._ask(turn, messages)
        if isinstance(result, Outcome):
            return result
        return await self._finish(turn, result)

    async def _fixed_opening(self, turn: _Turn) -> Outcome | None:
        """A meeting whose scenario has a fixed first message opens with it: no model, no charge."""
        request = turn.request
        if request.open_scenario_id is None:
            return None
        scenario = await Scenario.get_or_none(id=request.open_scenario_id, tracker_id=turn.tracker.id)
        if scenario is None:
            return Outcome.SKIPPED
        opening = scenario.opening.strip()
        if not opening:
            return None
        meeting = await mt.start_meeting(turn.tracker.id, request.user_id, scenario.id, test=request.test)
        await request.sink.done(opening)
        await records.remember(turn.tracker.id, request.user_id, meeting.id, "assistant", opening, 0, request.test)
        return Outcome.OPENED

    async def _take_allowance(self, turn: _Turn) -> Outcome | None:
        """The platform's free message, or the subscription's budget for the period."""
        request, tracker = turn.request, turn.tracker
        if turn.payer is Payer.PLATFORM:
            if not await take_free_message(tracker, request.user_id, turn.policy):
                await request.sink.paywall(turn.state.plans)
                return Outcome.PAYWALL
            turn.free_taken = True
        if turn.payer is Payer.SUBSCRIPTION:
            turn.budget = turn.state.budget(tracker, await current_rate(), turn.policy)
            if turn.budget is not None and turn.budget.exhausted:
                await self._budget_alerts(tracker, request.user_id, turn.budget, [100])
                await request.sink.notice(key="ai-budget-reached", until=turn.budget.ends_at)
                return Outcome.BUDGET
        return None

    async def _find_meeting(self, turn: _Turn) -> None:
        """The meeting this message belongs to (opened now, or still open), with its scenario."""
        request, state = turn.request, turn.state
        if request.open_scenario_id is not None:
            meeting = await mt.start_meeting(
                turn.tracker.id, request.user_id, request.open_scenario_id, test=request.test
            )
            turn.meeting_id = meeting.id
            if meeting.scenario is not None:
                turn.scenario_prompt, turn.marker = meeting.scenario.prompt, meeting.scenario.end_marker
        elif state.meeting is not None:
            now = datetime.now(UTC)
            if state.meeting.timed_out(now):  # as `meetings.current_meeting` does
                await mt.end_meeting(state.meeting.id, MeetingEnd.TIMEOUT, now)
            else:
                turn.meeting_id = state.meeting.id
                turn.scenario_prompt, turn.marker = state.meeting.prompt, state.meeting.end_marker

    async def _messages(self, turn: _Turn) -> list[Message]:
        request = turn.request
        if turn.state.history is not None:
            history = [Turn(role, body, tokens) for role, body, tokens in turn.state.history]
        else:
            history = await records.history(turn.tracker.id, request.user_id, request.test, turn.meeting_id)
        if request.text is not None:
            history.append(Turn("user", request.text))
        return build_messages(
            turn.tracker.system_prompt,
            turn.scenario_prompt,
            turn.marker,
            history,
            history_tokens=self.history_tokens,
            opening=request.text is None,
        )

    async def _over_margin(self, turn: _Turn, messages: list[Message]) -> bool:
        """The margin guard: refuse an answer that, at its worst, would cost the period more than
        its revenue (net of the platform's costs). Its worst is the prompt's token bound plus
        `max_tokens`, at the model's price and today's rate (llm.tokens, billing.budget)."""
        budget = turn.budget
        if budget is None or budget.safe_ukop is None:
            return False
        model = turn.tracker.model or self.default_model
        price, rate = await cached_price(model), await current_rate()
        if price is None or rate is None:
            return False  # not metered at all: the admins are alerted after the answer
        reserve = usage_cost(prompt_tokens(messages, bound=True), turn.policy.max_tokens, price, rate).cost_ukop
        if budget.leaves_room(reserve):
            return False
        await self._budget_alerts(turn.tracker, turn.request.user_id, budget, [100])
        await turn.request.sink.notice(key="ai-budget-reached", until=budget.ends_at)
        return True

    async def _ask(self, turn: _Turn, messages: list[Message]) -> ChatResult | Outcome:
        """The model's answer streamed to the sink; on failure the client is told and pays only for
        the part of the answer already shown (nothing if none was)."""
        request, tracker, marker = turn.request, turn.tracker, turn.marker
        turn.model = tracker.model or self.default_model

        async def on_delta(text: str) -> None:
            await request.sink.delta(strip_marker(text, marker))

        await request.sink.typing()  # also while the call waits for a slot: a queue, not an error
        try:
            async with self.gate.slot(tracker.id):
                return await self.llm.stream_chat(
                    turn.model, messages, on_delta=on_delta, max_tokens=turn.policy.max_tokens
                )
        except LLMError as exc:
            if exc.partial_text and exc.partial_usage is not None:
                # The client saw part of an answer and the provider billed it: metered as such.
                await self._meter_partial(turn, exc.partial_text, exc.partial_usage)
            elif turn.free_taken:  # a failed call costs the client nothing, not even a free message
                await Membership.filter(tracker_id=tracker.id, user_id=request.user_id, messages_used__gt=0).update(
                    messages_used=F("messages_used") - 1
                )
            if isinstance(exc, LLMConfigError):
                log.error("tracker %s: LLM configuration error %s: %s", tracker.id, exc.kind, exc)
                await self._config_alert(tracker, turn.model, exc.kind)
            else:
                log.warning("tracker %s: LLM call failed (%s) after %d attempt(s)", tracker.id, exc.kind, exc.attempts)
            if request.text is not None and not exc.partial_text:  # the question stays in the history
                await records.remember(
                    tracker.id, request.user_id, turn.meeting_id, "user", request.text, 0, request.test
                )
            if exc.partial_text:
                await request.sink.done(strip_marker(exc.partial_text, marker) + " …")
            await request.sink.notice(key="ai-apology")
            return Outcome.CONFIG if isinstance(exc, LLMConfigError) else Outcome.FAILED

    async def _meter_partial(self, turn: _Turn, partial_text: str, usage: Usage) -> None:
        """A broken answer's shown part: metered and remembered like an answer (with the question)."""
        request = turn.request
        assert turn.payer is not None
        text = strip_marker(partial_text, turn.marker) + " …"
        _, missing = await records.record_answer(
            turn.tracker.id, request.user_id, turn.model, usage, turn.payer, turn.access,
            meeting_id=turn.meeting_id, question=request.text, answer=text, test=request.test,
            dashboard_zone=turn.state.dashboard_zone,
        )
        if missing is not None:
            log.error("a partial answer of %s was not metered: no %s", turn.model, missing)

    async def _finish(self, turn: _Turn, result: ChatResult) -> Outcome:
        """Metered and remembered before the final edit (the charge never depends on Telegram),
        then the alerts the answer crossed and the end of the meeting if the model said so."""
        request, tracker, marker, meeting_id = turn.request, turn.tracker, turn.marker, turn.meeting_id
        text = strip_marker(result.text, marker) or "…"
        assert turn.payer is not None
        mj_micro, missing = await records.record_answer(
            tracker.id, request.user_id, turn.model, result.usage, turn.payer, turn.access,
            meeting_id=meeting_id, question=request.text, answer=text, test=request.test,
            dashboard_zone=turn.state.dashboard_zone,
        )
        if missing == "price":
            log.error("no price for model %s: the call was not metered", turn.model)
            await self._alert_admins_once(f"no-price:{turn.model}", "ai-alert-no-price", {"model": turn.model})
        elif missing == "rate":
            log.error("no mJ rate in force: the call was not metered")
            await self._alert_admins_once("no-rate", "ai-alert-no-rate", {})
        await request.sink.done(text)
        budget = turn.budget
        if budget is not None and mj_micro:
            after = Budget(
                budget.period_id, budget.starts_at, budget.ends_at, budget.limit_micro, budget.spent_micro + mj_micro
            )
            await self._budget_alerts(tracker, request.user_id, after, after.crossed(budget.spent_micro))
        if marker and meeting_id is not None and marker in result.text:
            await mt.end_meeting(meeting_id, MeetingEnd.MARKER)
            ended = await Meeting.get(id=meeting_id)
            await request.sink.notice(key="ai-meeting-ended", mj=fmt_mj(ended.mj_micro))
        return Outcome.ANSWERED
