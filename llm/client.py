"""The LLM proxy's client: one OpenAI-compatible endpoint, streamed answers, metered usage.

Domain code: plain values in and out, nothing of aiogram. The caller (a tracker's conversation)
shows deltas to the client, records `ChatResult.usage` as the call's cost, and maps the errors:

- `LLMUnavailable`: timeout, connection error, 429 or 5xx after our retries, or a stream that broke
  after output was shown. Apologise; a broken stream's shown text is metered by the tokens
  counted here (`LLMError.partial_usage`, llm.tokens): the provider bills what it generated.
- `LLMConfigError`: invalid key, unknown model, no access, no quota. Retrying cannot help: alert
  the author and the admin once (dedupe on `kind`).

An endpoint that sends no usage (some compatible servers never do) is answered as usual and the
call is metered by the tokens counted here (`Usage.estimated`).
- `LLMRequestError`: the API rejected this request (e.g. 400 context too long). Charge nothing.

The SDK's own retries are off (`max_retries=0`): it would retry a stream whose first chunks we had
already shown, and it knows nothing of our deadline.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from llm.tokens import estimate_tokens, prompt_tokens

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam


def _openai() -> Any:
    """The SDK, imported on first use: it takes longer to import than aiogram's first answer needs
    (about 0.7 s of a start here), and a process that only greets never calls it."""
    import openai

    return openai

log = logging.getLogger(__name__)

Message = dict[str, Any]  # {"role": "system" | "user" | "assistant", "content": str}


def _params(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    # Our messages are the plain dicts the API takes; the SDK types them as TypedDicts.
    return cast("list[ChatCompletionMessageParam]", list(messages))
OnDelta = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens as the API reported them, or (`estimated`) as counted here when it did not."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    usage: Usage
    model: str  # as the API named it in its answer
    finish_reason: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # calls in all, the first included
    base_delay: float = 0.5  # backoff: base * 2**n, half of it random (jitter), capped
    max_delay: float = 8.0
    deadline: float = 90.0  # seconds from the call to the first output, all attempts and waits included
    max_retry_after: float = 20.0  # a longer Retry-After gives up at once rather than keep the client waiting


class LLMError(Exception):
    """Base of the proxy's errors; `__cause__` keeps the SDK's exception."""

    kind: str = "error"

    def __init__(self, message: str, *, kind: str | None = None, attempts: int = 1, partial_text: str = "") -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.attempts = attempts
        self.partial_text = partial_text  # what on_delta had already shown when it broke
        self.partial_usage: Usage | None = None  # the shown text's tokens, counted here (llm.tokens)


class LLMUnavailable(LLMError):
    kind = "unavailable"


class LLMConfigError(LLMError):
    kind = "config"


class LLMRequestError(LLMError):
    kind = "bad_request"


class _Retryable(Exception):
    """Internal: a transient failure before any output; `retry_after` from the server if any."""

    def __init__(self, kind: str, retry_after: float | None = None) -> None:
        super().__init__(kind)
        self.kind, self.retry_after = kind, retry_after


# Told of every chat call's end: its usage, or the error kind. The composition root counts them
# (bot.metrics); the domain knows nothing of how.
CallObserver = Callable[[Usage | None, str | None], None]


class LLMClient:
    observer: CallObserver | None = None

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,  # per network operation: connect, each read (so also between chunks)
        retry: RetryPolicy = RetryPolicy(),
        sdk: openai.AsyncOpenAI | None = None,  # to share or customise the SDK client
    ) -> None:
        self.retry = retry
        self._client = sdk
        self._options: dict[str, Any] = {"base_url": base_url, "api_key": api_key, "timeout": timeout}

    @property
    def _sdk(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = _openai().AsyncOpenAI(**self._options, max_retries=0)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def stream_chat(
        self, model: str, messages: Sequence[Message], *, on_delta: OnDelta | None = None, **params: Any
    ) -> ChatResult:
        """Stream an answer; await `on_delta(text_so_far)` after each chunk that adds text.

        `on_delta` runs inline with the stream: keep it quick (store the text, let a throttled
        editor send it). Its own exceptions propagate unchanged. `params` go to the API as is
        (`max_tokens`, `temperature`, ...).
        """

        async def attempt(shown: list[str], deadline: asyncio.Timeout) -> ChatResult:
            stream = await self._sdk.chat.completions.create(
                model=model,
                messages=_params(messages),
                stream=True,
                stream_options={"include_usage": True},
                **params,
            )
            text, usage, finish_reason, answered_by = "", None, None, model
            async with stream:
                async for chunk in stream:
                    answered_by = chunk.model or answered_by
                    if chunk.usage is not None:  # the last chunk, with no choices
                        usage = chunk.usage
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish_reason = choice.finish_reason or finish_reason
                    if piece := choice.delta.content:
                        if not text:
                            # Output is on its way: from now on the socket's read timeout bounds
                            # stalls, and a failure can no longer be retried (it would repeat it).
                            deadline.reschedule(None)
                        text += piece
                        shown[0] = text
                        if on_delta is not None:
                            await on_delta(text)
            return _result(text, usage, answered_by, finish_reason, messages)

        try:
            return cast(ChatResult, await self._with_retries(attempt))
        except LLMError as exc:
            if exc.partial_text:
                exc.partial_usage = _counted(messages, exc.partial_text)
            raise

    async def complete(self, model: str, messages: Sequence[Message], **params: Any) -> ChatResult:
        """One answer without streaming (scenario openers, summaries); retried like `stream_chat`."""

        async def attempt(shown: list[str], deadline: asyncio.Timeout) -> ChatResult:
            resp = await self._sdk.chat.completions.create(model=model, messages=_params(messages), **params)
            choice = resp.choices[0] if resp.choices else None
            text = (choice.message.content or "") if choice else ""
            return _result(text, resp.usage, resp.model or model, choice.finish_reason if choice else None, messages)

        return await self._with_retries(attempt)

    async def list_models(self) -> list[str]:
        """The endpoint's model ids (for the admin's price table); errors classified as above."""

        async def attempt(shown: list[str], deadline: asyncio.Timeout) -> list[str]:
            return [m.id async for m in self._sdk.models.list()]

        return await self._with_retries(attempt)

    async def _with_retries(self, attempt: Callable[[list[str], asyncio.Timeout], Awaitable[Any]]) -> Any:
        policy = self.retry
        deadline_at = asyncio.get_running_loop().time() + policy.deadline
        for n in range(1, policy.attempts + 1):
            shown = [""]  # the text on_delta has seen in this attempt
            scope = asyncio.timeout_at(deadline_at)
            try:
                async with scope:
                    try:
                        result = await attempt(shown, scope)
                    except _openai().APIError as exc:
                        _raise_classified(exc, shown[0])
                if isinstance(result, ChatResult):
                    self._observe(result.usage, None)
                    return _with_attempts(result, n)
                return result
            except LLMError as exc:
                exc.attempts = n
                self._observe(None, exc.kind)
                raise
            except TimeoutError as exc:
                if not scope.expired():
                    raise  # not our deadline: it came from on_delta, let the caller have it
                self._observe(None, "timeout")
                raise LLMUnavailable(
                    f"no answer within the {policy.deadline:g}s deadline", kind="timeout", attempts=n
                ) from exc
            except _Retryable as exc:
                cause = exc.__cause__
                delay = self._delay(n, exc.retry_after)
                remaining = deadline_at - asyncio.get_running_loop().time()
                if n == policy.attempts or delay is None or delay >= remaining:
                    self._observe(None, exc.kind)
                    raise LLMUnavailable(
                        f"LLM unavailable after {n} attempt(s): {exc.kind}", kind=exc.kind, attempts=n
                    ) from cause
                log.warning("LLM call failed (%s), retry %d in %.2fs", exc.kind, n, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _observe(self, usage: Usage | None, error: str | None) -> None:
        if self.observer is not None:
            try:
                self.observer(usage, error)
            except Exception:  # noqa: BLE001 - counting must never break a call
                log.debug("LLM call observer failed", exc_info=True)

    def _delay(self, n: int, retry_after: float | None) -> float | None:
        """Seconds before attempt n+1; None gives up (the server asked for too long a pause)."""
        policy = self.retry
        if retry_after is not None:
            return retry_after if retry_after <= policy.max_retry_after else None
        backoff = min(policy.max_delay, policy.base_delay * 2 ** (n - 1))
        return backoff / 2 + random.uniform(0, backoff / 2)  # jitter: concurrent clients don't retry in step


def _raise_classified(exc: openai.APIError, shown: str) -> None:
    """Turn an SDK error into ours. Transient ones become `_Retryable` only if nothing was shown."""
    openai = _openai()
    status = getattr(exc, "status_code", None)
    code = exc.code
    if status in (401, 403, 404) or (status == 429 and code == "insufficient_quota"):
        kind = code or {401: "invalid_api_key", 403: "permission_denied", 404: "not_found"}.get(status, "config")
        raise LLMConfigError(f"LLM endpoint refused ({status} {kind}): {exc.message}", kind=kind) from exc
    if isinstance(exc, openai.APITimeoutError):
        kind = "timeout"
    elif isinstance(exc, openai.APIConnectionError):
        kind = "connection"
    elif status is None:
        kind = "stream_error"  # an error event inside the stream
    elif status in (408, 409, 429) or status >= 500:
        kind = "rate_limited" if status == 429 else f"http_{status}"
    else:
        kind = code or f"http_{status}"
        raise LLMRequestError(f"LLM request rejected ({status}): {exc.message}", kind=kind) from exc
    if shown:
        raise LLMUnavailable(f"LLM stream broke after output was shown: {kind}", kind=kind, partial_text=shown) from exc
    response = getattr(exc, "response", None)
    raise _Retryable(kind, _retry_after(response.headers) if response is not None else None) from exc


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds: OpenAI's `retry-after-ms`, or `Retry-After` as seconds or a date."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


def _counted(messages: Sequence[Message], text: str) -> Usage:
    return Usage(prompt_tokens(messages), estimate_tokens(text), estimated=True)


def _result(text: str, usage: Any, model: str, finish_reason: str | None, messages: Sequence[Message]) -> ChatResult:
    if usage is None:
        # Some compatible servers never report usage: metered by our own count, never free.
        log.warning("the LLM endpoint reported no token usage for %s: metered by a local count", model)
        return ChatResult(text, _counted(messages, text), model, finish_reason, attempts=1)
    return ChatResult(text, Usage(usage.prompt_tokens, usage.completion_tokens), model, finish_reason, attempts=1)


def _with_attempts(result: ChatResult, attempts: int) -> ChatResult:
    if result.attempts == attempts:
        return result
    return ChatResult(result.text, result.usage, result.model, result.finish_reason, attempts)
