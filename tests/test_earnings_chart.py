"""The partner's earnings chart: what the picture says (read from the figure before it is saved),
its empty state, the cache keyed by the newest accrual, and the cooldown."""

from __future__ import annotations

import re
from itertools import count

import pytest

from billing.accounts import user_account_id
from billing.partner import LevelAmounts, MonthEarnings
from i18n import format as fmt
from models import LedgerEntry
from models.enums import EntryKind, Role, SourceType
from services.charts import ChartText, EarningsCharts, bar_total, earnings_figure, earnings_png
from tests.referral.conftest import make_tracker, make_user

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
ROLES = (("author", "As the author"), ("l1", "Level 1"), ("l2", "Level 2"), ("l3", "Level 3"))
PARTNER = 10
_sources = count(1)


def text(lang: str = "ru") -> ChartText:
    return ChartText(lang=lang, title="Vera", currency="руб." if lang == "ru" else "RUB", roles=ROLES)


def months(*l1_per_month: int, author: int = 0) -> list[MonthEarnings]:
    return [MonthEarnings(month, LevelAmounts(author=author if amount else 0, l1=amount, l2=amount // 3))
            for month, amount in zip(MONTHS, l1_per_month, strict=True)]


def drawn(figure):
    figure.draw_without_rendering()  # lays out the ticks, as saving does
    (ax,) = figure.axes
    return ax


def tick_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels() if t.get_text()]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_small_account_reads_at_a_glance(lang):
    data = months(0, 0, 0, 0, 0, 0, 0, 0, 0, 44_700, 0, 89_400)
    ax = drawn(earnings_figure(data, text(lang)))
    # Month names in the reader's language, not ISO months.
    assert [t.get_text() for t in ax.get_xticklabels()] == [fmt.short_month(m, lang) for m in MONTHS]
    assert "2025-10" not in {t.get_text() for t in ax.get_xticklabels()}
    # Money ticks as the formatter writes them; no offset, no exponent.
    ticks = tick_texts(ax)
    assert ticks and ax.yaxis.get_offset_text().get_text() == ""
    assert ticks == [fmt.price(round(v * 100), lang) for v in ax.get_yticks()]
    # Each month's total above its bar, the currency reading across.
    totals = {a.get_text() for a in ax.texts}
    assert totals == {fmt.price(m.amounts.total, lang) for m in data if m.amounts.total}  # whole roubles here
    assert bar_total(3_568_757_066, lang) == fmt.price(3_568_757_100, lang)
    assert ax.yaxis.label.get_text() == text(lang).currency and ax.yaxis.label.get_rotation() == 0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Level 1", "Level 2"]  # no empty roles


def test_a_large_account_has_separators_and_no_offset_or_exponent():
    big = [1_234_567_800 + n * 97_000_000 for n in range(12)]  # about 12 to 23 million roubles a month
    ax = drawn(earnings_figure(months(*big, author=500_000_000), text("ru")))
    ticks = tick_texts(ax)
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert not any(re.search(r"[eE][+-]?\d", t) for t in ticks + [a.get_text() for a in ax.texts])
    # Every non-zero tick is in the millions, grouped in threes.
    assert all(re.fullmatch(r"\d{1,3}(\D\d{3}){2,}", t) for t in ticks if t != fmt.price(0, "ru")), ticks
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["As the author", "Level 1", "Level 2"]
    assert earnings_png(months(*big), text("ru")).startswith(b"\x89PNG")


async def accrue(tracker, user_id: int, amount: int, role: Role = Role.L1) -> None:
    await LedgerEntry.create(account_id=await user_account_id(user_id), kind=EntryKind.ACCRUAL, role=role,
                             amount_kopecks=amount, source_type=SourceType.PERIOD, source_id=next(_sources),
                             tracker=tracker)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_empty_account_gets_a_sentence_not_a_frame(database):
    tracker = await make_tracker(1)
    await make_user(PARTNER, "P")
    charts = EarningsCharts(cooldown=0)
    result = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert result.empty and not result.png and charts.renders == 0


async def test_the_second_press_is_a_cache_hit_until_the_next_accrual(database):
    tracker = await make_tracker(1)
    await make_user(PARTNER, "P")
    await accrue(tracker, PARTNER, 44_700)
    clock = Clock()
    charts = EarningsCharts(cooldown=5, clock=clock)
    first = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert first.png.startswith(b"\x89PNG") and first.total_kopecks == 44_700 and not first.cached
    clock.now += 6
    again = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert again.cached and again.png == first.png and charts.renders == 1
    # Another language is another picture; a new accrual (on any tracker) draws it again.
    clock.now += 6
    english = await charts.chart(tracker.id, PARTNER, text("en"), tz="Europe/Moscow")
    assert not english.cached and charts.renders == 2
    await accrue(await make_tracker(2), PARTNER, 10_000)
    clock.now += 6
    fresh = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert not fresh.cached and fresh.total_kopecks == 44_700 and charts.renders == 3
    await accrue(tracker, PARTNER, 5_000, Role.L2)
    clock.now += 6
    grown = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert grown.total_kopecks == 49_700 and charts.renders == 4
    # A kept picture also lapses after its time to live.
    clock.now += charts.ttl + 1
    assert not (await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")).cached


async def test_pressing_again_too_soon_is_told_how_long_to_wait(database):
    tracker = await make_tracker(1)
    await make_user(PARTNER, "P")
    await make_user(PARTNER + 1, "Q")
    await accrue(tracker, PARTNER, 44_700)
    clock = Clock()
    charts = EarningsCharts(cooldown=10, clock=clock)
    assert (await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")).png
    clock.now += 3.5
    soon = await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")
    assert soon.wait_seconds == 7 and not soon.png
    # Someone else is not held up by this person's presses.
    assert (await charts.chart(tracker.id, PARTNER + 1, text(), tz="Europe/Moscow")).empty
    clock.now += 7
    assert (await charts.chart(tracker.id, PARTNER, text(), tz="Europe/Moscow")).cached
    assert charts.renders == 1
