"""The conversation pipeline of every tracker: one client's message in, one streamed answer out.

For each message: access (subscription, free allowance, or the author) -> the period's mJ budget
-> the prompt (the author's system prompt, the meeting's scenario prompt, the recent history
trimmed to a token budget) -> `LLMClient.stream_chat` with the tracker's model -> the answer shown
through a `Sink` -> metering (`billing.rates.meter_call`, the API's own token counts, charged to
the subscription, the platform or the author, with the meeting) -> the history.

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
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from tortoise.expressions import F

from billing import alerts
from billing.access import Access, Payer, take_free_message
from billing.budget import Budget
from billing.rates import MICRO, current_rate
from i18n.format import fixed
from llm import meetings as mt
from llm import records
from llm.client import ChatResult, LLMClient, LLMConfigError, LLMError, Message
from llm.prompt import HISTORY_TOKENS, Turn, build_messages
from llm.records import CHARGED_TO
from llm.state import AnswerState, answer_state
from models import Meeting, MeetingEnd, Membership, Scenario, Tracker, User

log = logging.getLogger(__name__)

ALERT_COOLDOWN = timedelta(hours=6)
__all__ = ["CHARGED_TO", "ConversationService", "Outcome", "Request", "Sink", "fmt_mj", "strip_marker"]


class Sink(Protocol):
    """Where an answer goes (a Telegram chat). Texts are locale keys with parameters."""

    async def typing(self) -> None: ...

    async def delta(self, text: str) -> None:
        """The answer so far (called often; throttle on your side)."""

    async def done(self, text: str) -> None:
        """The whole answer."""

    async def notice(self, key: str, **params: Any) -> None: ...

    async def paywall(self) -> None: ...




class Outcome(StrEnum):
    ANSWERED = "answered"
    OPENED = "opened"  # a meeting opened with its fixed first message
    PAYWALL = "paywall"
    BUDGET = "budget"
    FAILED = "failed"  # the model was unavailable: apologised, nothing charged
    CONFIG = "config"  # bad key / unknown model: alerted, apologised, nothing charged
    QUEUE_FULL = "queue_full"
    SKIPPED = "skipped"


@dataclass
class Request:
    tracker_id: int
    user_id: int
    text: str | None  # None with `open_scenario_id`: open a meeting (the tracker speaks first)
    sink: Sink
    test: bool = False  # the author's test chat in the platform bot
    open_scenario_id: int | None = None
    tracker: Tracker | None = field(default=None, repr=False)  # the row at hand (saves a query)
    done: asyncio.Future[Outcome] | None = field(default=None, repr=False)


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

    @property
    def payer(self) -> Payer | None:
        return self.access.payer


def strip_marker(text: str, marker: str) -> str:
    return text.replace(marker, "").rstrip() if marker else text


def fmt_mj(micro: int) -> str:
    """millionths of an mJ as a short number: 12.35 (i18n.format decides how numbers look)."""
    return fixed(Decimal(micro) / MICRO, 2)


class ConversationService:
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
        # Access, the budget's period, the open meeting and (in real talk) the history: one
        # statement (llm.state).
        state = await answer_state(
            tracker, request.user_id, test=request.test, now=datetime.now(UTC), with_history=not request.test
        )
        if not state.access.allowed:
            await request.sink.paywall()
            return Outcome.PAYWALL
        turn = _Turn(request, tracker, state, state.access)
        stopped = await self._fixed_opening(turn) or await self._take_allowance(turn)
        if stopped is not None:
            return stopped
        await self._find_meeting(turn)
        messages = await self._messages(turn)
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
            if not await take_free_message(tracker, request.user_id):
                await request.sink.paywall()
                return Outcome.PAYWALL
            turn.free_taken = True
        if turn.payer is Payer.SUBSCRIPTION:
            turn.budget = turn.state.budget(tracker, await current_rate() if tracker.period_mj_limit is None else None)
            if turn.budget is not None and turn.budget.exhausted:
                await self._budget_alerts(tracker, request.user_id, turn.budget, [100])
                await request.sink.notice(key="ai-budget-reached", until=turn.budget.ends_at.strftime("%d.%m.%Y"))
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

    async def _ask(self, turn: _Turn, messages: list[Message]) -> ChatResult | Outcome:
        """The model's answer streamed to the sink; on failure the client is told and pays nothing."""
        request, tracker, marker = turn.request, turn.tracker, turn.marker
        turn.model = tracker.model or self.default_model

        async def on_delta(text: str) -> None:
            await request.sink.delta(strip_marker(text, marker))

        await request.sink.typing()
        try:
            return await self.llm.stream_chat(turn.model, messages, on_delta=on_delta)
        except LLMError as exc:
            if turn.free_taken:  # a failed call costs the client nothing, not even a free message
                await Membership.filter(tracker_id=tracker.id, user_id=request.user_id, messages_used__gt=0).update(
                    messages_used=F("messages_used") - 1
                )
            if isinstance(exc, LLMConfigError):
                log.error("tracker %s: LLM configuration error %s: %s", tracker.id, exc.kind, exc)
                await self._config_alert(tracker, turn.model, exc.kind)
            else:
                log.warning("tracker %s: LLM call failed (%s) after %d attempt(s)", tracker.id, exc.kind, exc.attempts)
            if request.text is not None:  # the question stays in the history
                await records.remember(
                    tracker.id, request.user_id, turn.meeting_id, "user", request.text, 0, request.test
                )
            if exc.partial_text:
                await request.sink.done(strip_marker(exc.partial_text, marker) + " …")
            await request.sink.notice(key="ai-apology")
            return Outcome.CONFIG if isinstance(exc, LLMConfigError) else Outcome.FAILED

    async def _finish(self, turn: _Turn, result: ChatResult) -> Outcome:
        """Metered and remembered before the final edit (the charge never depends on Telegram),
        then the alerts the answer crossed and the end of the meeting if the model said so."""
        request, tracker, marker, meeting_id = turn.request, turn.tracker, turn.marker, turn.meeting_id
        text = strip_marker(result.text, marker) or "…"
        assert turn.payer is not None
        mj_micro, missing = await records.record_answer(
            tracker.id, request.user_id, turn.model, result.usage, turn.payer, turn.access,
            meeting_id=meeting_id, question=request.text, answer=text, test=request.test,
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

    # -- alerts ------------------------------------------------------------------------------

    async def _alert(self, key: str, cooldown: timedelta | None, recipients: list[int], message_key: str,
                     params: dict[str, Any]) -> bool:
        """Once per key (per cool-down), to the outbox: memory first, so a storm of failures
        costs no queries; then the database decides across workers and restarts."""
        last = self._alerted.get(key)
        now = time.monotonic()
        if last is not None and (cooldown is None or now - last < cooldown.total_seconds()):
            return False
        self._alerted[key] = now
        return await alerts.raise_alert(key, recipients, message_key, params, cooldown=cooldown)

    async def _budget_alerts(self, tracker: Tracker, user_id: int, budget: Budget, levels: list[int]) -> None:
        if not levels:
            return
        user = await User.get_or_none(id=user_id)
        for level in levels:
            await self._alert(f"budget:{budget.period_id}:{level}", None, [tracker.author_id], "ai-alert-budget", {
                "tracker": tracker.name, "client": (user.first_name if user else "") or str(user_id),
                "percent": level, "limit": fmt_mj(budget.limit_micro), "spent": fmt_mj(budget.spent_micro),
            })

    async def _config_alert(self, tracker: Tracker, model: str, kind: str) -> None:
        params = {"tracker": tracker.name, "model": model, "kind": kind}
        await self._alert(f"llm:{kind}:tracker:{tracker.id}", self.alert_cooldown, [tracker.author_id],
                          "ai-alert-llm-config", params)
        await self._alert_admins_once(f"llm:{kind}", "ai-alert-llm-config", params)

    async def _alert_admins_once(self, key: str, locale_key: str, params: dict[str, Any]) -> None:
        if self.admin_ids:
            await self._alert(key, self.alert_cooldown, self.admin_ids, locale_key, params)
