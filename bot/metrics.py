"""Every Prometheus metric of the platform, defined here and nowhere else (issue 15).

The domain never imports prometheus: what happens in it reaches these metrics through hooks the
composition root passes down (`UpdateGate`'s observer, `LLMClient.observer`), and what lives in
tables (the outbox backlog, settlement lag) is read at scrape time by `bot.health`.

Each process counts its own: behind `--workers N` every worker has its metrics (see the README).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from bot.updates import Outcome
from llm.client import Usage

UPDATES = Counter(
    "gptitor_updates_total", "Telegram updates by bot kind (platform, tracker) and outcome "
    "(handled, failed, duplicate, busy, unclaimed).", ["bot", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "gptitor_update_handling_seconds", "Seconds a handler took for one update, by bot kind.", ["bot"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
POLLING_LOOPS = Gauge(
    "gptitor_polling_loops", "Long polling loops by state: alive (running), retrying (failing polls now).",
    ["state"],
)
OUTBOX_BACKLOG = Gauge("gptitor_outbox_backlog", "Outbox events waiting for delivery.")
OUTBOX_OLDEST = Gauge("gptitor_outbox_oldest_pending_seconds", "Age of the oldest outbox event waiting, 0 if none.")
LLM_CALLS = Counter("gptitor_llm_calls_total", "LLM calls by outcome (ok, error).", ["outcome"])
LLM_TOKENS = Counter("gptitor_llm_tokens_total", "Tokens the LLM reported, by kind (prompt, completion).", ["kind"])
LLM_ERRORS = Counter("gptitor_llm_errors_total", "Failed LLM calls by error kind (timeout, config, ...).", ["kind"])
SETTLEMENT_LAG = Gauge(
    "gptitor_settlement_lag_seconds",
    "How long the oldest ended but unsettled accounting period has waited, 0 if none.",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_update(bot: str, outcome: Outcome, seconds: float) -> None:
    UPDATES.labels(bot=bot, outcome=outcome.value).inc()
    if outcome in (Outcome.HANDLED, Outcome.FAILED):
        UPDATE_SECONDS.labels(bot=bot).observe(seconds)


def observe_llm(usage: Usage | None, error: str | None) -> None:
    if error is not None:
        LLM_CALLS.labels(outcome="error").inc()
        LLM_ERRORS.labels(kind=error).inc()
        return
    LLM_CALLS.labels(outcome="ok").inc()
    if usage is not None:
        LLM_TOKENS.labels(kind="prompt").inc(usage.prompt_tokens)
        LLM_TOKENS.labels(kind="completion").inc(usage.completion_tokens)


def render() -> bytes:
    return generate_latest(REGISTRY)
