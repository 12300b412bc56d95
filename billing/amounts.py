"""Numbers people type (prices, payout amounts, rates, percents): plain decimals, nothing else.

Python's `Decimal()` takes far more than a person means: "sNaN" (any arithmetic on it raises),
"1e999999" (a finite number whose scaling overflows, or whose int() has a million digits),
"Infinity", "1_000" (underscores are Python syntax), "+5", full-width digits and numbers of any
length. A handler that fed those to `Decimal` crashed and never answered (issue 19). Every parser
of a typed amount strips what it tolerates (spaces, "₽") and then asks `plain_decimal`.
"""

from __future__ import annotations

import re
from decimal import Decimal

INT_DIGITS = 12        # a trillion roubles is already a typo, whatever the field
FRACTION_DIGITS = 6    # the finest step anyone types: an mJ rate's millionths

# ASCII digits only: `\d` would take "١٢٣" and full-width digits, which Decimal also accepts.
_PLAIN = re.compile(rf"-?[0-9]{{1,{INT_DIGITS}}}(?:[.,][0-9]{{1,{FRACTION_DIGITS}}})?", re.ASCII)


def plain_decimal(text: str | None) -> Decimal | None:
    """`text` as a Decimal if it is an optional minus, up to 12 digits, and optionally a point or
    a comma and up to 6 digits; None for anything else."""
    if text is None or _PLAIN.fullmatch(text) is None:
        return None
    return Decimal(text.replace(",", "."))
