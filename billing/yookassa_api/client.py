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
  owns one ``_ScopedApiClient``: the SDK's own ``ApiClient`` (its auth header, User-Agent, logging,
  session handling) with its settings given at construction. We send plain dicts through
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

import requests
from requests.adapters import HTTPAdapter
from urllib3 import Retry
from urllib3 import exceptions as urllib3_exceptions
from yookassa import Configuration
from yookassa.client import ApiClient
from yookassa.domain.common import HttpVerb, UserAgent

from billing.yookassa_api.values import (
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    idempotence_key,
)

DEFAULT_API_URL = "https://api.yookassa.ru/v3"

T = TypeVar("T")


# --------------------------------------------------------------------------- SDK transport


class _DeadlineSession(requests.Session):
    """A requests session that never waits forever (the SDK passes no timeout)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


class _ScopedApiClient(ApiClient):
    """The SDK's ApiClient with this gateway's settings instead of the global Configuration.

    Thread-safe to share: ``execute`` opens and closes a session per request and the client keeps
    no per-request state.
    """

    def __init__(self, *, api_url: str, shop_id: str, secret_key: str, http_timeout: float,
                 max_attempts: int = 3) -> None:
        # No super().__init__(): it reads (and requires) the process-global Configuration.
        # A bare Configuration instance keeps the class defaults for anything we do not set.
        config = Configuration.__new__(Configuration)
        config.account_id, config.secret_key, config.auth_token = shop_id, secret_key, None
        config.api_url, config.max_attempts, config.verify = api_url, max_attempts, None
        self.configuration = config
        self.endpoint = api_url.rstrip("/")
        self.shop_id = shop_id
        self.shop_password = secret_key
        self.auth_token = None
        self.timeout = config.timeout
        self.max_attempts = max_attempts
        self.user_agent = UserAgent()
        self._http_timeout = (http_timeout, http_timeout)

    def get_session(self) -> requests.Session:
        session = _DeadlineSession(self._http_timeout)
        # Keep the SDK's one retry rule (202 = "still processing, ask again"), on http too (the
        # fake), but no connect/read retries: they would run past the caller's deadline, and the
        # caller retries with the same idempotence key. read=False re-raises a read timeout, which
        # requests reports as ReadTimeout (read=0 wraps it into a plain ConnectionError); connect
        # must stay 0, as requests translates only connect errors wrapped in MaxRetryError.
        retries = Retry(total=self.max_attempts, connect=0, read=False, redirect=0, other=0,
                        status=self.max_attempts, status_forcelist=[202],
                        allowed_methods=frozenset({"GET", "POST"}), backoff_factor=0.2,
                        raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retries)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def request(self, method="", path="", query_params=None, headers=None, body=None):
        # Replaces ApiClient.request, whose `except Exception: __handle_error(e.response)` turns a
        # network error (response None) into AttributeError and a non-JSON error page into
        # JSONDecodeError. Everything else is the SDK's.
        request_headers = self.prepare_request_headers(headers)
        try:
            response = self.execute(body, method, path, query_params, request_headers)
        except requests.Timeout as exc:
            raise GatewayTimeout(f"YooKassa did not answer {method} {path} in time") from exc
        except requests.HTTPError as exc:  # the SDK's execute() calls raise_for_status()
            response = exc.response
        except requests.RequestException as exc:
            if _timed_out(exc):
                raise GatewayTimeout(f"YooKassa did not answer {method} {path} in time") from exc
            raise GatewayUnavailable(f"YooKassa unreachable on {method} {path}: {exc}") from exc
        if response is None:
            raise GatewayUnavailable(f"YooKassa gave no answer to {method} {path}")
        if response.status_code != 200:
            raise _error_from(response)
        try:
            return response.json()
        except ValueError as exc:
            raise GatewayUnavailable(f"YooKassa answered non-JSON to {method} {path}",
                                     status=response.status_code) from exc


def _timed_out(exc: BaseException) -> bool:
    """A timeout hidden inside requests' ConnectionError(MaxRetryError(ReadTimeoutError))."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        err = stack.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, urllib3_exceptions.NewConnectionError):
            return False  # refused / unreachable (urllib3 files it under ConnectTimeoutError)
        if isinstance(err, (TimeoutError, urllib3_exceptions.TimeoutError)):
            return True
        stack.extend((*err.args, getattr(err, "reason", None), err.__cause__, err.__context__))
    return False


def _error_from(response: requests.Response) -> GatewayError:
    status = response.status_code
    try:
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        body = {"description": response.text[:200]}
    description = str(body.get("description") or response.reason or "no description")
    if status == 429 or status >= 500 or status == 202:
        # 429: later; 5xx: YooKassa says the outcome is unknown; 202: still processing.
        return GatewayUnavailable(f"YooKassa {status}: {description}", status=status)
    return GatewayRejected(status, body.get("code"), description, body.get("parameter"))


# --------------------------------------------------------------------------- client


class YooKassaClient:
    """One YooKassa account's connection: its SDK client, its thread pool and its deadline."""

    def __init__(self, shop_id: str, secret_key: str, *, api_url: str | None = None,
                 timeout: float = 10.0, max_workers: int = 4) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._timeout = float(timeout)
        self._client = _ScopedApiClient(api_url=api_url or DEFAULT_API_URL, shop_id=str(shop_id),
                                        secret_key=secret_key, http_timeout=self._timeout)
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
        return await self._call(self._client.request, HttpVerb.POST, path, None,
                                {"Idempotence-Key": key}, body)

    async def _get(self, path: str) -> Any:
        return await self._call(self._client.request, HttpVerb.GET, path)

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

