"""The LLM proxy: streamed chat completions from any OpenAI-compatible endpoint, metered by the API's usage."""

from llm.client import (
    ChatResult,
    LLMClient,
    LLMConfigError,
    LLMError,
    LLMRequestError,
    LLMUnavailable,
    Message,
    OnDelta,
    RetryPolicy,
    Usage,
)

__all__ = [
    "ChatResult",
    "LLMClient",
    "LLMConfigError",
    "LLMError",
    "LLMRequestError",
    "LLMUnavailable",
    "Message",
    "OnDelta",
    "RetryPolicy",
    "Usage",
]
