"""The partner cabinet's earnings by level list as many levels as the partner has money at: the
default three for everyone, a fourth (and deeper) once the ledger holds an entry of that role.
The network lists as many levels as the schedule in force pays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from billing import partner as partner_money
from billing.commission import add_schedule
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from dialogs.platform.partners import getters as author_view
from dialogs.tracker.partner import getters as chat
from handlers.platform.start import on_help
from i18n.catalog import translator
from models import Plan, User
from tests.billing.helpers import MSK, make_tracker
from tests.billing.test_settlement_depth import CLIENT, client_with_chain

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=45)  # settled within the last 12 months
FOUR = {"platform": Decimal(15), "author": Decimal(20), "levels": [Decimal(30), Decimal(20), Decimal(10), Decimal(5)]}
SETTINGS = SimpleNamespace(commission=None, timezone=MSK)


async def settled_under(schedule) -> object:
    tracker = await make_tracker(author_id=1)
    await client_with_chain(tracker, (16, 15, 14, 13, 12, 11))
    sub = await create_subscription(tracker.id, CLIENT, "month", 200_000, T0, tz=MSK)
    await settle_due_periods(sub.ends_at + timedelta(days=1), schedule=schedule)
    return tracker


def plain(text: str) -> str:
    """No-break spaces (the formatter's separators) made plain, as the e2e tests compare."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


async def earnings_screen(tracker, user_id: int, lang: str) -> dict:
    manager = SimpleNamespace(dialog_data={}, middleware_data={})
    screen = await chat.earnings_getter(manager, tracker, await User.get(id=user_id), translator(lang), SETTINGS)
    return {key: plain(value) if isinstance(value, str) else value for key, value in screen.items()}


async def test_a_level_4_partner_sees_four_levels_and_others_three(database):
    tracker = await settled_under(FOUR)
    deep = await partner_money.settled_by_level(tracker.id, 13)
    assert (deep.l4, deep.total, deep.deepest) == (10_000, 10_000, 4)

    screen = await earnings_screen(tracker, 13, "en")
    assert screen["settled_levels"].splitlines() == [
        "Level 1: RUB 0.00", "Level 2: RUB 0.00", "Level 3: RUB 0.00", "Level 4: RUB 100.00"]
    [month] = screen["months_text"].splitlines()
    assert month.endswith("(level 1 — RUB 0.00 · level 2 — RUB 0.00 · level 3 — RUB 0.00 · level 4 — RUB 100.00)")

    near = await earnings_screen(tracker, 16, "ru")  # level 1 only: the default three lines
    assert [line.split(":")[0] for line in near["settled_levels"].splitlines()] == \
        ["Уровень 1", "Уровень 2", "Уровень 3"]


async def test_under_the_default_schedule_level_4_earns_nothing_and_is_not_listed(database):
    tracker = await settled_under(None)
    assert (await partner_money.settled_by_level(tracker.id, 13)).total == 0
    screen = await earnings_screen(tracker, 13, "en")
    assert len(screen["settled_levels"].splitlines()) == 3


async def test_the_authors_list_of_partners_shows_each_partners_depth(database):
    tracker = await settled_under(FOUR)
    i18n = translator("en")
    deep = await partner_money.settled_by_level(tracker.id, 13)
    near = await partner_money.settled_by_level(tracker.id, 16)
    assert plain(author_view._levels(i18n, deep)).endswith("level 3 — RUB 0.00 · level 4 — RUB 100.00")
    assert plain(author_view._levels(i18n, near)) == \
        "level 1 — RUB 600.00 · level 2 — RUB 0.00 · level 3 — RUB 0.00"


async def network_screen(tracker, user_id: int, lang: str) -> dict:
    manager = SimpleNamespace(dialog_data={}, middleware_data={})
    return await chat.network_getter(manager, tracker, await User.get(id=user_id), translator(lang), SETTINGS)


async def test_the_network_counts_as_many_levels_as_the_schedule_in_force_pays(database):
    tracker = await settled_under(FOUR)  # 13 invited 14, who invited 15, then 16, then the client
    three = await network_screen(tracker, 13, "en")
    assert three["levels"].splitlines() == ["Level 1: 1, paying 0", "Level 2: 1, paying 0", "Level 3: 1, paying 0"]
    assert three["people"] == 3

    await add_schedule(FOUR)
    four = await network_screen(tracker, 13, "ru")
    assert four["levels"].splitlines() == [
        "Уровень 1: 1, платят 0", "Уровень 2: 1, платят 0", "Уровень 3: 1, платят 0", "Уровень 4: 1, платят 1"]
    assert four["people"] == 4
    assert (await network_screen(tracker, 16, "en"))["levels"].splitlines()[0] == "Level 1: 1, paying 1"

    await add_schedule({"platform": Decimal(60), "author": Decimal(40)})  # no levels: who I brought still shows
    assert (await network_screen(tracker, 16, "en"))["levels"] == "Level 1: 1, paying 1"


async def howto(tracker, lang: str) -> dict:
    manager = SimpleNamespace(dialog_data={}, middleware_data={})
    screen = await chat.howto_getter(manager, tracker, translator(lang), SETTINGS)
    return {key: plain(value) if isinstance(value, str) else value for key, value in screen.items()}


async def test_how_the_money_is_split_lists_the_levels_in_force(database):
    tracker = await make_tracker(author_id=1)
    await Plan.create(tracker=tracker, kind="month", price_kopecks=200_000)
    three = await howto(tracker, "en")
    assert three["levels"].splitlines() == [
        "• whoever invited the client (level 1) — 30% (up to RUB 600.00);",
        "• whoever invited the inviter (level 2) — 20% (up to RUB 400.00);",
        "• level 3 — 10% (up to RUB 200.00);",
    ]
    await add_schedule({**FOUR, "levels": [Decimal(30), Decimal(20), Decimal(10), Decimal(5)]})
    four = await howto(tracker, "ru")
    assert four["levels"].splitlines()[-1] == "• уровень 4 — 5% (до 100,00 ₽);"
    assert four["platform_pct"] == "15"
    assert four["levels_inline"].endswith("уровень 3 — 10%, уровень 4 — 5%")


async def test_the_platform_help_names_the_levels_in_force(database):
    answers: list[str] = []
    message = SimpleNamespace(answer=lambda text, **_: answers.append(text) or _done())
    await on_help(message, translator("en"), SETTINGS)
    await add_schedule({"platform": Decimal(60), "author": Decimal(40)})
    await on_help(message, translator("en"), SETTINGS)
    assert "partners 30% / 20% / 10% (by invitation level" in plain(answers[0])
    assert "partners no referral levels (by invitation level" in plain(answers[1])


async def _done() -> None:
    return None
