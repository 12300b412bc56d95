"""`/healthz` and `/metrics` (issue 15) in both modes, over HTTP: on the side server in polling
mode, on the webhook server in webhook mode; counters move with the updates handled, the gauges
read from tables follow them, the LLM's calls, tokens and errors are counted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import aiohttp
from prometheus_client import REGISTRY

from bot import health, metrics
from bot.transport import PollingSupervisor
from llm import LLMClient, LLMUnavailable, RetryPolicy
from models import OutboxEvent, Tracker, User
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, free_port, make_settings, running_platform
from tests.e2e.test_workers import seed_periods
from tests.fakes.openai_server import Failure, FakeOpenAIServer
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME
HANDLED = re.compile(r'^gptitor_updates_total\{bot="platform",outcome="handled"\} (\S+)$', re.M)


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, resp.content_type, await resp.text()


def handled_in(text: str) -> float:
    found = HANDLED.search(text)
    return float(found.group(1)) if found else 0.0


async def check_both_endpoints(base: str, author, platform_bot: str) -> None:
    status, kind, body = await get(f"{base}/healthz")
    assert (status, kind) == (200, "application/json"), body
    status, kind, before = await get(f"{base}/metrics")
    assert status == 200 and kind == "text/plain", kind
    assert "gptitor_outbox_backlog" in before and "gptitor_settlement_lag_seconds" in before

    await author.send(PLATFORM, "/start")
    await author.wait_for_text(PLATFORM, "Это Джипититор")

    async def moved() -> bool:
        return handled_in((await get(f"{base}/metrics"))[2]) >= handled_in(before) + 1

    await eventually(moved, "the platform's handled-updates counter to move on /metrics")
    after = (await get(f"{base}/metrics"))[2]
    assert 'gptitor_update_handling_seconds_count{bot="platform"}' in after


async def test_polling_mode_serves_health_and_metrics_on_the_side_server(fake_telegram, database_url, tmp_path):
    tg = fake_telegram
    tg.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    author = tg.user(1301, "Anna", language_code="ru")
    settings = make_settings(tg, database_url, tmp_path, metrics_host="127.0.0.1", metrics_port=free_port())
    async with running_platform(settings) as runtime:
        base = f"http://127.0.0.1:{settings.metrics_port}"
        status, _, body = await get(f"{base}/healthz")
        report = json.loads(body)
        assert report["database"] is True and report["platform_bot"] == "polling" and report["scheduler_leader"]
        assert "retention" in runtime.scheduler.job_ids()  # the daily retention job is installed
        await check_both_endpoints(base, author, PLATFORM)
        text = (await get(f"{base}/metrics"))[2]
        assert 'gptitor_polling_loops{state="alive"} 1.0' in text
        assert 'gptitor_polling_loops{state="retrying"} 0.0' in text

        # A proxy answers the platform bot's polls with errors: its loop shows as retrying.
        tg.fail_next("getUpdates", 502, bot=PLATFORM, times=1000)

        async def retrying() -> bool:
            return 'gptitor_polling_loops{state="retrying"} 1.0' in (await get(f"{base}/metrics"))[2]

        await eventually(retrying, "the failing loop to show as retrying")

        # No scheduler leader: the jobs run nowhere, and the check says so.
        await runtime.coordinator.leadership.stop()
        status, _, body = await get(f"{base}/healthz")
        report = json.loads(body)
        assert status == 503 and report["status"] == "failing" and report["scheduler_leader"] is None
        assert report["database"] is True


async def test_webhook_mode_serves_health_and_metrics_on_the_webhook_server(fake_telegram, database_url, tmp_path):
    tg = fake_telegram
    tg.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    author = tg.user(1302, "Olga", language_code="ru")
    port = free_port()
    settings = make_settings(tg, database_url, tmp_path, webhook_base_url=f"http://127.0.0.1:{port}",
                             webhook_host="127.0.0.1", webhook_port=port)
    async with running_platform(settings, webhook=True) as runtime:
        assert runtime.ops_http is None  # no side server: the webhook server answers
        base = f"http://127.0.0.1:{port}"
        report = json.loads((await get(f"{base}/healthz"))[2])
        assert report["platform_bot"] == "webhook" and report["database"] is True
        await check_both_endpoints(base, author, PLATFORM)


class _Polling:
    """What `health.refresh` reads of a runtime: a polling transport with no loops."""

    def __init__(self) -> None:
        async def unauthorized(bot_id: int) -> None: ...

        self.transport = PollingSupervisor(unauthorized)


async def test_the_outbox_backlog_and_the_settlement_lag_are_read_from_the_tables(database):
    runtime = _Polling()
    await health.refresh(runtime)  # type: ignore[arg-type]
    assert REGISTRY.get_sample_value("gptitor_outbox_backlog") == 0
    assert REGISTRY.get_sample_value("gptitor_settlement_lag_seconds") == 0

    now = datetime.now(UTC)
    for n in range(3):
        await OutboxEvent.create(dedupe_key=f"health:{n}", kind="test", bot_id=1, chat_id=1, next_attempt_at=now)
    await OutboxEvent.filter(dedupe_key="health:0").update(created_at=now - timedelta(minutes=10))
    await User.bulk_create([User(id=uid, first_name=f"u{uid}") for uid in (1, 11, 12, 13)])
    tracker = await Tracker.create(bot_id=200000077, username="lag_bot", name="Lag", author_id=1,
                                   token_encrypted="x")
    await seed_periods(tracker, 5000, 1, 1, now - timedelta(hours=2))  # ended two hours ago, unsettled
    await health.refresh(runtime)  # type: ignore[arg-type]
    assert REGISTRY.get_sample_value("gptitor_outbox_backlog") == 3
    assert 600 <= REGISTRY.get_sample_value("gptitor_outbox_oldest_pending_seconds") < 900
    assert 7200 <= REGISTRY.get_sample_value("gptitor_settlement_lag_seconds") < 7500


async def test_llm_calls_tokens_and_errors_are_counted():
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    calls = value("gptitor_llm_calls_total", outcome="ok")
    errors = {s.labels["kind"]: s.value for m in REGISTRY.collect() if m.name == "gptitor_llm_errors"
              for s in m.samples if s.name == "gptitor_llm_errors_total"}
    prompt = value("gptitor_llm_tokens_total", kind="prompt")
    fast = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, deadline=5.0)
    async with FakeOpenAIServer(reply="Well done!", chunks=2) as fake:
        async with LLMClient(fake.base_url, fake.api_key, timeout=2.0, retry=fast) as llm:
            llm.observer = metrics.observe_llm
            result = await llm.stream_chat("gpt-4o-mini", [{"role": "user", "content": "hi"}])
            fake.fail(Failure.server_error(500), Failure.server_error(500))
            try:
                await llm.complete("gpt-4o-mini", [{"role": "user", "content": "hi"}])
            except LLMUnavailable as exc:
                kind = exc.kind
            else:
                raise AssertionError("two 500s in a row must fail the call")
    assert value("gptitor_llm_calls_total", outcome="ok") == calls + 1
    assert value("gptitor_llm_tokens_total", kind="prompt") == prompt + result.usage.prompt_tokens
    assert value("gptitor_llm_errors_total", kind=kind) == errors.get(kind, 0.0) + 1
