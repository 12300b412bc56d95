"""Where a payout goes: a card, an SBP phone with its bank, or a YooMoney wallet, parsed from what
the person typed and checked (Luhn for cards), and the amount in rubles they asked for."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from billing.amounts import plain_decimal
from billing.payouts.common import PayoutError

CARD = "card"
SBP = "sbp"
YOOMONEY = "yoomoney"
METHODS = (CARD, SBP, YOOMONEY)


_JUNK = re.compile(r"[\s()+\-.]")


def _digits(text: str) -> str:
    return _JUNK.sub("", text or "")


def luhn_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_card(text: str) -> str:
    number = _digits(text)
    if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_ok(number):
        raise PayoutError("payouts-bad-card")
    return number


def parse_phone(text: str) -> str:
    """A Russian phone number (SBP is Russian) as 11 digits starting with 7."""
    number = _digits(text)
    if len(number) == 11 and number[0] == "8":
        number = "7" + number[1:]
    elif len(number) == 10 and number[0] == "9":
        number = "7" + number
    if not (number.isdigit() and len(number) == 11 and number[0] == "7"):
        raise PayoutError("payouts-bad-phone")
    return number


def parse_wallet(text: str) -> str:
    number = _digits(text)
    if not (number.isdigit() and 11 <= len(number) <= 20 and number.startswith("4100")):
        raise PayoutError("payouts-bad-wallet")
    return number


def parse_bank(text: str) -> str:
    bank = " ".join((text or "").split())
    if not 2 <= len(bank) <= 64:
        raise PayoutError("payouts-bad-bank")
    return bank


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to pay: a card number, an SBP phone and bank, or a YooMoney wallet."""

    method: str
    number: str  # the card number, the phone (7XXXXXXXXXX) or the wallet
    bank: str = ""  # SBP only

    @classmethod
    def parse(cls, method: str, text: str, bank: str = "") -> Destination:
        if method == CARD:
            return cls(CARD, parse_card(text))
        if method == SBP:
            return cls(SBP, parse_phone(text), parse_bank(bank))
        if method == YOOMONEY:
            return cls(YOOMONEY, parse_wallet(text))
        raise PayoutError("payouts-bad-method")

    def to_json(self) -> str:
        data = {"method": self.method, "number": self.number}
        if self.bank:
            data["bank"] = self.bank
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Destination:
        data = json.loads(text)
        return cls(str(data["method"]), str(data["number"]), str(data.get("bank", "")))

    @property
    def masked(self) -> str:
        """What a list may show: the last four digits only."""
        tail = self.number[-4:]
        if self.method == CARD:
            return f"•••• {tail}"
        if self.method == SBP:
            return f"+7 ••• •••-{tail[:2]}-{tail[2:]}, {self.bank}"
        return f"{self.number[:4]} •••• {tail}"

    @property
    def full(self) -> str:
        """What the admin needs to pay by hand."""
        if self.method == CARD:
            return " ".join(self.number[i:i + 4] for i in range(0, len(self.number), 4))
        if self.method == SBP:
            return f"+{self.number}, {self.bank}"
        return self.number

    def yookassa(self) -> dict[str, Any] | None:
        """YooKassa's `payout_destination_data`, or None when YooKassa cannot pay it (SBP)."""
        if self.method == CARD:
            return {"type": "bank_card", "card": {"number": self.number}}
        if self.method == YOOMONEY:
            return {"type": "yoo_money", "account_number": self.number}
        return None


def parse_rubles(text: str) -> int:
    """ "1500", "1 500,50", "1500.5 ₽" -> kopecks; anything but a plain positive decimal with
    whole kopecks (billing.amounts) is a PayoutError."""
    cleaned = (text or "").replace("₽", "").replace("руб", "").replace("\u00a0", "").replace(" ", "")
    if cleaned.endswith((".", ",")):  # "1500." is a whole number typed with its point
        cleaned = cleaned[:-1]
    value = plain_decimal(cleaned)
    if value is None:
        raise PayoutError("payouts-bad-amount")
    kopecks = value.scaleb(2)
    if value <= 0 or kopecks != kopecks.to_integral_value():
        raise PayoutError("payouts-bad-amount")
    return int(kopecks)
