"""The partner cabinet's earnings chart: drawn off the event loop, and only when its data changed.

Why: a render costs about half a second of CPU (matplotlib). It runs in a one-thread executor of
its own (`CHART_EXECUTOR`), so charts queue behind each other and never take the event loop's default
pool from anything else; a person who presses again within `cooldown` seconds gets a sentence, not
a render; and the picture is kept, keyed by the person, the tracker, the language and title, the
months shown and the newest accrual on their account (the ledger is append-only and the chart is
a sum of accruals, so a new accrual is the only change of its data). Pressing again later costs
one index-only query. The cache and the cooldown live in the process (each worker has its own):
a second worker renders once more, which costs CPU, never a wrong picture. On PostgreSQL an
accrual can commit after one with a higher id, so a kept picture also expires after `ttl`.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from billing import partner as partner_money
from billing.partner.earnings import month_labels
from i18n import format as fmt

# One worker: matplotlib's figures are safe in one thread at a time, and two renders at once
# would only share the same cores more slowly.
CHART_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="earnings-chart")
# Levels 4..6 earn only under a schedule that deep; a level without money is left out of the picture.
ROLE_COLORS = (("author", "#8e44ad"), ("l1", "#2e86de"), ("l2", "#27ae60"), ("l3", "#f39c12"),
               ("l4", "#e74c3c"), ("l5", "#16a085"), ("l6", "#7f8c8d"))


@dataclass(frozen=True, slots=True)
class ChartText:
    """What the picture says, in the reader's language."""

    lang: str
    title: str
    currency: str  # the money axis' label, e.g. "₽"
    roles: tuple[tuple[str, str], ...]  # (role, legend label)


@dataclass(frozen=True, slots=True)
class ChartResult:
    """`png` (with the total it shows), or `empty` (nothing earned in the months shown), or
    `wait_seconds` > 0 (pressed again too soon)."""

    png: bytes = b""
    total_kopecks: int = 0
    empty: bool = False
    wait_seconds: int = 0
    cached: bool = False


def money_tick(lang: str) -> Callable[[float, Any], str]:
    """A money axis tick in rubles as the reader writes amounts (i18n.format.price): grouped,
    kopecks only when there are any; never an exponent or an offset."""

    def tick(value: float, _position: Any = None) -> str:
        return fmt.price(round(value * 100), lang)

    return tick


def bar_total(kopecks: int, lang: str) -> str:
    """A bar's total in whole roubles (twelve of them must fit side by side; the caption has the
    exact sum): 3_568_757_066 -> "35 687 571"."""
    return fmt.price((kopecks + 50) // 100 * 100, lang)


def earnings_figure(months: Sequence[partner_money.MonthEarnings], text: ChartText) -> Any:
    """The chart as a matplotlib Figure, not yet drawn: stacked bars per role and month, each
    month's total above its bar. Tests read its texts before it is saved."""
    # matplotlib takes about a second to import and only this picture needs it: loaded on first use.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    names = [fmt.short_month(m.month, text.lang) for m in months]
    positions = list(range(len(months)))
    fig = Figure(figsize=(9, 4.8), dpi=100)
    ax = fig.add_subplot()
    bottom = [0.0] * len(months)
    labels = dict(text.roles)
    for role, color in ROLE_COLORS:
        values = [getattr(m.amounts, role) / 100 for m in months]
        if not any(values) and role != "l1":
            continue  # the author's bar only for the author; empty deeper levels say nothing
        ax.bar(positions, values, bottom=bottom, label=labels.get(role, role), color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    top = max(bottom, default=0.0)
    for x, month in zip(positions, months, strict=True):
        if month.amounts.total:
            ax.annotate(bar_total(month.amounts.total, text.lang), (x, month.amounts.total / 100),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, top * 1.25 if top > 0 else 1)  # room for the totals and the legend above the bars
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(money_tick(text.lang)))
    ax.set_xticks(positions, names, rotation=45, ha="right")
    ax.set_title(text.title)
    # The currency reads across, above the money axis, instead of turned on its side beside it.
    ax.set_ylabel(text.currency, rotation=0, ha="right", va="bottom")
    ax.yaxis.set_label_coords(0, 1.02)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", ncols=4, frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def earnings_png(months: Sequence[partner_money.MonthEarnings], text: ChartText) -> bytes:
    buffer = io.BytesIO()
    earnings_figure(months, text).savefig(buffer, format="png")
    return buffer.getvalue()


def too_soon(pressed: dict[Any, float], key: Any, now: float, cooldown: float) -> int:
    """Seconds to wait if `key` pressed within `cooldown` of its last press, else 0 (and the press
    is noted). Presses long past their cooldown are forgotten, so the dict stays small."""
    last = pressed.get(key)
    if last is not None and now - last < cooldown:
        return max(1, math.ceil(cooldown - (now - last)))
    if len(pressed) > 10_000:
        for old in [k for k, t in pressed.items() if now - t >= cooldown]:
            del pressed[old]
    pressed[key] = now
    return 0


@dataclass
class _Kept:
    png: bytes
    total: int
    at: float


@dataclass
class EarningsCharts:
    """The chart service one runtime holds: its cooldown per person and its cache of pictures."""

    cooldown: float = 10.0
    ttl: float = 900.0
    capacity: int = 256
    months: int = 12
    clock: Callable[[], float] = time.monotonic
    executor: Executor = CHART_EXECUTOR
    renders: int = 0  # how many pictures were drawn (the benchmark and the tests read it)
    _pressed: dict[int, float] = field(default_factory=dict)
    _kept: OrderedDict[tuple[Any, ...], _Kept] = field(default_factory=OrderedDict)

    def _too_soon(self, user_id: int, now: float) -> int:
        return too_soon(self._pressed, user_id, now, self.cooldown)

    async def chart(
        self, tracker_id: int, user_id: int, text: ChartText, *, tz: str, now: datetime | None = None
    ) -> ChartResult:
        moment = self.clock()
        wait = self._too_soon(user_id, moment)
        if wait:
            return ChartResult(wait_seconds=wait)
        window = month_labels(self.months, now or datetime.now(UTC), tz)
        key = (user_id, tracker_id, text, window[-1], tz, await partner_money.latest_accrual(user_id))
        kept = self._kept.get(key)
        if kept is not None and moment - kept.at < self.ttl:
            self._kept.move_to_end(key)
            return ChartResult(png=kept.png, total_kopecks=kept.total, empty=not kept.png, cached=True)
        months = await partner_money.monthly_earnings_by_level(tracker_id, user_id, months=self.months, now=now,
                                                               tz=tz)
        total = sum(m.amounts.total for m in months)
        png = b""
        if any(m.amounts.total for m in months):
            png = await asyncio.get_running_loop().run_in_executor(self.executor, partial(earnings_png, months, text))
            self.renders += 1
        self._kept[key] = _Kept(png, total, moment)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return ChartResult(png=png, total_kopecks=total, empty=not png)
