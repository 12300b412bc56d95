"""One real webhook worker for tests/e2e/test_workers.py, run as its own process:

    python -m tests.e2e.worker_main INDEX STATUS_DIR

Settings come from the environment, as for `gptitor run --webhook`; this is `run_platform` with
a little instrumentation for the test to watch from outside: it appends JSON lines to
STATUS_DIR/worker-INDEX.jsonl ("ready" with its pid, every scheduler job it ran), and once the
file STATUS_DIR/go appears it runs settlement itself with small batches, as of the moment the
file names (as the scheduler would, but in both workers at once), and reports what it settled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

from bot.app import Runtime, run_platform
from bot.config import load_settings

GO_BATCH = 100


def main() -> None:
    index, status_dir = int(sys.argv[1]), Path(sys.argv[2])
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s [worker {index}] %(name)s: %(message)s")
    out = status_dir / f"worker-{index}.jsonl"

    def report(**fields) -> None:
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), "t": time.time(), **fields}) + "\n")

    async def on_ready(runtime: Runtime) -> None:
        from apscheduler.events import EVENT_JOB_EXECUTED

        runtime.scheduler._aps.add_listener(lambda event: report(job=event.job_id), EVENT_JOB_EXECUTED)
        report(event="ready", leader=runtime.coordinator.is_leader)
        asyncio.get_running_loop().create_task(settle_on_go())

    async def settle_on_go() -> None:
        from datetime import datetime

        from billing.settlement import settle_due_periods

        go = status_dir / "go"
        while not go.exists() or not go.read_text().strip():
            await asyncio.sleep(0.02)
        # The test's periods end after the scheduler's own runs look: only these runs settle them.
        now = datetime.fromisoformat(go.read_text().strip())
        result = await settle_due_periods(now, batch_size=GO_BATCH)
        report(event="settled", periods=result.periods)

    asyncio.run(run_platform(load_settings(), webhook=True, on_ready=on_ready, primary=index == 0))


if __name__ == "__main__":
    main()
