"""What goes into the conversation pipeline and what comes out: a request, the `Sink` its answer
goes to, and the outcome (llm.conversation)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from billing.plans import PriceTag
from models import Tracker


class Sink(Protocol):
    """Where an answer goes (a Telegram chat). Texts are locale keys with parameters."""

    async def typing(self) -> None: ...

    async def delta(self, text: str) -> None:
        """The answer so far (called often; throttle on your side)."""

    async def done(self, text: str) -> None:
        """The whole answer."""

    async def notice(self, key: str, **params: Any) -> None: ...

    async def paywall(self, plans: Sequence[PriceTag] | None = None) -> None:
        """Access ran out: show the plans (`plans`: those on sale, if already read)."""




class Outcome(StrEnum):
    ANSWERED = "answered"
    OPENED = "opened"  # a meeting opened with its fixed first message
    PAYWALL = "paywall"
    BUDGET = "budget"
    FAILED = "failed"  # the model was unavailable: apologised, charged only for any part shown
    CONFIG = "config"  # bad key / unknown model: alerted, apologised, nothing charged
    QUEUE_FULL = "queue_full"
    SKIPPED = "skipped"


@dataclass
class Request:
    tracker_id: int
    user_id: int
    text: str | None  # None with `open_scenario_id`: open a meeting (the tracker speaks first)
    sink: Sink
    test: bool = False  # the author's test chat in the platform bot
    open_scenario_id: int | None = None
    tracker: Tracker | None = field(default=None, repr=False)  # the row at hand (saves a query)
    done: asyncio.Future[Outcome] | None = field(default=None, repr=False)
