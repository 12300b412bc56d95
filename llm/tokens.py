"""Counting tokens here, for the calls the API's own figures do not cover.

Two cases meter by these counts instead of going free: a compatible server that never sends a
usage chunk (some never do), and a call that failed after part of its answer was shown (the
provider bills the tokens it generated; the client saw them).

Why not tiktoken: it installs from PyPI, but its encodings are not in the package: the first
`get_encoding` downloads them from the internet, which this machine and many deployments cannot
reach (it fails with a connection error), and the endpoint's model may not be an OpenAI one anyway.
So the counts are a conservative estimate, on the side of not undercounting the platform's cost:

- `estimate_tokens`: one token per 3 ASCII characters (English runs at about 4 a token in the
  GPT tokenizers, digits at up to 3) and one per other character (Russian runs at 2 to 3
  characters a token, emoji at 1 to 3 tokens a character).
- `bound_tokens`: a true upper bound for byte-level BPE tokenizers (the GPT family and most open
  models): every token stands for at least one byte of UTF-8, so a text never has more tokens than
  bytes. Used where an estimate that is too low would cost money: the reserve a budget keeps for
  the next answer (billing.budget).

Each message of a chat adds its role and separators (4 tokens), and the answer's priming 3, as
OpenAI counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PER_MESSAGE = 4
PER_REPLY = 3


def estimate_tokens(text: str) -> int:
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return -(-ascii_chars // 3) + (len(text) - ascii_chars)


def bound_tokens(text: str) -> int:
    return len(text.encode("utf-8"))


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def prompt_tokens(messages: Iterable[Mapping[str, Any]], *, bound: bool = False) -> int:
    """The prompt's tokens: estimated, or (`bound`) at most this many."""
    count = bound_tokens if bound else estimate_tokens
    return PER_REPLY + sum(PER_MESSAGE + count(str(m.get("role", ""))) + count(_content(m)) for m in messages)
