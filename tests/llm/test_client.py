"""LLMClient against the fake OpenAI server over real HTTP (openai 3.x's httpx2 cannot be mocked)."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import openai
import pytest

from llm import LLMClient, LLMConfigError, LLMError, LLMRequestError, LLMUnavailable, RetryPolicy, Usage
from llm.tokens import estimate_tokens, prompt_tokens
from tests.fakes.openai_server import Failure, FakeOpenAIServer

MODEL = "gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are a kind tracker."},
    {"role": "user", "content": "I ran five kilometres today"},
]
# Fast retries so the tests stay quick; the bounds are what we check.
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, deadline=5.0, max_retry_after=1.0)


@pytest.fixture
async def fake():
    async with FakeOpenAIServer(reply="Well done! Five kilometres is a great start.", chunks=6) as server:
        yield server


@pytest.fixture
async def llm(fake):
    async with LLMClient(fake.base_url, fake.api_key, timeout=2.0, retry=FAST) as client:
        yield client


def usage_of(reported: dict[str, int]) -> Usage:
    return Usage(reported["prompt_tokens"], reported["completion_tokens"])


async def test_stream_returns_the_reply_and_the_servers_own_usage(fake, llm):
    result = await llm.stream_chat(MODEL, MESSAGES)

    [request] = fake.chat_requests
    assert (request.model, request.messages, request.stream, request.include_usage) == (MODEL, MESSAGES, True, True)
    assert result.text == request.reply == "Well done! Five kilometres is a great start."
    assert result.usage == usage_of(request.usage) == usage_of(fake.usages[0])
    assert (result.model, result.finish_reason, result.attempts) == (MODEL, "stop", 1)


async def test_deltas_arrive_in_order_as_growing_text(fake, llm):
    seen: list[str] = []

    async def on_delta(text: str) -> None:
        seen.append(text)

    result = await llm.stream_chat(MODEL, MESSAGES, on_delta=on_delta)

    assert len(seen) == fake.chunks
    assert all(later.startswith(earlier) and later != earlier for earlier, later in pairwise(seen))
    assert seen[-1] == result.text


async def test_complete_without_streaming(fake, llm):
    result = await llm.complete(MODEL, MESSAGES, max_tokens=50)

    [request] = fake.chat_requests
    assert request.stream is False and request.body["max_tokens"] == 50
    assert result.text == request.reply
    assert result.usage == usage_of(request.usage)


async def test_list_models(fake, llm):
    assert await llm.list_models() == list(fake.models)


async def test_concurrent_calls_each_get_their_own_reply_and_usage(fake, llm):
    fake.reply = lambda messages: f"Echo: {messages[-1]['content']}"
    fake.chunk_delay = 0.005

    prompts = [[{"role": "user", "content": f"message number {i} " + "word " * i}] for i in range(20)]
    results = await asyncio.gather(*(llm.stream_chat(MODEL, p) for p in prompts))

    by_prompt = {r.messages[0]["content"]: r for r in fake.chat_requests}
    for prompt, result in zip(prompts, results, strict=True):
        request = by_prompt[prompt[0]["content"]]
        assert result.text == request.reply == f"Echo: {prompt[0]['content']}"
        assert result.usage == usage_of(request.usage)


async def test_429_then_success_is_retried_and_metered_once(fake, llm):
    fake.fail(Failure.rate_limit(retry_after=0))

    result = await llm.stream_chat(MODEL, MESSAGES)

    assert result.attempts == 2
    assert [r.status for r in fake.chat_requests] == [429, 200]
    assert len(fake.usages) == 1 and result.usage == usage_of(fake.usages[0])


async def test_retry_after_is_respected(fake, llm):
    fake.fail(Failure.rate_limit(retry_after=0.3))

    started = time.monotonic()
    result = await llm.stream_chat(MODEL, MESSAGES)

    assert result.attempts == 2
    assert time.monotonic() - started >= 0.3


async def test_a_retry_after_beyond_the_bound_gives_up_at_once(fake, llm):
    fake.fail(Failure.rate_limit(retry_after=60))

    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as caught:
        await llm.stream_chat(MODEL, MESSAGES)

    assert time.monotonic() - started < 30  # not the 60 s it was told: half of it, for a slow machine
    assert caught.value.kind == "rate_limited" and caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, openai.RateLimitError)
    assert len(fake.chat_requests) == 1


async def test_5xx_until_attempts_run_out_is_unavailable(fake, llm):
    fake.fail(Failure.server_error(500), Failure.server_error(502), Failure.server_error(503))

    with pytest.raises(LLMUnavailable) as caught:
        await llm.stream_chat(MODEL, MESSAGES)

    assert [r.status for r in fake.chat_requests] == [500, 502, 503]  # FAST.attempts
    assert caught.value.attempts == 3 and caught.value.kind == "http_503"
    assert isinstance(caught.value.__cause__, openai.InternalServerError)
    assert fake.usages == []  # nothing to charge


async def test_a_hanging_server_times_out_within_the_bound(fake):
    fake.fail(*[Failure.hang_forever()] * 3)
    async with LLMClient(fake.base_url, fake.api_key, timeout=0.2, retry=FAST) as llm:
        started = time.monotonic()
        with pytest.raises(LLMUnavailable) as caught:
            await llm.stream_chat(MODEL, MESSAGES)
        elapsed = time.monotonic() - started

    assert caught.value.kind == "timeout" and caught.value.attempts == 3
    assert isinstance(caught.value.__cause__, openai.APITimeoutError)
    assert len(fake.chat_requests) == 3
    # 3 read timeouts of 0.2 s plus at most 2 backoffs of 0.05 s (0.7 s); the bound only tells it
    # from a client that waits for the server (a loaded machine can stall for seconds).
    assert 0.6 <= elapsed < 20


async def test_the_deadline_bounds_all_attempts(fake):
    fake.fail(*[Failure.hang_forever()] * 3)
    policy = RetryPolicy(attempts=3, base_delay=0.01, deadline=0.4)
    async with LLMClient(fake.base_url, fake.api_key, timeout=30, retry=policy) as llm:
        started = time.monotonic()
        with pytest.raises(LLMUnavailable) as caught:
            await llm.stream_chat(MODEL, MESSAGES)

    assert 0.4 <= time.monotonic() - started < 20  # not 3 x 30 s, nor one 30 s timeout
    assert caught.value.kind == "timeout" and caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_invalid_key_is_a_config_error_without_retry(fake):
    async with LLMClient(fake.base_url, "sk-wrong", retry=FAST) as llm:
        with pytest.raises(LLMConfigError) as caught:
            await llm.stream_chat(MODEL, MESSAGES)

    assert caught.value.kind == "invalid_api_key" and caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, openai.AuthenticationError)
    [request] = fake.chat_requests
    assert (request.api_key, request.status) == ("sk-wrong", 401)


async def test_unknown_model_is_a_config_error_without_retry(fake, llm):
    with pytest.raises(LLMConfigError) as caught:
        await llm.stream_chat("gpt-does-not-exist", MESSAGES)

    assert caught.value.kind == "model_not_found"
    assert isinstance(caught.value.__cause__, openai.NotFoundError)
    assert [r.status for r in fake.chat_requests] == [404]


async def test_exhausted_quota_is_a_config_error_not_a_rate_limit(fake, llm):
    fake.fail(Failure.insufficient_quota())

    with pytest.raises(LLMConfigError) as caught:
        await llm.stream_chat(MODEL, MESSAGES)

    assert caught.value.kind == "insufficient_quota"
    assert len(fake.chat_requests) == 1


async def test_a_rejected_request_is_neither_retried_nor_a_config_error(fake, llm):
    body = {"error": {"message": "context too long", "type": "invalid_request_error",
                      "code": "context_length_exceeded"}}
    fake.fail(Failure(400, body))

    with pytest.raises(LLMRequestError) as caught:
        await llm.stream_chat(MODEL, MESSAGES)

    assert caught.value.kind == "context_length_exceeded"
    assert len(fake.chat_requests) == 1


@pytest.mark.parametrize(
    "failure",
    [Failure.cut_stream(after_chunks=2), Failure.error_event(after_chunks=2), Failure.hang_forever(after_chunks=2)],
    ids=["cut", "error-event", "stall"],
)
async def test_a_failure_after_output_was_shown_is_not_retried(fake, failure):
    fake.fail(failure)
    seen: list[str] = []

    async def on_delta(text: str) -> None:
        seen.append(text)

    async with LLMClient(fake.base_url, fake.api_key, timeout=0.3, retry=FAST) as llm:
        with pytest.raises(LLMUnavailable) as caught:
            await llm.stream_chat(MODEL, MESSAGES, on_delta=on_delta)

    assert len(seen) == 2
    assert caught.value.partial_text == seen[-1]
    assert caught.value.attempts == 1
    assert len(fake.chat_requests) == 1 and fake.usages == []


async def test_a_stream_broken_before_any_output_is_retried(fake, llm):
    fake.fail(Failure.cut_stream(after_chunks=0))
    seen: list[str] = []

    async def on_delta(text: str) -> None:
        seen.append(text)

    result = await llm.stream_chat(MODEL, MESSAGES, on_delta=on_delta)

    assert result.attempts == 2 and seen[-1] == result.text
    assert len(seen) == fake.chunks  # nothing shown twice
    assert result.usage == usage_of(fake.usages[0])


async def test_errors_of_on_delta_propagate_unchanged(fake, llm):
    async def on_delta(text: str) -> None:
        raise TimeoutError("telegram is slow")

    with pytest.raises(TimeoutError, match="telegram is slow"):
        await llm.stream_chat(MODEL, MESSAGES, on_delta=on_delta)
    assert len(fake.chat_requests) == 1


async def test_an_endpoint_that_reports_no_usage_is_answered_and_counted_here(fake, llm):
    fake.report_usage = False

    streamed = await llm.stream_chat(MODEL, MESSAGES)
    completed = await llm.complete(MODEL, MESSAGES)

    reply = fake.chat_requests[0].reply
    assert fake.usages == []  # the fake sent no usage at all
    for result in (streamed, completed):
        assert result.text == reply
        assert result.usage == Usage(prompt_tokens(MESSAGES), estimate_tokens(reply), estimated=True)
        # Never below the fake's own (word) count: the estimate errs on the platform's side.
        assert result.usage.completion_tokens >= len(reply.split()) > 0


async def test_a_stream_cut_after_output_carries_the_shown_text_counted(fake, llm):
    fake.fail(Failure.cut_stream(after_chunks=2))

    with pytest.raises(LLMUnavailable) as caught:
        await llm.stream_chat(MODEL, MESSAGES)

    shown = caught.value.partial_text
    assert shown and fake.chat_requests[0].reply.startswith(shown) and shown != fake.chat_requests[0].reply
    assert caught.value.partial_usage == Usage(prompt_tokens(MESSAGES), estimate_tokens(shown), estimated=True)


async def test_max_tokens_reaches_the_server(fake, llm):
    await llm.stream_chat(MODEL, MESSAGES, max_tokens=321)
    assert fake.chat_requests[0].body["max_tokens"] == 321


async def test_all_errors_share_a_base(fake, llm):
    fake.fail(Failure.server_error(500), Failure.server_error(500), Failure.server_error(500))
    with pytest.raises(LLMError):
        await llm.complete(MODEL, MESSAGES)
