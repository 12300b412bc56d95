"""What LLMClient adds to one streamed answer, and 100 concurrent conversations in one process.

    .venv/bin/python benchmarks/proxy.py [--answers 300] [--rounds 3] [--no-readme]

1. Overhead: the same 20-chunk answer from the same fake OpenAI server, streamed alternately by the
   bare `openai` client and by `LLMClient.stream_chat` (with a no-op `on_delta`), one at a time.
   The fake runs in its own process so its CPU does not mix with the client's. Reports wall time
   and this process's CPU time per answer (median, p90) and the added ms at the median.
2. Pipeline: the same answer through the platform's whole conversation pipeline
   (`llm.conversation.ConversationService.handle`: access check, budget check, history, the
   streamed call, the usage record and the history writes, on SQLite in WAL mode; see
   `llm.state` for why the reads are one statement), alternating
   with the bare client in the same run, in several rounds. Each answer is a fresh subscriber, so
   the prompt the pipeline builds is the same two messages the bare client sends. The target is
   judged on CPU time (this process's `time.process_time`): the machine may be shared, and a
   busy neighbour lengthens wall time without the code doing more work.
3. Load: 100 conversations at once through one LLMClient, each several turns with a growing
   history, against a fake that paces its chunks like a model; counts errors and checks every
   answer came with the server's usage.

Writes the figures into benchmarks/README.md under "## proxy" (other sections are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from llm import LLMClient, RetryPolicy  # noqa: E402

MODEL = "gpt-4o-mini"
API_KEY = "sk-bench"
REPLY = " ".join(f"token{i}" for i in range(120))  # ~900 characters, cut into 20 chunks
MESSAGES = [
    {"role": "system", "content": "You are a kind and firm tracker. " * 20},
    {"role": "user", "content": "Here is how my week went: " + "ran, slept, worked. " * 30},
]


@contextmanager
def fake_server_process(*, chunks: int, first_chunk_delay: float = 0.0, chunk_delay: float = 0.0):
    """Run tests/fakes/openai_server.py in a child process; yield its base URL."""
    cmd = [
        sys.executable, "-m", "tests.fakes.openai_server",
        "--chunks", str(chunks), "--reply", REPLY, "--api-key", API_KEY,
        "--first-chunk-delay", str(first_chunk_delay), "--chunk-delay", str(chunk_delay),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not base_url.startswith("http"):
            raise RuntimeError(f"the fake server did not start (exit code {proc.poll()})")
        yield base_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bare_answer(sdk: openai.AsyncOpenAI) -> tuple[str, object]:
    """What any caller of the SDK must do at the least: stream, gather the text, keep the usage."""
    stream = await sdk.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    text, usage = "", None
    async with stream:
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
    return text, usage


async def overhead(base_url: str, answers: int) -> dict[str, dict[str, list[float]]]:
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, timeout=60.0, max_retries=0)
    llm = LLMClient(base_url, API_KEY, timeout=60.0)

    async def on_delta(text: str) -> None:
        pass

    async def ours() -> tuple[str, object]:
        result = await llm.stream_chat(MODEL, MESSAGES, on_delta=on_delta)
        return result.text, result.usage

    async def bare() -> tuple[str, object]:
        return await bare_answer(sdk)

    runners = {"bare openai": bare, "LLMClient": ours}
    samples: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in runners}
    for _ in range(20):  # warm up connections, caches and lazy imports
        for run in runners.values():
            await run()
    for i in range(answers):
        # Alternate which goes first so drift and caching favour neither.
        order = list(runners.items()) if i % 2 == 0 else list(reversed(runners.items()))
        for name, run in order:
            wall, cpu = time.perf_counter(), time.process_time()
            text, usage = await run()
            samples[name]["cpu"].append((time.process_time() - cpu) * 1000)
            samples[name]["wall"].append((time.perf_counter() - wall) * 1000)
            assert text == REPLY and usage is not None
    await sdk.close()
    await llm.aclose()
    return samples


class NullSink:
    async def typing(self) -> None: ...
    async def delta(self, text: str) -> None: ...
    async def done(self, text: str) -> None: ...
    async def notice(self, key: str, **params: object) -> None: ...
    async def paywall(self) -> None: ...


async def pipeline(base_url: str, answers: int, rounds: int) -> list[dict[str, dict[str, list[float]]]]:
    """One sample set per round; the rounds run back to back against one database."""
    import tempfile
    from datetime import UTC, datetime

    from billing.rates import add_rate, set_model_price
    from billing.subscriptions import create_subscription
    from bot import db
    from llm.conversation import ConversationService, Outcome, Request
    from models import Tracker, User

    with tempfile.TemporaryDirectory() as tmp:
        await db.init(f"sqlite://{tmp}/bench.sqlite3")
        try:
            await add_rate(datetime(2025, 1, 1, tzinfo=UTC), "1.5")
            await set_model_price(MODEL, "1", "2")
            author = await User.create(id=1, first_name="author")
            tracker = await Tracker.create(bot_id=1, username="b", name="Bench", author=author, token_encrypted="-",
                                           system_prompt=MESSAGES[0]["content"], model=MODEL)
            users = list(range(1000, 1000 + rounds * answers + 20))
            await User.bulk_create([User(id=u, first_name="c") for u in users])
            for u in users:
                await create_subscription(tracker.id, u, "month", 200_000, datetime.now(UTC))

            sdk = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, timeout=60.0, max_retries=0)
            llm = LLMClient(base_url, API_KEY, timeout=60.0)

            service = ConversationService(llm, default_model=MODEL)
            sink = NullSink()
            next_user = iter(users)

            async def ours() -> None:
                outcome = await service.handle(
                    Request(tracker.id, next(next_user), MESSAGES[1]["content"], sink, tracker=tracker)
                )
                assert outcome is Outcome.ANSWERED, outcome

            async def bare() -> None:
                await bare_answer(sdk)

            runners = {"bare openai": bare, "conversation pipeline": ours}
            for _ in range(20):
                for run in runners.values():
                    await run()
            per_round = []
            for _ in range(rounds):
                samples: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in runners}
                for i in range(answers):
                    order = list(runners.items()) if i % 2 == 0 else list(reversed(runners.items()))
                    for name, run in order:
                        wall, cpu = time.perf_counter(), time.process_time()
                        await run()
                        samples[name]["cpu"].append((time.process_time() - cpu) * 1000)
                        samples[name]["wall"].append((time.perf_counter() - wall) * 1000)
                per_round.append(samples)
            await sdk.close()
            await llm.aclose()
            return per_round
        finally:
            await db.close()


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


def write_readme(section: str, path: Path) -> None:
    """Put `section` under "## proxy", keeping every other section of the file."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == "## proxy"), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        text = "".join(lines[:start]) + section + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=300, help="answers per client in the overhead run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the pipeline run")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--first-chunk-delay", type=float, default=0.2, help="load run: time to first token, s")
    parser.add_argument("--chunk-delay", type=float, default=0.05, help="load run: seconds between chunks")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with fake_server_process(chunks=20) as base_url:
        samples = asyncio.run(overhead(base_url, args.answers))
        rounds = asyncio.run(pipeline(base_url, args.answers, args.rounds))
    load_after = os.getloadavg()[0]
    with fake_server_process(chunks=20, first_chunk_delay=args.first_chunk_delay, chunk_delay=args.chunk_delay) as url:
        loaded = asyncio.run(load(url, args.conversations, args.turns))

    rows = []
    for name, s in samples.items():
        rows.append(
            f"| {name} | {statistics.median(s['wall']):.2f} | {pct(s['wall'], 0.9):.2f} "
            f"| {statistics.median(s['cpu']):.2f} | {pct(s['cpu'], 0.9):.2f} |"
        )
    bare, ours = samples["bare openai"], samples["LLMClient"]
    added_wall = statistics.median(ours["wall"]) - statistics.median(bare["wall"])
    added_cpu = statistics.median(ours["cpu"]) - statistics.median(bare["cpu"])
    piped = {name: {kind: [v for r in rounds for v in r[name][kind]] for kind in ("wall", "cpu")} for name in rounds[0]}
    prow = [
        f"| {name} | {statistics.median(s['wall']):.2f} | {pct(s['wall'], 0.9):.2f} "
        f"| {statistics.median(s['cpu']):.2f} | {pct(s['cpu'], 0.9):.2f} |"
        for name, s in piped.items()
    ]
    ours_cpu, bare_cpu = (statistics.median(piped[n]["cpu"]) for n in ("conversation pipeline", "bare openai"))
    pipe_wall = (
        statistics.median(piped["conversation pipeline"]["wall"]) - statistics.median(piped["bare openai"]["wall"])
    )
    pipe_cpu = ours_cpu - bare_cpu
    round_rows = [
        f"| {n} | {statistics.median(r['bare openai']['cpu']):.2f} "
        f"| {statistics.median(r['conversation pipeline']['cpu']):.2f} "
        f"| {statistics.median(r['conversation pipeline']['cpu']) - statistics.median(r['bare openai']['cpu']):+.2f} |"
        for n, r in enumerate(rounds, start=1)
    ]
    ideal_ms = (args.first_chunk_delay + 19 * args.chunk_delay) * 1000
    verdict = "met" if added_cpu < 5 and pipe_cpu < 5 and loaded["errors"] == 0 else "NOT met"
    added_ratio = statistics.median(ours["cpu"]) / statistics.median(bare["cpu"])
    load_row = (
        f"| {loaded['answers']} | {loaded['errors']} | {loaded['wall_s']:.1f} | {loaded['cpu_s']:.1f} "
        f"| {loaded['p50_ms']:.0f} | {loaded['p90_ms']:.0f} | {loaded['max_ms']:.0f} |"
    )
    cpu_per_answer = loaded["cpu_s"] / max(1, loaded["answers"]) * 1000

    section = f"""## proxy

`benchmarks/proxy.py` ({time.strftime("%Y-%m-%d")}, Python {platform.python_version()}, openai {openai.__version__},
{os.cpu_count()} CPUs, load average {load_before:.1f} before the overhead runs and {load_after:.1f} after them).
The fake OpenAI server runs in a separate process on 127.0.0.1. On a shared machine wall time
also counts the waits for a CPU (the pipeline hands each statement to the SQLite thread), so the
targets are judged on CPU time.

**One streamed answer of 20 chunks** ({len(REPLY)} characters, usage in the last chunk), {args.answers}
answers each, alternating, one at a time. Wall = request to usage; CPU = this process only.

| client | wall median, ms | wall p90, ms | CPU median, ms | CPU p90, ms |
|---|---|---|---|---|
{chr(10).join(rows)}

Added by `LLMClient.stream_chat` at the median: **{added_cpu:+.2f} ms CPU** (LLMClient / bare
= {added_ratio:.2f}x), {added_wall:+.2f} ms wall (target: under 5 ms).

**The platform's conversation pipeline** around the same answer (`ConversationService.handle`: access,
budget, open meeting and history read in one statement, the call, then one usage record and two
history rows committed in one transaction on SQLite WAL with `synchronous=NORMAL`), {args.rounds} rounds
of {args.answers} answers each, alternating with the bare client in the same run:

| client | wall median, ms | wall p90, ms | CPU median, ms | CPU p90, ms |
|---|---|---|---|---|
{chr(10).join(prow)}

Added by the pipeline at the median: **{pipe_cpu:+.2f} ms CPU** (pipeline {ours_cpu:.2f} ms / bare {bare_cpu:.2f} ms
= {ours_cpu / bare_cpu:.2f}x), {pipe_wall:+.2f} ms wall (target: under 5 ms). Per round:

| round | bare CPU median, ms | pipeline CPU median, ms | added, ms |
|---|---|---|---|
{chr(10).join(round_rows)}

**{args.conversations} concurrent conversations** through one `LLMClient`, {args.turns} turns each with a
growing history; the fake paces answers like a model ({args.first_chunk_delay * 1000:.0f} ms to the first
chunk, then {args.chunk_delay * 1000:.0f} ms a chunk: {ideal_ms:.0f} ms an answer at best).

| answers | errors | wall, s | client CPU, s | latency p50, ms | p90, ms | max, ms |
|---|---|---|---|---|---|---|
{load_row}

Under load this process spent {cpu_per_answer:.1f} ms of CPU per answer (nearly all of it the SDK's own
work, as the overhead run shows), so the median answer took {loaded["p50_ms"] - ideal_ms:+.0f} ms over the paced ideal.
Targets {verdict}.{(" First error: " + loaded["first_error"]) if loaded["errors"] else ""}
"""
    print(section)
    if not args.no_readme:
        write_readme(section, ROOT / "benchmarks" / "README.md")


if __name__ == "__main__":
    main()
