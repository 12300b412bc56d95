"""The author dashboard's chart: what the picture says (read from the figure before it is saved),
a month at a loss, a large tracker's figures, and the service's empty state and cooldown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from billing.dashboard import Month, recent_months
from billing.subscriptions import create_subscription
from i18n import format as fmt
from services.dashboard_chart import DashboardCharts, DashboardChartText, dashboard_figure, dashboard_png
from tests.referral.conftest import make_tracker, make_user

LABELS = [f"2025-{m:02d}" for m in range(1, 13)]


def text(lang: str = "ru") -> DashboardChartText:
    return DashboardChartText(lang=lang, title="Vera", currency="руб." if lang == "ru" else "RUB",
                              revenue="Revenue", cost="Tokens", margin="Margin")


def months(revenue: list[int], cost: list[int]) -> list[Month]:
    return [Month(label, 0, 0, r, c) for label, r, c in zip(LABELS, revenue, cost, strict=True)]


def drawn(figure):
    figure.draw_without_rendering()
    (ax,) = figure.axes
    return ax


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_months_money_and_margins_read_as_the_dashboard_writes_them(lang):
    data = months([0] * 9 + [200_000, 400_000, 600_000], [0] * 9 + [60_000, 500_000, 90_000])
    ax = drawn(dashboard_figure(data, text(lang)))
    assert [t.get_text() for t in ax.get_xticklabels()] == [fmt.short_month(m, lang) for m in LABELS]
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks == [fmt.price(round(v * 100), lang) for v in ax.get_yticks()]
    assert ax.yaxis.get_offset_text().get_text() == ""
    # Each month with money has its margin written over it, a loss with its minus sign.
    assert {a.get_text() for a in ax.texts} == {fmt.price(m.margin_kopecks, lang) for m in data[9:]}
    assert any(a.get_text().startswith(("-", "−")) for a in ax.texts)
    assert ax.get_ylim()[0] < 0  # the loss month's margin is inside the frame
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Revenue", "Tokens", "Margin"]


def test_a_large_tracker_has_separators_and_no_exponent():
    revenue = [500_000_000 + n * 90_000_000 for n in range(12)]
    ax = drawn(dashboard_figure(months(revenue, [r // 4 for r in revenue]), text("ru")))
    texts = [t.get_text() for t in ax.get_yticklabels()] + [a.get_text() for a in ax.texts]
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert not any(re.search(r"[eE][+-]?\d", t) for t in texts)
    assert dashboard_png(months(revenue, revenue), text("ru")).startswith(b"\x89PNG")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_nothing_yet_is_a_sentence_then_a_picture_of_the_same_figures_as_the_dashboard(database):
    tracker = await make_tracker(1)
    client = await make_user(2)
    clock = Clock()
    charts = DashboardCharts(cooldown=10, clock=clock)
    assert (await charts.chart(tracker, text(), tz="Europe/Moscow")).empty and charts.renders == 0

    await create_subscription(tracker.id, client.id, "month", 200_000, datetime.now(UTC))
    clock.now += 11
    result = await charts.chart(tracker, text(), tz="Europe/Moscow")
    assert result.png.startswith(b"\x89PNG") and charts.renders == 1
    shown = await recent_months(tracker, datetime.now(UTC), "Europe/Moscow", 12)
    assert result.total_kopecks == sum(m.margin_kopecks for m in shown) == 200_000

    clock.now += 3  # pressed again at once: a sentence with the seconds left, no second render
    again = await charts.chart(tracker, text(), tz="Europe/Moscow")
    assert again.wait_seconds == 7 and not again.png and charts.renders == 1
