"""Money as people read it: roubles with kopecks."""

from __future__ import annotations


def rub(kopecks: int) -> str:
    """149000 -> "1 490.00 ₽", -5 -> "-0.05 ₽"."""
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(int(kopecks)), 100)
    return f"{sign}{rubles:,}".replace(",", " ") + f".{kop:02d} ₽"
