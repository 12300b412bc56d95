"""Where a payout goes: a card, an SBP phone with its bank, or a YooMoney wallet, and the amount in
rubles the person asked for.

A card is never typed into the chat and its number never reaches the platform: YooKassa's payout
widget (in the Mini App, `services.web.card`) keeps the number and gives back a card synonym
(`payout_token`) with the card's first six and last four digits; that is all a card destination
holds. Rows written before the widget held the full number: reading one keeps only its last four
and first six digits, and it cannot be paid through YooKassa (the partner adds the card again)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
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


_TOKEN = re.compile(r"[A-Za-z0-9_.:=+/-]{8,256}")


def check_card(token: str, first6: str, last4: str, issuer: str = "") -> tuple[str, str, str, str]:
    """What the widget's page sent, checked: a card synonym of YooKassa's alphabet, six and four
    digits, an issuer's name of sane length. Anything else is PayoutError("payouts-card-invalid")."""
    issuer = " ".join(str(issuer or "").split())[:64]
    if not (isinstance(token, str) and _TOKEN.fullmatch(token) and isinstance(first6, str)
            and re.fullmatch(r"[0-9]{6}", first6) and isinstance(last4, str) and re.fullmatch(r"[0-9]{4}", last4)):
        raise PayoutError("payouts-card-invalid")
    return token, first6, last4, issuer


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to pay: a card (its YooKassa synonym and mask), an SBP phone and bank, or a YooMoney
    wallet."""

    method: str
    number: str = ""  # the phone (7XXXXXXXXXX) or the wallet; never a card number
    bank: str = ""  # SBP only
    token: str = field(default="", repr=False)  # a card's payout_token; "" for a card kept before the widget
    first6: str = ""
    last4: str = ""
    issuer: str = ""

    @classmethod
    def parse(cls, method: str, text: str, bank: str = "") -> Destination:
        """What the person typed: an SBP phone or a wallet. A card is added in the Mini App only."""
        if method == SBP:
            return cls(SBP, parse_phone(text), parse_bank(bank))
        if method == YOOMONEY:
            return cls(YOOMONEY, parse_wallet(text))
        raise PayoutError("payouts-bad-method")

    @classmethod
    def card(cls, token: str, first6: str, last4: str, issuer: str = "") -> Destination:
        token, first6, last4, issuer = check_card(token, first6, last4, issuer)
        return cls(CARD, token=token, first6=first6, last4=last4, issuer=issuer)

    def to_json(self) -> str:
        if self.method == CARD:
            data = {"method": CARD, "token": self.token, "first6": self.first6, "last4": self.last4}
            if self.issuer:
                data["issuer"] = self.issuer
        else:
            data = {"method": self.method, "number": self.number}
            if self.bank:
                data["bank"] = self.bank
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Destination:
        data = json.loads(text)
        method = str(data["method"])
        if method == CARD:
            if "number" in data:  # kept before the widget: only its mask leaves this function
                number = str(data["number"])
                return cls(CARD, first6=number[:6], last4=number[-4:])
            # No token: a card kept before the widget, its number already scrubbed to the mask.
            return cls(CARD, token=str(data.get("token", "")), first6=str(data.get("first6", "")),
                       last4=str(data["last4"]), issuer=str(data.get("issuer", "")))
        return cls(method, str(data["number"]), str(data.get("bank", "")))

    @property
    def needs_new_card(self) -> bool:
        """A card kept as a number before the widget: it cannot be paid through YooKassa."""
        return self.method == CARD and not self.token

    @property
    def masked(self) -> str:
        """What a list may show: the last four digits only."""
        if self.method == CARD:
            return f"•••• {self.last4}"
        tail = self.number[-4:]
        if self.method == SBP:
            return f"+7 ••• •••-{tail[:2]}-{tail[2:]}, {self.bank}"
        return f"{self.number[:4]} •••• {tail}"

    @property
    def full(self) -> str:
        """What the admin needs to pay by hand: a phone or a wallet in full; of a card, only what
        YooKassa itself shows (first six, last four, the issuer), never the number."""
        if self.method == CARD:
            head = f"{self.first6[:4]} {self.first6[4:]}•• •••• " if self.first6 else "•••• "
            return head + self.last4 + (f", {self.issuer}" if self.issuer else "")
        if self.method == SBP:
            return f"+{self.number}, {self.bank}"
        return self.number

    def yookassa(self) -> dict[str, Any] | None:
        """What tells YooKassa where to pay (`payout_token`, or `payout_destination_data`), or None
        when YooKassa cannot pay it: SBP (it needs the bank's SBP id), a card kept before the widget."""
        if self.method == CARD:
            return {"payout_token": self.token} if self.token else None
        if self.method == YOOMONEY:
            return {"payout_destination_data": {"type": "yoo_money", "account_number": self.number}}
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
