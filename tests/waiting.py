"""Waiting for something asynchronous to become true, the one way the suite does it.

A test that asserts on what a background task does (an outbox row marked sent, a post, a reply,
a ledger row written by a job) waits for the condition with a deadline instead of sleeping a
fixed time and then asserting: on a fast machine it returns at once, on a slow or loaded one it
waits longer, and it fails only when the condition never came true.

`DEADLINE` is generous on purpose; `TEST_DEADLINE_SCALE` (a factor) stretches every deadline, for
a machine slower still.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

SCALE = float(os.environ.get("TEST_DEADLINE_SCALE", "1") or 1)
DEADLINE = 30.0 * SCALE  # seconds; success returns as soon as the condition holds


def scaled(seconds: float) -> float:
    """A test's own deadline, stretched like the default one."""
    return seconds * SCALE


async def eventually(check: Callable[[], T | Awaitable[T]], what: str, *, timeout: float | None = None,
                     every: float = 0.05) -> T:
    """The first truthy result of `check()` (a function or a coroutine function); AssertionError
    naming `what` and the last result if none came within `timeout` seconds."""
    limit = DEADLINE if timeout is None else scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        result: Any = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit:.0f} s waiting for {what} (last: {result!r})")
        await asyncio.sleep(every)


async def stays(check: Callable[[], Any], what: str, *, for_seconds: float, every: float = 0.05) -> None:
    """Assert that `check()` stays truthy for `for_seconds`: for a thing that must NOT happen.
    Not stretched by the scale: a quiet period proves nothing more for lasting longer."""
    deadline = time.monotonic() + for_seconds
    while True:
        result: Any = check()
        if inspect.isawaitable(result):
            result = await result
        assert result, f"{what} (after {for_seconds - (deadline - time.monotonic()):.1f} s: {result!r})"
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(every)
