"""The platform in polling mode, as `gptitor run` starts it, for tests/e2e/test_stars_cancel_many.py,
which runs it as its own process so that it can kill it:

    python -m tests.e2e.stars_cancel_kill_main STATUS_FILE CLAIM_SECONDS CALL_GAP

Settings come from the environment. Two timings are shortened so the test stays short, and
nothing else changes: a claim on Stars cancellations lasts CLAIM_SECONDS instead of two minutes,
and a bot's calls are CALL_GAP seconds apart instead of 0.04. Once the platform runs, one JSON
line (`{"pid": ..., "ready": <unix time>}`) is appended to STATUS_FILE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

import billing.payments.stars_cancellations
import services.stars_cancel
from bot.app import run_platform
from bot.config import load_settings


def main() -> None:
    status, claim_seconds, call_gap = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s [{os.getpid()}] %(name)s: %(message)s")
    billing.payments.stars_cancellations.CLAIM_SECONDS = claim_seconds  # read when the worker is made
    services.stars_cancel.CALL_GAP = call_gap  # read at each call

    def ready(_runtime) -> None:
        with status.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), "ready": time.time()}) + "\n")

    asyncio.run(run_platform(load_settings(metrics_port=0), on_ready=ready))


if __name__ == "__main__":
    main()
