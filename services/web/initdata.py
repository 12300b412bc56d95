"""Who opened the Mini App: Telegram's signed `initData`, and the page's session token after it.

The check is Telegram's own ("Validating data received via the Mini App"): initData is a query
string; the data-check-string is every received field but `hash`, URL-decoded, sorted by key,
as `key=value` lines joined by "\\n"; secret_key = HMAC-SHA256(key=b"WebAppData", msg=bot_token);
the data is genuine when hex(HMAC-SHA256(key=secret_key, msg=data_check_string)) == hash.
Newer clients add a `signature` field (for third-party Ed25519 checks): it is a received field
like any other and stays in the data-check-string.

A page opened from one bot carries initData signed with that bot's token, so checking it with
another bot's token fails: the bot is part of the page's URL, and only its token is tried.

Pure: no aiogram, no database. Times are passed in so that tests control them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_INIT_DATA = 8192  # bytes: Telegram's initData is a few hundred; anything far bigger is not from it


class AuthError(Exception):
    """Why a login or a session was refused; `reason` is for logs, never shown as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class BotRef:
    """The bot a page was opened from: ("platform", its id) or ("tracker", the tracker bot's id)."""

    kind: str
    bot_id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.bot_id}"


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it for these fields (tests and the benchmark sign with it)."""
    from urllib.parse import urlencode

    digest = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(init_data: str, bot_token: str, *, max_age: int, now: float | None = None) -> WebAppUser:
    """The user of genuine, fresh initData signed with `bot_token`; AuthError otherwise."""
    if not init_data:
        raise AuthError("no initData")
    if len(init_data) > MAX_INIT_DATA:
        raise AuthError("initData too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key could make the checked and the used value differ
        raise AuthError("a field appears twice")
    received = fields.get("hash", "")
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise AuthError("hash does not match (forged, or signed by another bot)")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise AuthError("no auth_date") from None
    now = time.time() if now is None else now
    if now - auth_date > max_age:
        raise AuthError("initData expired")
    if auth_date - now > 60:  # a clock a minute ahead is tolerated, a date in the future is not
        raise AuthError("auth_date in the future")
    try:
        user = json.loads(fields["user"])
        return WebAppUser(
            id=int(user["id"]),
            first_name=str(user.get("first_name") or ""),
            username=user.get("username"),
            language_code=user.get("language_code"),
        )
    except (KeyError, ValueError, TypeError):
        raise AuthError("no user in initData") from None


# --- the page's session ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    bot: BotRef
    expires: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Short-lived session tokens for the page: `s1.<payload>.<mac>`, the payload naming the user,
    the bot and the expiry, the mac an HMAC-SHA256 with a key derived from the platform's secret.
    Stateless: a session cannot be revoked, which is why it lives minutes, not days."""

    PREFIX = "s1."

    def __init__(self, secret: bytes, lifetime: int) -> None:
        self._key = hmac.new(secret, b"gptitor-webapp-session", hashlib.sha256).digest()
        self.lifetime = lifetime

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, user_id: int, bot: BotRef, *, now: float | None = None) -> Session:
        expires = int(time.time() if now is None else now) + self.lifetime
        return Session(user_id, bot, expires)

    def encode(self, session: Session) -> str:
        payload = _b64(json.dumps([session.user_id, session.bot.kind, session.bot.bot_id, session.expires]).encode())
        return f"{self.PREFIX}{payload}.{self._mac(payload)}"

    def decode(self, token: str, *, now: float | None = None) -> Session:
        if not token.startswith(self.PREFIX) or token.count(".") != 2:
            raise AuthError("not a session token")
        payload, mac = token[len(self.PREFIX):].split(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            raise AuthError("session token forged")
        try:
            user_id, kind, bot_id, expires = json.loads(_unb64(payload))
            session = Session(int(user_id), BotRef(str(kind), int(bot_id)), int(expires))
        except (ValueError, TypeError):
            raise AuthError("session token unreadable") from None
        if (time.time() if now is None else now) >= session.expires:
            raise AuthError("session expired")
        return session
