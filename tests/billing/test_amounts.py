"""Typed amounts: plain decimals only. Each exotic input Python's Decimal() would take (and that
crashed a handler or slipped through) is refused by every parser with its usual error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import admin, commission
from billing.amounts import plain_decimal
from billing.payouts import destinations as po
from billing.plans import PriceError, parse_price

EXOTIC = [
    "sNaN", "NaN", "-sNaN", "1e999999", "1E3", "1e-2", "9e999999999", "Infinity", "-Infinity", "inf",
    "1_000", "+5", "1" * 40, "0." + "1" * 40, "１２３", "١٢٣", "0x10", "12.34.56", "1,2,3", ".5", "5..",
]


@pytest.mark.parametrize("text", EXOTIC)
def test_plain_decimal_refuses_what_a_person_does_not_type(text):
    assert plain_decimal(text) is None


@pytest.mark.parametrize("text, value", [
    ("0", Decimal(0)), ("2000", Decimal(2000)), ("2000.5", Decimal("2000.5")), ("0,15", Decimal("0.15")),
    ("-3", Decimal(-3)), ("999999999999.999999", Decimal("999999999999.999999")), ("007", Decimal(7)),
])
def test_plain_decimal_takes_plain_numbers(text, value):
    assert plain_decimal(text) == value


@pytest.mark.parametrize("text", EXOTIC)
def test_an_exotic_price_is_not_a_number(text):
    with pytest.raises(PriceError) as err:
        parse_price(text)
    assert err.value.key == "plans-price-not-a-number"


@pytest.mark.parametrize("text", EXOTIC)
def test_an_exotic_payout_amount_is_a_bad_amount(text):
    with pytest.raises(po.PayoutError) as err:
        po.parse_rubles(text)
    assert err.value.code == "payouts-bad-amount"


@pytest.mark.parametrize("text", EXOTIC)
def test_an_exotic_rate_or_model_price_is_a_bad_number(text):
    with pytest.raises(admin.AdminInputError) as err:
        admin.parse_decimal(text)
    assert err.value.key == "admin-bad-number"


@pytest.mark.parametrize("text", EXOTIC)
def test_an_exotic_commission_share_is_a_bad_number(text):
    with pytest.raises(commission.ScheduleError) as err:
        commission.parse_shares([text, "20", "30", "20", "10"])
    assert err.value.key == "admin-commission-bad-number"


def test_the_tolerated_decorations_still_pass():
    assert parse_price("2 000,50 ₽") == 200050
    assert po.parse_rubles("1 500,50 ₽") == 150050
    assert po.parse_rubles("1500.") == 150000
