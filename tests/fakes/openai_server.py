"""A fake OpenAI-compatible server for tests: real HTTP on 127.0.0.1, scripted per test.

openai 3.x talks through ``httpx2``, which respx cannot intercept, so tests run the real SDK against
this aiohttp server instead::

    async with FakeOpenAIServer(reply="Hi there", chunks=4) as fake:
        fake.fail(Failure.rate_limit(retry_after=0.1), Failure.server_error(502))
        client = AsyncOpenAI(base_url=fake.base_url, api_key=fake.api_key)
        ...
        assert fake.requests[-1].usage == {"prompt_tokens": ..., ...}

Order of checks for ``POST /v1/chat/completions``: the ``Authorization: Bearer`` key (401), then the
queue of scripted failures (one popped per request), then the model (404 ``model_not_found`` when
``models`` is set and does not list it), then the answer.

Token counting is deterministic, not a tokenizer: prompt tokens = words in all messages + 3 per
message; completion tokens = words in the reply. Only the fact that usage is reported matters.

Run as a separate process (benchmarks): ``python -m tests.fakes.openai_server --chunks 20``; it
prints its base URL on the first line of stdout and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Reply = str | Callable[[list[dict[str, Any]]], str]


@dataclass(frozen=True)
class Failure:
    """One scripted failure, consumed by one request. Build it with the class methods."""

    status: int = 0  # HTTP status to answer with; 0 means "answer 200 and misbehave" (see below)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (after `after_chunks` chunks when streaming)
    cut: bool = False  # drop the connection after `after_chunks` chunks
    stream_error: bool = False  # send an SSE error event after `after_chunks` chunks
    after_chunks: int = 0

    @classmethod
    def rate_limit(cls, retry_after: float | None = 0, *, code: str = "rate_limit_exceeded") -> Failure:
        headers = {}
        if retry_after is not None:
            # Like OpenAI: whole seconds in Retry-After, the precise figure in retry-after-ms.
            headers = {"Retry-After": str(math.ceil(retry_after)), "retry-after-ms": str(int(retry_after * 1000))}
        return cls(429, _error("Rate limit reached for requests", "requests", code), headers)

    @classmethod
    def insufficient_quota(cls) -> Failure:
        return cls(429, _error("You exceeded your current quota", "insufficient_quota", "insufficient_quota"))

    @classmethod
    def server_error(cls, status: int = 500) -> Failure:
        return cls(status, _error("The server had an error while processing your request.", "server_error", None))

    @classmethod
    def invalid_key(cls) -> Failure:
        return cls(401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))

    @classmethod
    def model_not_found(cls, model: str = "unknown") -> Failure:
        return cls(404, _model_not_found_body(model))

    @classmethod
    def hang_forever(cls, *, after_chunks: int = 0) -> Failure:
        """Accept the request and never answer (0 chunks: not even the headers)."""
        return cls(hang=True, after_chunks=after_chunks)

    @classmethod
    def cut_stream(cls, *, after_chunks: int = 1) -> Failure:
        """Stream `after_chunks` content chunks, then drop the TCP connection."""
        return cls(cut=True, after_chunks=after_chunks)

    @classmethod
    def error_event(cls, *, after_chunks: int = 1) -> Failure:
        """Stream `after_chunks` content chunks, then an SSE `{"error": ...}` event, then stop."""
        return cls(stream_error=True, after_chunks=after_chunks)


@dataclass
class RecordedRequest:
    """What the fake saw and what it answered, for exact comparisons in tests."""

    path: str
    api_key: str | None
    model: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    body: dict[str, Any] = field(default_factory=dict)
    status: int = 200  # the status sent (200 also for streams that later failed)
    outcome: str = "pending"  # "ok", "error", "hang", "cut", "stream_error", "disconnected"
    reply: str | None = None  # the full reply it meant to send
    usage: dict[str, int] | None = None  # the usage it reported (None when none was sent)


class FakeOpenAIServer:
    def __init__(
        self,
        *,
        reply: Reply = "Hello! I am your tracker. How did your week go?",
        chunks: int = 5,
        first_chunk_delay: float = 0.0,
        chunk_delay: float = 0.0,
        api_key: str | None = "sk-test",
        models: tuple[str, ...] | None = ("gpt-4o-mini", "gpt-4o"),
        report_usage: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.reply = reply
        self.chunks = chunks
        self.first_chunk_delay = first_chunk_delay
        self.chunk_delay = chunk_delay
        self.api_key = api_key  # None: accept any key
        self.models = models  # None: accept any model
        self.report_usage = report_usage  # False: act like an endpoint that never reports usage
        self.requests: list[RecordedRequest] = []
        # Chat requests being answered now, and the most at once (concurrency limits are
        # checked against these); `hold`: when set to an unset Event, answers wait until it is set.
        self.in_flight = 0
        self.peak_in_flight = 0
        self.hold: asyncio.Event | None = None
        self.failures: deque[Failure] = deque()
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._ids = itertools.count(1)

    # --- scripting ---------------------------------------------------------------------------

    def fail(self, *failures: Failure) -> None:
        """Queue failures; each following chat request consumes one, in order."""
        self.failures.extend(failures)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def usages(self) -> list[dict[str, int]]:
        """The usage of every answer that reported one, in order."""
        return [r.usage for r in self.requests if r.usage is not None]

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake OpenAI server is not started")
        return f"http://{self._host}:{self._port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        # handler_cancellation: a client that hangs up cancels its handler (a hang ends with it).
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping.set()  # release hanging handlers
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeOpenAIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- handlers ------------------------------------------------------------------------------

    def _auth_error(self, request: web.Request, record: RecordedRequest) -> web.Response | None:
        if self.api_key is None or record.api_key == self.api_key:
            return None
        record.status, record.outcome = 401, "error"
        return web.json_response(Failure.invalid_key().body, status=401)

    async def _models(self, request: web.Request) -> web.Response:
        record = RecordedRequest(path=request.path, api_key=_bearer(request))
        self.requests.append(record)
        if (denied := self._auth_error(request, record)) is not None:
            return denied
        record.outcome = "ok"
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models or ()]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                await self.hold.wait()
            return await self._answer_chat(request)
        finally:
            self.in_flight -= 1

    async def _answer_chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        record = RecordedRequest(
            path=request.path,
            api_key=_bearer(request),
            model=body.get("model"),
            messages=body.get("messages", []),
            stream=bool(body.get("stream")),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
            body=body,
        )
        self.requests.append(record)
        if (denied := self._auth_error(request, record)) is not None:
            return denied
        max_tokens = body.get("max_tokens")
        bad_max_tokens = isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
        if max_tokens is not None and bad_max_tokens:
            record.status, record.outcome = 400, "error"  # as the real API refuses it
            msg = f"Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, got {max_tokens}."
            return web.json_response(_error(msg, "invalid_request_error", "integer_below_min_value"), status=400)
        failure = self.failures.popleft() if self.failures else None
        if failure is not None and failure.status:
            record.status, record.outcome = failure.status, "error"
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if self.models is not None and record.model not in self.models:
            record.status, record.outcome = 404, "error"
            return web.json_response(_model_not_found_body(str(record.model)), status=404)
        if failure is not None and (failure.hang or failure.cut) and (not record.stream or failure.after_chunks == 0):
            if failure.cut:
                record.outcome = "cut"
                request.transport.abort()  # type: ignore[union-attr]
                return web.Response(status=502)  # never reaches the client
            await self._hang(record)
            return web.Response(status=503)  # only once the fake stops

        reply = self.reply(record.messages) if callable(self.reply) else self.reply
        record.reply = reply
        usage = _usage(record.messages, reply)
        meta = {"id": f"chatcmpl-fake{next(self._ids)}", "created": int(time.time()), "model": record.model}
        if self.first_chunk_delay:
            await asyncio.sleep(self.first_chunk_delay)
        if not record.stream:
            record.outcome, record.usage = "ok", usage if self.report_usage else None
            message = {"role": "assistant", "content": reply, "refusal": None}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            answer = {**meta, "object": "chat.completion", "choices": [choice], "usage": record.usage}
            return web.json_response(answer)
        return await self._stream(request, record, reply, usage, meta, failure)

    async def _stream(
        self,
        request: web.Request,
        record: RecordedRequest,
        reply: str,
        usage: dict[str, int],
        meta: dict[str, Any],
        failure: Failure | None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        meta = {**meta, "object": "chat.completion.chunk"}
        with_usage = record.include_usage and self.report_usage
        extra = {"usage": None} if with_usage else {}

        async def send(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
            await response.write(f"data: {data}\n\n".encode())

        try:
            for i, piece in enumerate(_split(reply, self.chunks)):
                if failure is not None and i == failure.after_chunks:
                    return await self._misbehave(request, response, record, failure, send)
                if i and self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
                delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                choice = {"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}
                await send({**meta, "choices": [choice], **extra})
            if failure is not None:  # after_chunks >= chunks: misbehave where [DONE] would be
                return await self._misbehave(request, response, record, failure, send)
            await send({**meta, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], **extra})
            if with_usage:
                await send({**meta, "choices": [], "usage": usage})
                record.usage = usage
            await send("[DONE]")
            await response.write_eof()
            record.outcome = "ok"
        except (ConnectionResetError, asyncio.CancelledError):
            if record.outcome == "pending":
                record.outcome = "disconnected"  # the client went away mid-stream
            raise
        return response

    async def _misbehave(self, request, response, record, failure, send) -> web.StreamResponse:
        if failure.hang:
            await self._hang(record)
            return response
        if failure.stream_error:
            record.outcome = "stream_error"
            await send({"error": {"message": "The server had an error while streaming.", "type": "server_error"}})
            await response.write_eof()
            return response
        record.outcome = "cut"
        request.transport.abort()  # type: ignore[union-attr]  # no [DONE], no chunked terminator
        return response

    async def _hang(self, record: RecordedRequest) -> None:
        record.outcome = "hang"
        await self._stopping.wait()  # or until the client hangs up (handler cancellation)


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


def _error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _model_not_found_body(model: str) -> dict[str, Any]:
    msg = f"The model `{model}` does not exist or you do not have access to it."
    return _error(msg, "invalid_request_error", "model_not_found")


def _words(content: Any) -> int:
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return sum(_words(part.get("text", "")) for part in content if isinstance(part, dict))
    return 0


def count_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(_words(m.get("content")) + 3 for m in messages)


def _usage(messages: list[dict[str, Any]], reply: str) -> dict[str, int]:
    prompt, completion = count_prompt_tokens(messages), len(reply.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _split(text: str, parts: int) -> list[str]:
    """`parts` pieces (at least one) whose concatenation is exactly `text`."""
    parts = max(1, parts)
    n = len(text)
    return [text[i * n // parts : (i + 1) * n // parts] for i in range(parts)]


async def _serve_forever(args: argparse.Namespace) -> None:
    fake = FakeOpenAIServer(
        reply=args.reply,
        chunks=args.chunks,
        first_chunk_delay=args.first_chunk_delay,
        chunk_delay=args.chunk_delay,
        api_key=args.api_key,
        port=args.port,
    )
    async with fake:
        print(fake.base_url, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake OpenAI API on 127.0.0.1.")
    parser.add_argument("--reply", default=" ".join(f"word{i}" for i in range(60)))
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--first-chunk-delay", type=float, default=0.0)
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    parser.add_argument("--api-key", default="sk-test")
    parser.add_argument("--port", type=int, default=0)
    try:
        asyncio.run(_serve_forever(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
