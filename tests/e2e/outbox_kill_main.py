"""The platform in polling mode, as `gptitor run` starts it, for tests/e2e/test_outbox_kill.py,
which runs it as its own process so that it can kill it:

    python -m tests.e2e.outbox_kill_main STATUS_FILE CLAIM_SECONDS CHANNEL_GAP

Settings come from the environment, but for OUTBOX_CLAIM_SECONDS. Two timings are shortened so
the test stays short, and nothing else changes: an outbox claim lasts CLAIM_SECONDS instead of a
minute, and a channel's posts are CHANNEL_GAP seconds apart instead of three. Once the platform
runs, one JSON line (`{"pid": ..., "ready": <unix time>}`) is appended to STATUS_FILE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

import services.outbox
from bot.app import run_platform
from bot.config import load_settings


def main() -> None:
    status, claim_seconds, channel_gap = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s [{os.getpid()}] %(name)s: %(message)s")
    services.outbox.CHANNEL_GAP = channel_gap  # read at each send, so this reaches every post

    def ready(_runtime) -> None:
        with status.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"pid": os.getpid(), "ready": time.time()}) + "\n")

    asyncio.run(run_platform(load_settings(outbox_claim_seconds=claim_seconds, metrics_port=0), on_ready=ready))


if __name__ == "__main__":
    main()
