"""Money, dates and counts as people read them: the one place that decides how they look.

Every presentation for a person goes through Babel with the reader's catalog language (`lang`,
"ru" or "en"; None means the platform's default, Russian), so Russian reads "123 456,00 ₽" and
English "RUB 123,456.00". Groups are split the way the locale's typography asks (a no-break space
in Russian), which also keeps a number from breaking across lines in a Telegram bubble. Fluent's
own number formatting (a raw int handed to a message) uses the same Babel data, so a count passed
to a plural selector reads exactly like `count`.

The `report_*` functions are for terminal reports read beside other tools' numbers, and the
`csv_*` ones for files read by spreadsheets and scripts: both stay locale-free on purpose.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent

CURRENCY = "₽"
DEFAULT_LANG = "ru"

# How a date and a month read in each catalog language; English spells the month, because
# "12/04/26" means different days on either side of the Atlantic.
_DAY = {"ru": "dd.MM.y", "en": "d MMM y"}
_MONTH = "LLLL y"  # the stand-alone month: "ноябрь 2025", "November 2025"
# Babel's English currency pattern glues the code to the digits ("RUB123.00"); CLDR's currency
# spacing asks for a space there, which Babel does not apply.
_MONEY = {"en": "¤\u00a0#,##0.00"}
_PERCENT_ONE_DECIMAL = {"ru": "#,##0.0\u00a0%", "en": "#,##0.0%"}


@cache
def _locale(lang: str | None) -> Locale:
    return Locale.parse(lang if lang in ("ru", "en") else DEFAULT_LANG)


def _code(lang: str | None) -> str:
    return str(_locale(lang).language)


def _rubles(kopecks: int) -> Decimal:
    return Decimal(int(kopecks)).scaleb(-2)


def count(number: int, lang: str | None = None) -> str:
    """12345 -> "12 345" (ru, no-break space), "12,345" (en)."""
    return format_decimal(int(number), locale=_locale(lang))


def decimal(value: Decimal | int | str, lang: str | None = None) -> str:
    """A quantity people typed or set (an mJ limit, a rate): never an exponent, no trailing zeros,
    groups in the whole part: Decimal("5E+2") -> "500", Decimal("1e9") -> "1 000 000 000",
    Decimal("0.030") -> "0,03" (en "0.03"), Decimal("1500.5") -> "1 500,5"."""
    normalized = Decimal(value).normalize()
    return format_decimal(normalized, format="#,##0.###", locale=_locale(lang), decimal_quantization=False)


def fixed(value: Decimal | int | str, places: int = 2, lang: str | None = None) -> str:
    """A measured quantity to `places` decimals, half-up, grouped: Decimal("1234.5") -> "1 234,50"."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    return format_decimal(rounded, format=pattern, locale=_locale(lang))


def conversion(part: int, whole: int, lang: str | None = None) -> str:
    """A conversion: 2 of 8 -> "25 %" (en "25%"), rounded half up to a whole percent; "—" when
    there is no whole."""
    if whole <= 0:
        return "—"
    whole_percent = (200 * int(part) + int(whole)) // (2 * int(whole))
    return format_percent(Decimal(whole_percent).scaleb(-2), locale=_locale(lang))


def percent(part: int, whole: int, lang: str | None = None) -> str:
    """A share of a whole, one decimal: (3, 5) -> "60,0 %" (en "60.0%"), (0, 0) -> "0,0 %"."""
    share = (Decimal(part) / Decimal(whole)) if whole else Decimal(0)
    return format_percent(share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                          format=_PERCENT_ONE_DECIMAL[_code(lang)], locale=_locale(lang))


def price(kopecks: int, lang: str | None = None) -> str:
    """For messages whose catalog text adds the currency: 12345600 -> "123 456",
    200050 -> "2 000,50" (en "2,000.50"; kopecks only when there are any), -5 -> "-0,05"."""
    pattern = "#,##0.00" if int(kopecks) % 100 else "#,##0"
    return format_decimal(_rubles(kopecks), format=pattern, locale=_locale(lang))


def rub(kopecks: int, lang: str | None = None) -> str:
    """Money with its currency, for the cabinets and the admin: 149000 -> "1 490,00 ₽" (ru),
    "RUB 1,490.00" (en); -5 -> "-0,05 ₽"."""
    code = _code(lang)
    return format_currency(_rubles(kopecks), "RUB", format=_MONEY.get(code), locale=_locale(lang))


def report_count(number: int, lang: str | None = None) -> str:
    """For terminal reports read beside other tools' numbers: 12345 -> "12,345"."""
    return f"{int(number):,}"


def report_rub(kopecks: int, lang: str | None = None) -> str:
    """Money in those reports: 210000000 -> "2,100,000.00"."""
    # divmod of the absolute value: divmod(-5, 100) is (-1, 95), which once read as "-1.95"
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(int(kopecks)), 100)
    return f"{sign}{rubles:,}.{kop:02d}"


def csv_rub(kopecks: int) -> str:
    """Money in a CSV for spreadsheets and scripts: plain decimal roubles, a point, no groups, no
    currency, in any language: 149000 -> "1490.00", -5 -> "-0.05"."""
    return f"{_rubles(kopecks):.2f}"


def csv_day(moment: date | None, tz: str | tzinfo | None = None) -> str:
    """A date in a CSV: ISO "2026-12-04" (a datetime first put in `tz`); "" for no date."""
    return _as_date(moment, tz).isoformat() if moment is not None else ""


def _local(moment: datetime, tz: str | tzinfo | None) -> datetime:
    if tz is None:
        return moment
    return moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def _as_date(moment: date, tz: str | tzinfo | None) -> date:
    return _local(moment, tz).date() if isinstance(moment, datetime) else moment


def day(moment: date | None, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """A client's date: "04.12.2026" (ru), "4 Dec 2026" (en); "" for no date. A datetime is first
    put in `tz`."""
    if moment is None:
        return ""
    return format_date(_as_date(moment, tz), _DAY[_code(lang)], locale=_locale(lang))


def day_time(moment: datetime, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """A request's moment for the people handling it: "04.12.2026 21:05" (ru), "4 Dec 2026, 21:05"."""
    local = _local(moment, tz)
    separator = ", " if _code(lang) == "en" else " "
    return day(local, lang=lang) + separator + format_time(local, "HH:mm", locale=_locale(lang))


def sortable_time(moment: datetime, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """The admin's logs and schedules: the same moment as `day_time` (lists are already in order;
    an ISO stamp on a person's screen is what this module exists to avoid)."""
    return day_time(moment, tz, lang)


def month(moment: date | None, tz: str | tzinfo | None = None, lang: str | None = None) -> str:
    """A month as people name it: "ноябрь 2025", "November 2025"; "" for none."""
    if moment is None:
        return ""
    return format_date(_as_date(moment, tz), _MONTH, locale=_locale(lang))


def month_of(label: str, lang: str | None = None) -> str:
    """A "2025-11" month key (how the domain groups by month) as people name it."""
    year, _, number = label.partition("-")
    return month(date(int(year), int(number), 1), lang=lang)


def short_month(label: str, lang: str | None = None) -> str:
    """A "2025-11" month key short enough for a chart's axis: "нояб. 2025", "Nov 2025"."""
    year, _, number = label.partition("-")
    return format_date(date(int(year), int(number), 1), "LLL y", locale=_locale(lang))
