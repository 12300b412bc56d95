"""What goes over the wire to YooKassa and what comes back wrong: the errors a call raises,
amounts as the API's exact decimal strings (never floats), and the checks on the values we put
in a request (idempotence keys, object ids, descriptions, metadata)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

CURRENCY = "RUB"

_DESCRIPTION_MAX = 128  # payment description and receipt item description (API limits)
_IDEMPOTENCE_KEY_MAX = 64
_METADATA_MAX_KEYS, _METADATA_KEY_MAX, _METADATA_VALUE_MAX = 16, 32, 512
# Object ids come from notifications, i.e. from anyone: they go into URL paths, so keep them tame.
OBJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

T = TypeVar("T")


# --------------------------------------------------------------------------- errors


class GatewayError(Exception):
    """Base of every error this gateway raises for a failed API call."""


class GatewayUnavailable(GatewayError):
    """5xx, 429, a network error or a malformed answer: transient; the outcome may be unknown."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GatewayTimeout(GatewayUnavailable):
    """No answer within the gateway's timeout. The request may still have been processed:
    retry with the same idempotence key, or re-fetch."""


class GatewayRejected(GatewayError):
    """4xx: the API refused the request; retrying the same request will not help."""

    def __init__(self, status: int, code: str | None, description: str,
                 parameter: str | None = None) -> None:
        super().__init__(f"YooKassa rejected the request ({status} {code}): {description}"
                         + (f" [parameter: {parameter}]" if parameter else ""))
        self.status = status
        self.code = code
        self.description = description
        self.parameter = parameter


class InvalidNotification(ValueError):
    """A webhook body that is not a YooKassa notification we understand."""


# --------------------------------------------------------------------------- money


def kopecks_to_value(kopecks: int) -> str:
    """12345 -> "123.45": the API's amount string, exact."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError(f"kopecks must be int, not {type(kopecks).__name__}")
    if kopecks < 0:
        raise ValueError(f"negative amount: {kopecks}")
    rubles, rest = divmod(kopecks, 100)
    return f"{rubles}.{rest:02d}"


def value_to_kopecks(value: str | Decimal) -> int:
    """ "123.45" -> 12345, exact; a float, a fraction of a kopeck or a negative is an error."""
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    if not isinstance(value, (str, Decimal)):
        raise TypeError(f"amount must be str or Decimal, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not an amount: {value!r}")
    kopecks = amount.scaleb(2)
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"fraction of a kopeck: {value!r}")
    return int(kopecks)


def amount(kopecks: int) -> dict[str, str]:
    value = kopecks_to_value(kopecks)  # checks int and >= 0
    if kopecks == 0:
        raise ValueError("amount must be positive")
    return {"value": value, "currency": CURRENCY}



def parse(kind: str, build: Callable[[Mapping[str, Any]], T], data: Any) -> T:
    # A 200 with an unexpected shape is the API's fault, not the caller's: treat as transient.
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GatewayUnavailable(f"malformed {kind} in YooKassa's answer: {exc!r}") from exc



# --------------------------------------------------------------------------- request values


def idempotence_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > _IDEMPOTENCE_KEY_MAX:
        raise ValueError(f"idempotence key must be 1..{_IDEMPOTENCE_KEY_MAX} characters")
    return key


def object_id(value: str) -> str:
    if not isinstance(value, str) or not OBJECT_ID.match(value):
        raise ValueError(f"not a YooKassa object id: {value!r}")
    return value


def clip(text: str, limit: int = _DESCRIPTION_MAX) -> str:
    # Plan and tracker names are the author's: clip rather than fail a payment over a long name.
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not 0 < len(key) <= _METADATA_KEY_MAX:
            raise ValueError(f"metadata key {key!r}: 1..{_METADATA_KEY_MAX} characters")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"metadata {key!r}: str or int, not {type(value).__name__}")
        text = str(value)
        if len(text) > _METADATA_VALUE_MAX:
            raise ValueError(f"metadata {key!r}: longer than {_METADATA_VALUE_MAX}")
        result[key] = text
    if len(result) > _METADATA_MAX_KEYS:
        raise ValueError(f"metadata: at most {_METADATA_MAX_KEYS} keys")
    return result

