"""The guard over all e2e screens catches what it is there for, and lets formatted numbers pass."""

from dataclasses import dataclass, field

from i18n.format import count, day, month, rub
from tests.e2e.screen_shapes import unformatted


@dataclass
class _Message:
    text: str
    keyboard: list[list[str]] = field(default_factory=list)
    bot_id: int = 1
    chat_id: int = 2


def _flags(text: str, lang: str | None = "ru", buttons: list[str] | None = None) -> list[str]:
    return unformatted([(_Message(text, [buttons] if buttons else []), lang)])


def test_unformatted_numbers_are_caught():
    assert _flags("Баланс: 1 490.00 ₽")
    assert _flags("Итого 1,490.00 ₽")
    assert _flags("Лимит 5E+2 мДж")
    assert _flags("Итоги за 2025-11")
    assert _flags("Подписка до 2025-11-04")
    assert _flags("Тарифы", buttons=["Месяц — 1490.50 ₽"])
    assert _flags("Баланс: RUB 1,490.00")  # English money in a Russian chat


def test_formatted_numbers_pass_in_both_languages():
    from datetime import date

    assert not _flags(f"Баланс: {rub(149000, 'ru')}, {count(1334, 'ru')} звезды, {month(date(2025, 11, 1), lang='ru')}")
    assert not _flags(f"Balance: {rub(149000, 'en')} on {day(date(2025, 11, 4), lang='en')}", "en")
    assert not _flags("https://t.me/bot?start=ref_2025-11x and ledger-2025-11.csv")
