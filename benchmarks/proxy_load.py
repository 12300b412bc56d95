"""The load runs of benchmarks/proxy.py: many conversations at once, through the bare `LLMClient`
and through the whole conversation pipeline, against a fake that paces its chunks like a model."""

from __future__ import annotations

import asyncio
import time

from benchmarks.proxy_common import API_KEY, MODEL, REPLY, NullSink, pct, subscribers_db
from llm import LLMClient, RetryPolicy


async def load(base_url: str, conversations: int, turns: int) -> dict[str, float]:
    llm = LLMClient(base_url, API_KEY, timeout=60.0, retry=RetryPolicy(deadline=120.0))
    errors: list[BaseException] = []
    latencies: list[float] = []

    async def conversation(n: int) -> None:
        history = [{"role": "system", "content": f"You are tracker number {n}."}]
        for turn in range(turns):
            history.append({"role": "user", "content": f"Conversation {n}, message {turn}: how am I doing?"})
            started = time.perf_counter()
            try:
                result = await llm.stream_chat(MODEL, history)
            except Exception as exc:  # noqa: BLE001 - counting is the point
                errors.append(exc)
                return
            latencies.append((time.perf_counter() - started) * 1000)
            if result.text != REPLY or result.usage.completion_tokens <= 0:
                errors.append(AssertionError(f"conversation {n}: wrong answer or usage"))
            history.append({"role": "assistant", "content": result.text})

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(conversation(n) for n in range(conversations)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await llm.aclose()
    return {
        "answers": len(latencies),
        "errors": len(errors),
        "first_error": repr(errors[0]) if errors else "",
        "wall_s": wall,
        "cpu_s": cpu,
        "p50_ms": pct(latencies, 0.5) if latencies else 0.0,
        "p90_ms": pct(latencies, 0.9) if latencies else 0.0,
        "max_ms": max(latencies, default=0.0),
    }


async def pipeline_load(base_url: str, conversations: int, turns: int) -> dict[str, float]:
    """`conversations` clients talking at once through one ConversationService (its per-client
    queues, the call gate opened to all of them, the metering), each `turns` messages in turn with
    the history growing in the database; then the usage records and history rows are counted."""
    import tempfile

    from billing.policy import set_setting
    from llm.conversation import ConversationService, Outcome, Request
    from models.sql import default_connection

    class Collect(NullSink):
        def __init__(self) -> None:
            self.answers: list[str] = []

        async def done(self, text: str) -> None:
            self.answers.append(text)

    with tempfile.TemporaryDirectory() as tmp:
        async with subscribers_db(tmp, conversations) as (tracker, users):
            await set_setting("tracker_concurrency", str(conversations))
            await set_setting("global_concurrency", str(conversations))
            llm = LLMClient(base_url, API_KEY, timeout=60.0, retry=RetryPolicy(deadline=120.0))
            service = ConversationService(llm, default_model=MODEL)
            errors: list[str] = []
            latencies: list[float] = []

            async def conversation(user_id: int) -> None:
                sink = Collect()
                for turn in range(turns):
                    started = time.perf_counter()
                    outcome = await service.converse(
                        Request(tracker.id, user_id, f"Message {turn}: how am I doing?", sink, tracker=tracker)  # type: ignore[attr-defined]
                    )
                    latencies.append((time.perf_counter() - started) * 1000)
                    if outcome is not Outcome.ANSWERED or sink.answers[-1:] != [REPLY]:
                        errors.append(f"client {user_id}, message {turn}: {outcome}")

            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(conversation(u) for u in users))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            await service.aclose()
            await llm.aclose()
            conn = default_connection()
            _, found = await conn.execute_query(
                "SELECT (SELECT COUNT(*) FROM usage_records), (SELECT COALESCE(SUM(output_tokens), 0)"
                " FROM usage_records), (SELECT COUNT(*) FROM chat_messages)"
            )
            records, tokens, history = tuple(found[0])
            # Every answer exactly one usage record and two history rows (the question and the answer).
            if records != conversations * turns or history != 2 * records:
                errors.append(f"metering: {records} usage records, {history} history rows")
    return {
        "answers": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "wall_s": wall,
        "cpu_s": cpu,
        "p50_ms": pct(latencies, 0.5) if latencies else 0.0,
        "p90_ms": pct(latencies, 0.9) if latencies else 0.0,
        "max_ms": max(latencies, default=0.0),
        "tokens": tokens,
    }
