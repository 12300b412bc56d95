"""i18n.format: each presentation as its readers know it, and one sign rule for all."""

from datetime import UTC, datetime

from i18n.format import count, day, day_time, price, report_count, report_rub, rub, sortable_time


def test_money_presentations():
    assert price(12345600) == "123 456"
    assert price(200050) == "2 000.50"
    assert rub(149000) == "1 490.00 ₽"
    assert report_rub(210000000) == "2,100,000.00"
    assert count(12345) == "12 345"
    assert report_count(1234567) == "1,234,567"


def test_negative_amounts_keep_their_kopecks():
    assert price(-5) == "-0.05"  # once "-1.95"
    assert price(-200050) == "-2 000.50"
    assert rub(-5) == "-0.05 ₽"
    assert report_rub(-100) == "-1.00"


def test_dates_in_the_platform_zone():
    moment = datetime(2026, 12, 4, 21, 5, tzinfo=UTC)
    assert day(moment, "Europe/Moscow") == "05.12.2026"
    assert day(None) == ""
    assert day_time(moment) == "04.12.2026 21:05"
    assert sortable_time(moment, "Europe/Moscow") == "2026-12-05 00:05"


def test_a_set_quantity_never_shows_an_exponent():
    from decimal import Decimal

    from i18n.format import decimal, fixed

    assert decimal(Decimal("5E+2")) == "500"  # an mJ limit the author typed as 500
    assert decimal(Decimal("1e9")) == "1 000 000 000"
    assert decimal(Decimal("0.030")) == "0.03" and decimal(Decimal("1.500000")) == "1.5"
    assert decimal(Decimal("-2.50")) == "-2.5" and decimal(0) == "0"
    assert fixed(Decimal("1234.5")) == "1 234.50" and fixed(Decimal("0.055")) == "0.06"
    assert fixed(Decimal("-1.005")) == "-1.01" and fixed(0) == "0.00"


def test_a_conversion_is_a_whole_percent_rounded_half_up_or_a_dash_without_a_base():
    from i18n.format import conversion

    shown = [conversion(1, 3), conversion(2, 3), conversion(1, 8), conversion(3, 3), conversion(0, 5)]
    assert shown == ["33%", "67%", "13%", "100%", "0%"]
    assert conversion(0, 0) == conversion(5, 0) == "—"
