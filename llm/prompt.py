"""The messages sent to the model: the author's system prompt, the scenario's prompt and the recent
history trimmed to a token budget. Pure: plain values in, a list of messages out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llm.client import Message

DEFAULT_SYSTEM_PROMPT = "You are a supportive personal tracker. Answer briefly and kindly."
HISTORY_TOKENS = 3000  # the recent history kept in a prompt, in tokens
OPENING_CUE = "(The meeting starts now. Write your opening message to the client.)"


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "user" | "assistant"
    text: str
    tokens: int = 0  # known (the API's count for an answer) or 0: estimated


def estimate_tokens(text: str) -> int:
    """A cheap upper-ish estimate (about 4 characters a token), only for trimming the history."""
    return len(text) // 4 + 1


def trim_history(turns: Sequence[Turn], budget: int = HISTORY_TOKENS) -> list[Turn]:
    """The newest turns whose tokens fit `budget` (oldest first); the newest one always stays."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        cost = turn.tokens or estimate_tokens(turn.text)
        if kept and used + cost > budget:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    while kept and kept[0].role != "user" and len(kept) > 1:  # start on the client's turn
        kept.pop(0)
    return kept


def build_messages(
    system_prompt: str,
    scenario_prompt: str = "",
    end_marker: str = "",
    history: Sequence[Turn] = (),
    *,
    history_tokens: int = HISTORY_TOKENS,
    opening: bool = False,
) -> list[Message]:
    system = (system_prompt or DEFAULT_SYSTEM_PROMPT).strip()
    if scenario_prompt.strip():
        system += "\n\n" + scenario_prompt.strip()
    if end_marker:
        system += f"\n\nWhen the meeting has reached its goal, end your last message with {end_marker}."
    messages: list[Message] = [{"role": "system", "content": system}]
    messages += [{"role": t.role, "content": t.text} for t in trim_history(history, history_tokens)]
    if opening:
        messages.append({"role": "user", "content": OPENING_CUE})
    return messages
