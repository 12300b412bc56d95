"""i18n.format: each presentation as its readers know it, in the reader's language, one sign rule for all."""

from datetime import UTC, date, datetime
from decimal import Decimal

from i18n.format import (
    conversion,
    count,
    day,
    day_time,
    decimal,
    fixed,
    month,
    month_of,
    percent,
    price,
    report_count,
    report_rub,
    rub,
)

NBSP = "\u00a0"


def test_money_presentations_in_russian_use_a_comma_and_no_break_spaces():
    assert price(12345600) == f"123{NBSP}456"
    assert price(200050, "ru") == f"2{NBSP}000,50"
    assert rub(149000, "ru") == f"1{NBSP}490,00{NBSP}₽"
    assert rub(12345600, "ru") == f"123{NBSP}456,00{NBSP}₽"
    assert count(12345, "ru") == f"12{NBSP}345"


def test_money_presentations_in_english():
    assert price(12345600, "en") == "123,456" and price(200050, "en") == "2,000.50"
    assert rub(12345600, "en") == f"RUB{NBSP}123,456.00"
    assert count(1334, "en") == "1,334"


def test_reports_stay_as_other_tools_print_them():
    assert report_rub(210000000) == "2,100,000.00"
    assert report_count(1234567) == "1,234,567"
    assert report_rub(-100) == "-1.00"


def test_negative_amounts_keep_their_kopecks():
    assert price(-5) == "-0,05"  # once "-1.95"
    assert price(-200050, "en") == "-2,000.50"
    assert rub(-5) == f"-0,05{NBSP}₽"


def test_dates_and_months_in_the_platform_zone_and_the_readers_language():
    moment = datetime(2026, 12, 4, 21, 5, tzinfo=UTC)
    assert day(moment, "Europe/Moscow") == "05.12.2026"
    assert day(moment, "Europe/Moscow", "en") == "5 Dec 2026"
    assert day(None) == ""
    assert day_time(moment) == "04.12.2026 21:05"
    assert day_time(moment, lang="en") == "4 Dec 2026, 21:05"
    assert month(date(2025, 11, 3), lang="ru") == "ноябрь 2025"
    assert month(date(2025, 11, 3), lang="en") == "November 2025"
    assert month_of("2025-11", "ru") == "ноябрь 2025"


def test_a_set_quantity_never_shows_an_exponent():
    assert decimal(Decimal("5E+2")) == "500"  # an mJ limit the author typed as 500
    assert decimal(Decimal("1e9")) == f"1{NBSP}000{NBSP}000{NBSP}000"
    assert decimal(Decimal("0.030"), "en") == "0.03" and decimal(Decimal("1.500000")) == "1,5"
    assert decimal(Decimal("-2.50"), "en") == "-2.5" and decimal(0) == "0"
    assert decimal(Decimal("1E-7"), "en") == "0.0000001"
    assert fixed(Decimal("1234.5"), lang="en") == "1,234.50" and fixed(Decimal("0.055")) == "0,06"
    assert fixed(Decimal("-1.005"), lang="en") == "-1.01" and fixed(0) == "0,00"


def test_a_conversion_is_a_whole_percent_rounded_half_up_or_a_dash_without_a_base():
    shown = [conversion(1, 3, "en"), conversion(2, 3, "en"), conversion(1, 8, "en"), conversion(3, 3, "en"),
             conversion(0, 5, "en")]
    assert shown == ["33%", "67%", "13%", "100%", "0%"]
    assert conversion(1, 8, "ru") == f"13{NBSP}%"
    assert conversion(0, 0) == conversion(5, 0) == "—"


def test_a_share_has_one_decimal():
    assert percent(3, 5, "en") == "60.0%" and percent(0, 0, "en") == "0.0%"
    assert percent(1, 3, "ru") == f"33,3{NBSP}%"


def test_fluent_groups_a_raw_count_as_count_does_and_picks_the_plural_form():
    from i18n.catalog import translator

    ru, en = translator("ru"), translator("en")
    assert ru("btn-pay-stars", stars=1334) == f"⭐ {count(1334, 'ru')} звезды"
    assert ru("btn-pay-stars", stars=1) == "⭐ 1 звезда" and ru("btn-pay-stars", stars=25) == "⭐ 25 звёзд"
    assert en("btn-pay-stars", stars=1334) == f"⭐ {count(1334, 'en')} Stars"
    assert en("btn-pay-stars", stars=1) == "⭐ 1 Star"
    assert ru("ai-estimate-line", name="Утро", count=4, avg="1,5") == "Утро: 4 встречи × 1,5 мДж"
    assert en("partner-network", people=1, names="Ann", levels="").startswith("👥 Your network: 1 person")
    assert ru("partner-network-level", level=4, people=1334, paying=1) == f"Уровень 4: {count(1334, 'ru')}, платят 1"
    reminder = ru("renew-reminder", name="Вера", until="05.12.2026", days=5)
    assert reminder.endswith("(через 5 дней). Продлить: /subscription")
