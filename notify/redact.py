"""Bot tokens out of every text that is logged, stored or shown.

A Bot API request URL holds the bot's token (`https://api.telegram.org/bot<id>:<secret>/getMe`),
and network errors quote their URL: aiohttp's redirect and connection-timeout errors do, and
aiogram wraps them into `TelegramNetworkError`. Whatever keeps such a text (a log line,
`outbox_events.last_error`, a payout's failure reason, an admin's screen) passes it through
`redact` first, so the secret half never leaves the process. The bot id stays: it says which bot
failed, and it is public anyway.

Here, below everything that stores error text, so each layer can use the one rule.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MASK = "***"

# `bot<id>:<secret>` as it appears in a request URL (also percent-encoded, or cut off by a
# truncated text), and a bare `<id>:<secret>` with a token's shape (BotFather's secrets are 35
# characters; 30 and more rules out clock times and ids that happen to stand next to a colon).
_IN_URL = re.compile(r"(bot\d{3,20})(:|%3[Aa])[A-Za-z0-9_-]+")
_BARE = re.compile(r"(?<![A-Za-z0-9_-])(\d{5,20}):[A-Za-z0-9_-]{30,}")


def redact(text: str) -> str:
    """`text` with every bot token's secret replaced by `***` (`bot123:***`, `123:***`)."""
    if ":" not in text and "%3" not in text:  # the common case costs one scan
        return text
    text = _IN_URL.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _BARE.sub(lambda m: f"{m.group(1)}:{MASK}", text)


def hide_password(url: str) -> str:
    """A URL fit to print (a database's, a Redis server's): its password replaced by ***."""
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL at all: nothing to find in it
        return url
    return url.replace(f":{password}@", f":{MASK}@", 1) if password else url


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """An error's class and message on one line, tokens masked, at most `limit` characters (a
    proxy's error page can be long). Masked before it is cut, so no part of a secret survives."""
    text = redact(" ".join(f"{type(exc).__name__}: {exc}".split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
