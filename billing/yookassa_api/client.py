"""The HTTP side of YooKassa API v3: the official (synchronous) ``yookassa`` SDK, made safe for
asyncio. The calls themselves are in `payments` and `payouts`; `billing.yookassa_gateway` puts
them together.

Domain code: no aiogram here. Money in and out is integer kopecks; the API's ``"1234.56"`` strings
are converted exactly with ``Decimal`` (never ``float``).

Why it looks the way it does (read against yookassa 3.13):

* **Configuration is per gateway, not global.** ``Configuration.configure`` writes class attributes,
  and ``Payment.create`` & co. are classmethods that build ``ApiClient()`` from those globals on
  every call. Two gateways (the shop and the payouts account, or two test servers) would race, and
  a lock around "configure + call" would serialise every call behind a hung one. So each gateway
  owns one ``ScopedApiClient``: the SDK's own ``ApiClient`` (its auth header, User-Agent, logging,
  session handling) with its settings given at construction. It lives in ``sdk``, imported when a
  gateway is made: the SDK and ``requests`` are no part of a start-up. We send plain dicts through
  ``ApiClient.request`` rather than the SDK's request/response models because its ``Amount`` goes
  through ``float`` (``Decimal(str(float(value)))``) both ways.
* **Timeouts.** The SDK passes no ``timeout`` to ``requests`` (its ``Configuration.timeout`` is a
  retry back-off, not an HTTP timeout), so a silent server would hold a thread forever. Each call
  therefore has two limits: ``requests`` gets ``timeout=(timeout, timeout)`` so the worker thread
  ends by itself, and the coroutine waits under ``asyncio.wait_for(timeout)`` so the caller is free
  at the deadline even if the thread is not (a thread cannot be killed, and ``requests``' read
  timeout is per socket read, so a server trickling bytes can keep one busy longer).
* **A pool of its own.** Calls run in this gateway's ``ThreadPoolExecutor`` (what
  ``asyncio.to_thread`` does, context copied the same way) instead of the loop's default executor:
  hung YooKassa requests then cannot starve the default pool, which aiohttp uses for DNS lookups of
  every Telegram request. A call still queued when its deadline passes is cancelled, never sent.
* **After a timeout the outcome is unknown**: the request may have been processed. Retry with the
  *same* idempotence key (YooKassa then answers with the same object) or re-fetch by id.
* Notifications carry no signature: :func:`parse_notification` returns only the event and the
  object id, and the caller trusts the object re-fetched with :meth:`YooKassaGateway.get_payment`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self, TypeVar

from billing.yookassa_api.values import GatewayTimeout, idempotence_key

DEFAULT_API_URL = "https://api.yookassa.ru/v3"

T = TypeVar("T")


# --------------------------------------------------------------------------- client


class YooKassaClient:
    """One YooKassa account's connection: its SDK client, its thread pool and its deadline."""

    def __init__(self, shop_id: str, secret_key: str, *, api_url: str | None = None,
                 timeout: float = 10.0, max_workers: int = 4) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._timeout = float(timeout)
        self._settings: dict[str, Any] = {"api_url": api_url or DEFAULT_API_URL, "shop_id": str(shop_id),
                          "secret_key": secret_key, "http_timeout": self._timeout}
        self._sdk: Any = None  # made at the first call (`_request`)
        self._executor = ThreadPoolExecutor(max_workers=max_workers,
                                            thread_name_prefix="yookassa")
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def in_flight(self) -> int:
        """SDK calls still running in threads (including ones whose caller already timed out)."""
        with self._lock:
            return self._in_flight

    def close(self) -> None:
        """Stop the worker pool; running requests end by their HTTP timeout, queued ones drop."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


    async def _post(self, path: str, body: dict[str, Any], key_text: str) -> Any:
        key = idempotence_key(key_text)
        return await self._call(self._request(), "post", path, None, {"Idempotence-Key": key}, body)

    async def _get(self, path: str) -> Any:
        return await self._call(self._request(), "get", path)

    def _request(self) -> Callable[..., Any]:
        """The SDK client's `request`; the SDK is imported and the client made on the first call."""
        if self._sdk is None:
            from billing.yookassa_api.sdk import ScopedApiClient

            self._sdk = ScopedApiClient(**self._settings)
        return self._sdk.request

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # as asyncio.to_thread does
        future = loop.run_in_executor(
            self._executor, functools.partial(context.run, self._counted, fn, *args))
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError as exc:
            # The thread may still be waiting on the socket; it ends by its HTTP timeout.
            raise GatewayTimeout(f"YooKassa did not answer within {self._timeout:g}s") from exc

    def _counted(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._in_flight += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._in_flight -= 1

