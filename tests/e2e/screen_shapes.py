"""Shapes a number takes on a person's screen only when it bypassed i18n.format."""

from __future__ import annotations

import re
from typing import Any

# (what went wrong, the pattern, whether it only matters in a Russian-language chat)
SHAPES: list[tuple[str, re.Pattern[str], bool]] = [
    ("an exponent", re.compile(r"(?<![\w/=-])\d+(?:[.,]\d+)?[eE][+-]?\d+\b"), False),
    ("an ISO date or month", re.compile(r"(?<![\w/.:-])(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-\d\d)?(?![\w-])"), False),
    ("a decimal point in a rouble amount", re.compile(r"\d\.\d{2}[\s\u00a0\u202f]*₽"), False),
    ("a comma as the group separator of a rouble amount", re.compile(r"\d,\d{3}(?:[.,]\d{2})?[\s\u00a0\u202f]*₽"),
     True),
    ("English currency for a Russian reader", re.compile(r"\bRUB[\s\u00a0]?\d"), True),
]


def _texts(message: Any) -> list[str]:
    labels = [label for row in message.keyboard for label in row]
    return [message.text, *labels]


def unformatted(sent: list[tuple[Any, str | None]]) -> list[str]:
    """One line per offending message: what, where, and the text."""
    found = []
    for message, language in sent:
        russian = (language or "ru").split("-")[0].lower() != "en"
        for text in _texts(message):
            for what, pattern, ru_only in SHAPES:
                match = pattern.search(text)
                if match and (russian or not ru_only):
                    where = f"bot {message.bot_id}, chat {message.chat_id}"
                    found.append(f"{what} ({match.group(0)!r}) in {where}: {text!r}")
    return found
