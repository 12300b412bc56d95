"""The author dashboard's chart: revenue, token cost and margin of the last twelve months.

The same figures as the dashboard's text, from the same read model (`billing.dashboard`, whose
running totals make a year a dozen index reads), drawn like the partner's chart
(`services.charts`: its one-thread executor, money ticks in the reader's digits, month names).
Nothing is kept between presses: every paid answer changes the token cost, so a kept picture would
be stale at once; a press within `cooldown` of the last one gets a sentence instead of a render.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from billing.dashboard import Month, recent_months
from i18n import format as fmt
from models import Tracker
from services.charts import CHART_EXECUTOR, ChartResult, bar_total, money_tick, too_soon

COLORS = {"revenue": "#2e86de", "cost": "#e67e22", "margin": "#27ae60"}


@dataclass(frozen=True, slots=True)
class DashboardChartText:
    """What the picture says, in the author's language."""

    lang: str
    title: str
    currency: str
    revenue: str
    cost: str
    margin: str


def dashboard_figure(months: Sequence[Month], text: DashboardChartText) -> Any:
    """Revenue and token cost side by side per month, the margin as a line over them, each
    month's margin written above it; months oldest first. Not yet drawn: tests read its texts."""
    import matplotlib  # a second of import, only for pictures: loaded on first use

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = list(range(len(months)))
    revenue = [m.revenue_kopecks / 100 for m in months]
    cost = [m.token_cost_kopecks / 100 for m in months]
    margin = [m.margin_kopecks / 100 for m in months]
    fig = Figure(figsize=(9, 4.8), dpi=100)
    ax = fig.add_subplot()
    revenue_bars = ax.bar([p - 0.2 for p in x], revenue, width=0.4, label=text.revenue, color=COLORS["revenue"])
    cost_bars = ax.bar([p + 0.2 for p in x], cost, width=0.4, label=text.cost, color=COLORS["cost"])
    (margin_line,) = ax.plot(x, margin, marker="o", label=text.margin, color=COLORS["margin"])
    for p, month in zip(x, months, strict=True):
        if month.revenue_kopecks or month.token_cost_kopecks:
            ax.annotate(bar_total(month.margin_kopecks, text.lang), (p, max(revenue[p], margin[p])),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7)
    low = min([0.0, *margin])
    high = max([0.0, *revenue, *margin])
    ax.set_ylim(low * 1.25, high * 1.25 if high > 0 else 1)  # room for the figures and the legend
    ax.axhline(0, color="#555555", linewidth=0.6)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(money_tick(text.lang)))
    ax.set_xticks(x, [fmt.short_month(m.label, text.lang) for m in months], rotation=45, ha="right")
    ax.set_title(text.title)
    ax.set_ylabel(text.currency, rotation=0, ha="right", va="bottom")
    ax.yaxis.set_label_coords(0, 1.02)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(handles=[revenue_bars, cost_bars, margin_line], loc="upper left", ncols=3, frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def dashboard_png(months: Sequence[Month], text: DashboardChartText) -> bytes:
    buffer = io.BytesIO()
    dashboard_figure(months, text).savefig(buffer, format="png")
    return buffer.getvalue()


@dataclass
class DashboardCharts:
    """The chart service one runtime holds: a cooldown per author and tracker."""

    cooldown: float = 10.0
    months: int = 12
    clock: Callable[[], float] = time.monotonic
    executor: Executor = CHART_EXECUTOR
    renders: int = 0
    _pressed: dict[tuple[int, int], float] = field(default_factory=dict)

    async def chart(self, tracker: Tracker, text: DashboardChartText, *, tz: str,
                    now: datetime | None = None) -> ChartResult:
        """`total_kopecks` is the margin of the months shown."""
        wait = too_soon(self._pressed, (tracker.author_id, tracker.id), self.clock(), self.cooldown)
        if wait:
            return ChartResult(wait_seconds=wait)
        months = list(reversed(await recent_months(tracker, now or datetime.now(UTC), tz, self.months)))
        if not any(m.revenue_kopecks or m.token_cost_kopecks for m in months):
            return ChartResult(empty=True)
        png = await asyncio.get_running_loop().run_in_executor(self.executor, partial(dashboard_png, months, text))
        self.renders += 1
        return ChartResult(png=png, total_kopecks=sum(m.margin_kopecks for m in months))
