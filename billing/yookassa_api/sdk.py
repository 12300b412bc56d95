"""The ``yookassa`` SDK's transport with this gateway's settings, deadlines and errors (see
`billing.yookassa_api.client` for why). A module of its own so that the SDK and ``requests`` load
when a gateway is first made, not at every start-up."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import Retry
from urllib3 import exceptions as urllib3_exceptions
from yookassa import Configuration
from yookassa.client import ApiClient
from yookassa.domain.common import UserAgent

from billing.yookassa_api.values import GatewayError, GatewayRejected, GatewayTimeout, GatewayUnavailable


class _DeadlineSession(requests.Session):
    """A requests session that never waits forever (the SDK passes no timeout)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


class ScopedApiClient(ApiClient):
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
