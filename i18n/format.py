"""Money, dates and counts as people read them: the one place that decides how they look.

One grouping core (`_grouped`) and a few named presentations, each for a kind of reader. Every
function takes an optional `lang` (a catalog language, "ru" or "en") that today changes nothing:
a locale-aware implementation (Babel's `format_decimal`, `format_currency`, `format_datetime`)
replaces the bodies here, and the call sites, which already pass what they know, stay as they are.

Groups are split by a plain space, not the narrow no-break space typography asks for: it would
confuse tests, copy-paste and people alike.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

CURRENCY = "₽"


def _grouped(number: int, separator: str = " ") -> str:
    return f"{number:,}".replace(",", separator)


def _kopecks(kopecks: int, *, separator: str, always_kopecks: bool) -> str:
    # divmod of the absolute value: divmod(-5, 100) is (-1, 95), which once read as "-1.95"
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(int(kopecks)), 100)
    text = sign + _grouped(rubles, separator)
    return text + f".{kop:02d}" if always_kopecks or kop else text


def count(number: int, lang: str | None = None) -> str:
    """12345 -> "12 345"."""
    return _grouped(int(number))


def decimal(value: Decimal | int | str, lang: str | None = None) -> str:
    """A quantity people typed or set (an mJ limit, a rate): never an exponent, no trailing zeros,
    groups in the whole part: Decimal("5E+2") -> "500", Decimal("1e9") -> "1 000 000 000",
    Decimal("0.030") -> "0.03", Decimal("1500.5") -> "1 500.5"."""
    text = f"{Decimal(value).normalize():f}"
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return sign + _grouped(int(whole)) + (f".{fraction}" if fraction else "")


def fixed(value: Decimal | int | str, places: int = 2, lang: str | None = None) -> str:
    """A measured quantity to `places` decimals, half-up, grouped: Decimal("1234.5") -> "1 234.50"."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    return sign + _grouped(int(whole)) + (f".{fraction}" if fraction else "")


def conversion(part: int, whole: int, lang: str | None = None) -> str:
    """A conversion: 2 of 8 -> "25%", rounded half up to a whole percent; "—" when there is no whole."""
    if whole <= 0:
        return "—"
    return f"{(200 * int(part) + int(whole)) // (2 * int(whole))}%"


def price(kopecks: int, lang: str | None = None) -> str:
    """For messages whose catalog text adds the currency: 12345600 -> "123 456",
    200050 -> "2 000.50" (kopecks only when there are any), -5 -> "-0.05"."""
    return _kopecks(kopecks, separator=" ", always_kopecks=False)


def rub(kopecks: int, lang: str | None = None) -> str:
    """Money with its sign, for the cabinets and the admin: 149000 -> "1 490.00 ₽", -5 -> "-0.05 ₽"."""
    return _kopecks(kopecks, separator=" ", always_kopecks=True) + f" {CURRENCY}"


def report_count(number: int, lang: str | None = None) -> str:
    """For terminal reports read beside other tools' numbers: 12345 -> "12,345"."""
    return _grouped(int(number), ",")


def report_rub(kopecks: int, lang: str | None = None) -> str:
    """Money in those reports: 210000000 -> "2,100,000.00"."""
    return _kopecks(kopecks, separator=",", always_kopecks=True)


def _local(moment: datetime, tz: str | tzinfo | None) -> datetime:
    if tz is None:
        return moment
    return moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def day(moment: date | None, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """A client's date: "04.12.2026"; "" for no date. A datetime is first put in `tz`."""
    if moment is None:
        return ""
    return (_local(moment, tz) if isinstance(moment, datetime) else moment).strftime("%d.%m.%Y")


def day_time(moment: datetime, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """A request's moment for the people handling it: "04.12.2026 21:05"."""
    return _local(moment, tz).strftime("%d.%m.%Y %H:%M")


def sortable_time(moment: datetime, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """The admin's logs and schedules, which read best in order: "2026-12-04 21:05"."""
    return _local(moment, tz).strftime("%Y-%m-%d %H:%M")


def percent(part: int, whole: int, lang: str | None = None) -> str:
    """A share of a whole, one decimal: (3, 5) -> "60.0 %", (0, 0) -> "0.0 %" (nothing of nothing)."""
    return f"{(100 * part / whole) if whole else 0:.1f} %"


def month(year_month: str, lang: str | None = None) -> str:
    """A calendar month as "YYYY-MM" (how the cabinet's figures are cut) in the reader's language:
    "2025-11" -> "нояб. 2025" in ru, "Nov 2025" in en (Babel's stand-alone abbreviated month)."""
    from babel.dates import format_date  # Babel comes with fluent.runtime

    year, number = (int(part) for part in year_month.split("-"))
    return format_date(date(year, number, 1), "LLL y", locale="en" if lang == "en" else "ru")
