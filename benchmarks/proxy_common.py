"""What the proxy benchmark's runs share: the answer, the fake OpenAI server in its own process, the
sink that shows nothing, and a platform database of paying clients for the pipeline's runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


class NullSink:
    async def typing(self) -> None: ...
    async def delta(self, text: str) -> None: ...
    async def done(self, text: str) -> None: ...
    async def notice(self, key: str, **params: object) -> None: ...
    async def paywall(self, plans=None) -> None: ...


@asynccontextmanager
async def subscribers_db(tmp: str, count: int) -> AsyncIterator[tuple[object, list[int]]]:
    """A fresh SQLite platform with one tracker and `count` clients on a paid month: (tracker, ids)."""
    from datetime import UTC, datetime

    from billing.dashboard_rollup import ensure_built
    from billing.rates import add_rate, set_model_price
    from billing.subscriptions import create_subscription
    from bot import db
    from models import Tracker, User

    await db.init(f"sqlite://{tmp}/bench.sqlite3")
    try:
        await add_rate(datetime(2025, 1, 1, tzinfo=UTC), "1.5")
        await set_model_price(MODEL, "1", "2")
        author = await User.create(id=1, first_name="author")
        tracker = await Tracker.create(
            bot_id=1,
            username="b",
            name="Bench",
            author=author,
            token_encrypted="-",
            system_prompt=MESSAGES[0]["content"],
            model=MODEL,
        )
        users = list(range(1000, 1000 + count))
        await User.bulk_create([User(id=u, first_name="c") for u in users])
        for u in users:
            await create_subscription(tracker.id, u, "month", 200_000, datetime.now(UTC))
        # The author has looked at the dashboard: its running totals exist, and every answer of a
        # subscriber adds to them in the transaction that records it (billing.dashboard_rollup).
        await ensure_built(tracker.id, author.id, "Europe/Moscow")
        yield tracker, users
    finally:
        await db.close()
