"""A fake Telegram Bot API server for end-to-end tests.

It speaks real HTTP on 127.0.0.1, so the platform runs unchanged against it (long polling and
webhooks) while tests act as people::

    async with FakeTelegram() as server:
        bot = server.add_bot("123:abc", "tracker_bot")
        alice = server.user(1001, "Alice", language_code="ru")
        # point aiogram at it: TelegramAPIServer.from_base(server.base_url)
        await alice.send(bot, "/start")
        menu = await alice.wait_for_text(bot, "Меню")
        await alice.click(menu, "Настройки")

Layout, top to bottom: errors and parameter decoding, Telegram's HTML parse mode, the records the
server keeps (bots, chats, messages, files, calls), the person-facing `FakeUser`, and `FakeTelegram`
itself (lifecycle, test-facing setup, update delivery, the HTTP layer, then Bot API methods grouped
by topic).

Behaviour worth knowing (each mirrors the real API, because the product must cope with it):
- A bot may write to a user only after the user wrote to it (403 otherwise) and not once blocked.
- `parse_mode=HTML` is parsed: stored text is what a person sees, bad markup is a 400.
- Editing to identical content is 400 "message is not modified"; `editMessageText` without
  `reply_markup` drops the inline keyboard.
- Updates stay queued until confirmed by a later `getUpdates` offset or a 2xx webhook answer; a
  second concurrent `getUpdates` for one bot ends the first with 409.
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import logging
import random
import re
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, MultipartReader, web

from tests.waiting import DEADLINE

logger = logging.getLogger(__name__)

# How long a test waits for a reply or a post: generous, since success returns at once and a
# loaded machine only answers later (tests/waiting.py).
DEFAULT_TIMEOUT = DEADLINE

# Update types Telegram sends only when a bot asks for them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_ACTIONS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
})
_MEDIA_KINDS = ("photo", "document", "video", "audio", "voice", "animation")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
STARS_SUBSCRIPTION_PERIOD = 2592000


# --------------------------------------------------------------------------- errors


class TelegramError(Exception):
    """A Bot API error answer; raised by method handlers, turned into JSON by the HTTP layer."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None,
                 html: str | None = None, redirect: bool = False) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.html = html  # a proxy's error page instead of the Bot API's JSON
        self.redirect = redirect  # a proxy that sends the request back where it came from

    def payload(self) -> dict[str, Any]:
        if self.html is not None:
            return {_HTML: self.html}
        if self.redirect:
            return {_REDIRECT: True}
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


_HTML = "__html_page__"
_REDIRECT = "__redirect_to_itself__"
# What the real api.telegram.org answers now and then from its front proxy: not JSON at all.
BAD_GATEWAY_PAGE = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    "</body>\r\n</html>\r\n")


def _bad(message: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {message}")


def _forbidden(message: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {message}")


def _conflict(message: str) -> TelegramError:
    return TelegramError(409, f"Conflict: {message}")


def _unauthorized() -> TelegramError:
    return TelegramError(401, "Unauthorized")


def _not_found() -> TelegramError:
    return TelegramError(404, "Not Found")


class FakeTelegramTimeout(AssertionError):
    """A person waited in vain; an AssertionError so pytest shows the message plainly."""


# --------------------------------------------------------------------------- parameters
#
# aiogram sends every parameter as a form field: strings as they are, everything else JSON-encoded
# (numbers "123", booleans "true", objects and lists as JSON text). A text of "123" must stay a
# string, so fields are decoded by name rather than by guessing.

_JSON_FIELDS = frozenset({
    "reply_markup", "entities", "caption_entities", "allowed_updates", "prices",
    "link_preview_options", "reply_parameters", "commands", "scope", "media",
    "suggested_tip_amounts", "menu_button", "rights", "reaction",
})
_INT_FIELDS = frozenset({
    "chat_id", "from_chat_id", "message_id", "user_id", "offset", "limit", "timeout",
    "max_connections", "cache_time", "message_thread_id", "reply_to_message_id",
    "subscription_period", "max_tip_amount", "duration", "width", "height", "until_date",
    "photo_size", "photo_width", "photo_height",
})
_BOOL_FIELDS = frozenset({
    "show_alert", "ok", "drop_pending_updates", "disable_notification", "protect_content",
    "allow_sending_without_reply", "need_name", "need_phone_number", "need_email",
    "need_shipping_address", "send_phone_number_to_provider", "send_email_to_provider",
    "is_flexible", "has_spoiler", "disable_content_type_detection", "supports_streaming",
    "show_caption_above_media", "allow_paid_broadcast", "disable_web_page_preview",
})


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


def _decode_field(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a JSON body is already typed
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # chat_id may be "@channelusername"
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _normalize_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode typed fields and replace "attach://name" with the uploaded part of that name."""
    params = {name: _decode_field(name, value) for name, value in raw.items()}
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if isinstance(params.get(part), Upload):
                params[name] = params.pop(part)
    return params


def _utf16_len(text: str) -> int:
    # Telegram measures entity offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- HTML parse mode

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler", "span": "spoiler",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: the plain text a person sees and its entities.

    Strict like the real server: an unknown tag or a bare "<" (say, unescaped model output) is a
    400 "can't parse entities", which is exactly the bug this should surface in tests.
    """

    def fail(message: str, at: int) -> TelegramError:
        offset = len(source[:at].encode())
        return _bad(f"can't parse entities: {message} at byte offset {offset}")

    text: list[str] = []
    size = 0
    stack: list[tuple[str, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while True:
        lt = source.find("<", pos)
        chunk = html.unescape(source[pos:] if lt < 0 else source[pos:lt])
        text.append(chunk)
        size += _utf16_len(chunk)
        if lt < 0:
            break
        match = _TAG.match(source, lt)
        if match is None:
            name = re.match(r"/?([a-zA-Z0-9-]*)", source[lt + 1:]).group(1)  # type: ignore[union-attr]
            raise fail(f'Unsupported start tag "{name}"', lt)
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if not stack:
                raise fail(f'Unexpected end tag "{name}"', lt)
            opened, entity = stack.pop()
            if opened != name:
                raise fail(f'Unmatched end tag, expected "</{opened}>", found "</{name}>"', lt)
            entity["length"] = size - entity["offset"]
            if entity["length"] and entity["type"]:
                entities.append(entity)
        else:
            attrs = {m[0].lower(): html.unescape(m[1] or m[2] or m[3])
                     for m in _ATTR.findall(match.group(3))}
            kind = _HTML_TAGS.get(name)
            if kind is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
                raise fail(f'Unsupported start tag "{name}"', lt)
            entity: dict[str, Any] = {"type": kind, "offset": size}
            if name == "a":
                entity["url"] = attrs.get("href", "")
            elif name == "blockquote" and "expandable" in attrs:
                entity["type"] = "expandable_blockquote"
            elif name == "tg-emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            elif name == "code" and stack and stack[-1][0] == "pre":
                language = attrs.get("class", "")
                if language.startswith("language-"):
                    stack[-1][1]["language"] = language.removeprefix("language-")
                    entity["type"] = None  # folded into the enclosing pre
            stack.append((name, entity))
        pos = match.end()
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"', len(source))
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


def _formatted(params: dict[str, Any], key: str, entities_key: str) -> tuple[str | None, list | None]:
    """Text or caption as a person sees it. Markdown modes are not parsed: the raw text is kept."""
    text = params.get(key)
    if text is None:
        return None, None
    text = str(text)
    if params.get(entities_key):
        return text, params[entities_key]
    if str(params.get("parse_mode") or "").lower() == "html":
        return parse_html(text)
    return text, None


# --------------------------------------------------------------------------- records


class _Signal:
    """Wakes every waiter on each change; each waiter re-checks its own condition.

    An Event swapped on every notify lets synchronous method handlers signal without taking a
    lock (an asyncio.Condition needs one), and no wake-up is lost between check and wait.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, check: Callable[[], Any], timeout: float | None) -> Any:
        """Return check()'s first result that is not None; raise TimeoutError after timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            event = self._event
            if deadline is None:
                await event.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass  # one last check above before giving up


@dataclass
class Call:
    """One Bot API request as the server saw it; status and result are filled in after it ran."""

    method: str
    token: str
    params: dict[str, Any]
    source: str = "http"  # or "webhook_response": a method returned in a webhook answer
    status: int | None = None
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the request arrived


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update; status is None when the connection itself failed."""

    update_id: int
    url: str
    attempt: int
    status: int | None
    error: str | None = None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None = None  # None when sent by URL: the fake downloads nothing
    filename: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def file_path(self) -> str:
        return f"{self.kind}s/{self.file_unique_id}"

    def as_api(self) -> dict[str, Any]:
        """The object a message carries for this file (a photo is a list of sizes)."""
        base: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.data is not None:
            base["file_size"] = len(self.data)
        if self.kind == "photo":
            return [{**base, "width": 100, "height": 100}]  # type: ignore[return-value]
        if self.filename and self.kind in ("document", "video", "audio", "animation"):
            base["file_name"] = self.filename
        if self.mime_type and self.kind != "photo":
            base["mime_type"] = self.mime_type
        if self.kind in ("video", "animation"):
            base.update(width=100, height=100)
        if self.kind in ("video", "audio", "voice", "animation"):
            base["duration"] = 1
        return base


@dataclass(eq=False)
class FakeBot:
    """Everything the server knows about one bot; tests read these fields to assert."""

    token: str
    id: int
    username: str
    first_name: str
    revoked: bool = False
    updates: list[dict[str, Any]] = field(default_factory=list)  # queued, not yet confirmed
    dropped_updates: list[dict[str, Any]] = field(default_factory=list)  # filtered out
    allowed_updates: list[str] | None = None
    webhook: Webhook | None = None
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)
    last_webhook_error: tuple[int, str] | None = None
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    pre_checkout_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    star_charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    star_subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # charge id -> state
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)  # language code ("" = default)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    pushed_updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # every update, by id
    # internal
    _next_update_id: int = 1
    _poll_generation: int = 0
    _open_queries: dict[str, str] = field(default_factory=dict)  # query id -> kind
    _worker: asyncio.Task | None = None
    changed: _Signal = field(default_factory=_Signal, repr=False)

    def as_user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name,
                "username": self.username}


@dataclass(eq=False)
class Chat:
    """A chat the server knows: a user's private chat (id = user id) or a group or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # groups/channels: id -> status
    rights: dict[int, dict[str, bool]] = field(default_factory=dict)  # admins: id -> rights

    def as_api(self) -> dict[str, Any]:
        fields = {"title": self.title, "username": self.username,
                  "first_name": self.first_name, "last_name": self.last_name}
        return {"id": self.id, "type": self.type, **{k: v for k, v in fields.items() if v}}


@dataclass
class StoredMessage:
    message: dict[str, Any]  # the API shape
    reply_markup: dict[str, Any] | None = None  # as sent, reply keyboards included
    file: StoredFile | None = None
    invoice: dict[str, Any] | None = None  # the sendInvoice parameters, for payment helpers

    @property
    def from_bot(self) -> bool:
        return bool(self.message.get("from", {}).get("is_bot")) or "sender_chat" in self.message


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a bot's message as a person saw it at one moment (a send or an edit)."""

    bot_id: int
    chat_id: int
    message_id: int
    text: str  # text or caption, as displayed
    reply_markup: dict[str, Any] | None
    raw: dict[str, Any]
    is_edit: bool = False
    file: StoredFile | None = None
    invoice: dict[str, Any] | None = None

    @property
    def plain(self) -> str:
        """The text with typographic spaces as plain ones (see `plain`)."""
        return plain(self.text)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def keyboard(self) -> list[list[str]]:
        """Button texts of the inline or reply keyboard, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    @property
    def content_type(self) -> str:
        for kind in ("text", *_MEDIA_KINDS, "invoice"):
            if kind in self.raw:
                return kind
        return "unknown"

    def __str__(self) -> str:
        edit = " (edit)" if self.is_edit else ""
        keyboard = f" {self.keyboard}" if self.keyboard else ""
        return f"#{self.message_id}{edit} [{self.content_type}] {self.text!r}{keyboard}"


@dataclass(eq=False)
class Conversation:
    """One bot's view of one chat: messages (ids are per conversation) and what was shown."""

    bot: FakeBot
    chat: Chat
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[BotMessage] = field(default_factory=list)  # bot sends and edits, in order
    opened: bool = False  # the user wrote to the bot, so the bot may write back
    blocked: bool = False
    reply_keyboard: dict[str, Any] | None = None
    _next_message_id: int = 1

    def next_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id - 1

    def record(self, stored: StoredMessage, *, is_edit: bool) -> BotMessage:
        message = stored.message
        snapshot = BotMessage(
            bot_id=self.bot.id, chat_id=self.chat.id, message_id=message["message_id"],
            text=message.get("text") or message.get("caption") or "",
            reply_markup=copy.deepcopy(stored.reply_markup), raw=copy.deepcopy(message),
            is_edit=is_edit, file=stored.file, invoice=stored.invoice,
        )
        self.events.append(snapshot)
        self.bot.changed.notify()
        return snapshot


@dataclass
class PaymentResult:
    """What happened when a person paid an invoice (`FakeUser.pay`)."""

    ok: bool
    bot_id: int
    query_id: str
    answer: dict[str, Any]  # the bot's answerPreCheckoutQuery parameters
    invoice: dict[str, Any]  # the sendInvoice / createInvoiceLink parameters
    charge_id: str | None = None
    message: dict[str, Any] | None = None  # the successful_payment message, when ok
    expires_at: int | None = None  # Stars subscriptions: subscription_expiration_date

    @property
    def error_message(self) -> str | None:
        return self.answer.get("error_message")


# --------------------------------------------------------------------------- people

BotRef = Any  # FakeBot, an aiogram Bot, a token, a bot id or "@username"
MessagePredicate = Callable[[BotMessage], bool] | str | None


class FakeUser:
    """A person: writes to bots, presses buttons and reads what bots show in private chats.

    Reading is cursor based: each (bot, chat) has a cursor, and `wait_for_message` returns the
    first send or edit after it that matches, moving the cursor past everything it looked at.
    Nothing a bot shows is missed however early it arrives, and nothing is read twice.
    """

    def __init__(self, server: FakeTelegram, chat: Chat, language_code: str | None,
                 is_premium: bool) -> None:
        self._server = server
        self.chat = chat
        self.language_code = language_code
        self.is_premium = is_premium
        self._cursors: dict[tuple[int, int], int] = {}

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def first_name(self) -> str:
        return self.chat.first_name or ""

    @property
    def username(self) -> str | None:
        return self.chat.username

    def as_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self.chat, key):
                user[key] = getattr(self.chat, key)
        if self.language_code:
            user["language_code"] = self.language_code
        if self.is_premium:
            user["is_premium"] = True
        return user

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name}>"

    # writing

    async def send(self, bot: BotRef, text: str) -> dict[str, Any]:
        """Write to the bot in the private chat; a leading "/command" gets a bot_command entity."""
        message: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": _utf16_len(command)}]
        return await self._write(bot, message)

    async def send_photo(self, bot: BotRef, data: bytes, caption: str | None = None) -> dict:
        stored = self._server._store_file("photo", Upload(data, "photo.jpg", "image/jpeg"))
        message: dict[str, Any] = {"photo": stored.as_api()}
        if caption:
            message["caption"] = caption
        return await self._write(bot, message)

    async def send_sticker(self, bot: BotRef, emoji: str = "👍") -> dict[str, Any]:
        """A sticker as Telegram delivers one: no text, a file and the emoji it stands for."""
        sticker = {"file_id": f"sticker-{emoji}", "file_unique_id": f"u-{emoji}", "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji}
        return await self._write(bot, {"sticker": sticker})

    async def press(self, bot: BotRef, text: str) -> dict[str, Any]:
        """Press a button of the reply keyboard the bot showed last (sends its text)."""
        conv = self._server._conversation(self._server.bot(bot), self.chat)
        markup = conv.reply_keyboard
        texts = [b if isinstance(b, str) else b["text"]
                 for row in (markup or {}).get("keyboard", []) for b in row]
        if text not in texts:
            raise AssertionError(f"{self} sees no reply button {text!r}; reply keyboard: {texts}")
        if markup and markup.get("one_time_keyboard"):
            conv.reply_keyboard = None
        return await self._write(bot, {"text": text})

    async def _write(self, bot: BotRef, content: dict[str, Any]) -> dict[str, Any]:
        server = self._server
        fake_bot = server.bot(bot)
        conv = server._conversation(fake_bot, self.chat)
        if conv.blocked:
            server._set_blocked(conv, self, False)  # writing to a blocked bot restarts it
        conv.opened = True
        message = {"message_id": conv.next_message_id(), "from": self.as_api(),
                   "chat": self.chat.as_api(), "date": server.now(), **content}
        conv.messages[message["message_id"]] = StoredMessage(message)
        server.push_update(fake_bot, {"message": message})
        await asyncio.sleep(0)  # let delivery start, as a real network round would
        return message

    async def click(self, message: BotMessage, text: str | None = None, *,
                    callback_data: str | None = None) -> str:
        """Press an inline button of the message as it is now; return the callback query id."""
        if text is None and callback_data is None:
            raise TypeError("click() needs the button text or callback_data")
        server = self._server
        bot = server.bot(message.bot_id)
        if message.chat_id != self.id:
            raise AssertionError(f"{self} is not in chat {message.chat_id}")
        conv = server._conversation(bot, self.chat)
        stored = conv.messages.get(message.message_id)
        if stored is None:
            raise AssertionError(f"message #{message.message_id} was deleted; cannot click it")
        buttons = [b for row in (stored.reply_markup or {}).get("inline_keyboard", []) for b in row]
        found = [b for b in buttons
                 if (text is None or plain(str(b.get("text"))) == plain(text))
                 and (callback_data is None or b.get("callback_data") == callback_data)]
        if not found:
            listing = [(b.get("text"), b.get("callback_data")) for b in buttons]
            events = "\n  ".join(str(e) for e in conv.events) or "(nothing)"
            raise AssertionError(f"no button text={text!r} callback_data={callback_data!r} "
                                 f"in message #{message.message_id}; buttons: {listing}; the chat's sends "
                                 f"and edits:\n  {events}")
        button = found[0]
        if "callback_data" not in button:
            raise AssertionError(f"button {button!r} is not a callback button")
        query_id = server._new_id("cbq")
        server.push_update(bot, {"callback_query": {
            "id": query_id, "from": self.as_api(), "message": copy.deepcopy(stored.message),
            "chat_instance": f"{bot.id}{self.id}", "data": button["callback_data"],
        }})
        await asyncio.sleep(0)
        return query_id

    # paying

    def _find_invoice(self, invoice: BotMessage | str) -> tuple[FakeBot, dict[str, Any]]:
        """The invoice behind a sendInvoice message, an invoice link, or a message whose URL
        button opens one."""
        server = self._server
        if isinstance(invoice, BotMessage):
            if invoice.invoice is not None:
                return server.bot(invoice.bot_id), invoice.invoice
            links = [b["url"] for b in invoice.buttons if "url" in b]
            bot = server.bot(invoice.bot_id)
            for link in links:
                if link in bot.invoice_links:
                    return bot, bot.invoice_links[link]
            raise AssertionError(f"message {invoice} carries no invoice and no invoice link")
        for bot in server._bots.values():
            if invoice in bot.invoice_links:
                return bot, bot.invoice_links[invoice]
        raise AssertionError(f"unknown invoice link {invoice!r}")

    async def pay(self, invoice: BotMessage | str, *, total_amount: int | None = None,
                  currency: str | None = None, payload: str | None = None,
                  email: str = "client@example.com", timeout: float | None = None) -> PaymentResult:
        """Pay an invoice as Telegram does: a pre_checkout_query, wait for the bot's answer, and
        on ok the successful_payment message (Stars subscriptions with is_recurring,
        is_first_recurring and subscription_expiration_date). The keyword arguments tamper with
        what the client's app sends, for tests of the bot's checks."""
        server = self._server
        bot, params = self._find_invoice(invoice)
        conv = server._conversation(bot, self.chat)
        if conv.blocked:
            raise AssertionError(f"{self} blocked @{bot.username}")
        conv.opened = True
        currency = currency or params["currency"]
        total = total_amount if total_amount is not None else sum(p["amount"] for p in params["prices"])
        payload = payload if payload is not None else params["payload"]
        order_info = {"email": email} if params.get("need_email") else None
        query_id = server._new_id("pcq")
        query: dict[str, Any] = {"id": query_id, "from": self.as_api(), "currency": currency,
                                 "total_amount": total, "invoice_payload": payload}
        if order_info:
            query["order_info"] = order_info
        server.push_update(bot, {"pre_checkout_query": query})
        try:
            answer = await bot.changed.wait_for(lambda: bot.pre_checkout_answers.get(query_id),
                                                server.default_timeout if timeout is None else timeout)
        except TimeoutError:
            raise FakeTelegramTimeout(f"@{bot.username} never answered {query_id}") from None
        result = PaymentResult(bool(answer.get("ok")), bot.id, query_id, answer, params)
        if not result.ok:
            return result
        expires = None
        if params.get("subscription_period"):
            expires = server.now() + int(params["subscription_period"])
        result.charge_id, result.expires_at = self._push_successful_payment(
            bot, currency, total, payload, order_info, expires, first=True, result=result)
        return result

    def _push_successful_payment(self, bot: FakeBot, currency: str, total: int, payload: str,
                                 order_info: dict | None, expires: int | None, *, first: bool,
                                 result: PaymentResult, deliver: bool = True) -> tuple[str, int | None]:
        server = self._server
        conv = server._conversation(bot, self.chat)
        charge_id = server._new_id("tgcharge-")
        paid: dict[str, Any] = {"currency": currency, "total_amount": total,
                                "invoice_payload": payload, "telegram_payment_charge_id": charge_id,
                                "provider_payment_charge_id":
                                    "" if currency == "XTR" else server._new_id("provider-")}
        if order_info:
            paid["order_info"] = order_info
        if expires is not None:
            paid["subscription_expiration_date"] = expires
            paid["is_recurring"] = True
            if first:
                paid["is_first_recurring"] = True
        message = {"message_id": conv.next_message_id(), "from": self.as_api(),
                   "chat": self.chat.as_api(), "date": server.now(), "successful_payment": paid}
        conv.messages[message["message_id"]] = StoredMessage(message)
        if expires is not None and first:
            bot.star_subscriptions[charge_id] = {"canceled": False}
        if deliver:
            server.push_update(bot, {"message": message})
        else:  # Telegram charged, but the update never reached the bot
            server._record_star_charge(bot, message)
        result.message = message
        return charge_id, expires

    async def renew_star_subscription(self, first: PaymentResult, *, deliver: bool = True) -> PaymentResult:
        """Telegram renews a Stars subscription: a new successful_payment with is_recurring, a new
        charge id and the next expiration date (no pre-checkout query). `deliver=False`: the
        charge is made but its update is lost (only getStarTransactions shows it)."""
        if first.expires_at is None:
            raise AssertionError("that payment was not a Stars subscription")
        server = self._server
        bot = server.bot(first.bot_id)
        state = bot.star_subscriptions.get(first.charge_id or "", {})
        if state.get("canceled"):
            raise AssertionError(f"{self} cancelled that Stars subscription; Telegram would not renew it")
        paid = first.message["successful_payment"] if first.message else {}
        period = int(first.invoice.get("subscription_period") or STARS_SUBSCRIPTION_PERIOD)
        result = PaymentResult(True, bot.id, "", {"ok": True}, first.invoice)
        result.charge_id, result.expires_at = self._push_successful_payment(
            bot, paid["currency"], paid["total_amount"], paid["invoice_payload"], None,
            first.expires_at + period, first=False, result=result, deliver=deliver)
        await asyncio.sleep(0)
        return result

    async def repeat_update(self, payment: PaymentResult) -> None:
        """Telegram delivers the same successful_payment message again (a duplicate update)."""
        if payment.message is None:
            raise AssertionError("nothing was paid")
        self._server.push_update(payment.bot_id, {"message": copy.deepcopy(payment.message)})
        await asyncio.sleep(0)

    async def refund_outside(self, payment: PaymentResult, *, deliver: bool = True) -> None:
        """The payment is refunded outside the bot's code (its owner elsewhere, Telegram support):
        Telegram posts a `refunded_payment` service message in the chat (`deliver=False`: the
        update is lost; only getStarTransactions shows the refund)."""
        if payment.message is None:
            raise AssertionError("nothing was paid")
        paid = payment.message["successful_payment"]
        server = self._server
        bot = server.bot(payment.bot_id)
        charge = bot.star_charges.get(paid["telegram_payment_charge_id"])
        if charge is not None and not charge["refunded"]:
            charge["refunded"], charge["refunded_at"] = True, server.now()
        if not deliver:
            return
        conv = server._conversation(bot, self.chat)
        refunded = {key: paid[key] for key in ("currency", "total_amount", "invoice_payload",
                                               "telegram_payment_charge_id")}
        if paid.get("provider_payment_charge_id"):
            refunded["provider_payment_charge_id"] = paid["provider_payment_charge_id"]
        message = {"message_id": conv.next_message_id(), "from": self.as_api(),
                   "chat": self.chat.as_api(), "date": server.now(), "refunded_payment": refunded}
        conv.messages[message["message_id"]] = StoredMessage(message)
        server.push_update(bot, {"message": message})
        await asyncio.sleep(0)

    async def block(self, bot: BotRef) -> None:
        """Block the bot: its messages now fail with 403 and it gets a my_chat_member update."""
        conv = self._server._conversation(self._server.bot(bot), self.chat)
        self._server._set_blocked(conv, self, True)
        await asyncio.sleep(0)

    # reading

    def messages(self, bot: BotRef) -> list[BotMessage]:
        """The bot's messages in this chat as they are now (deleted ones left out)."""
        conv = self._server._conversation(self._server.bot(bot), self.chat)
        return [self._server._snapshot(conv, stored) for _, stored in sorted(conv.messages.items())
                if stored.from_bot]

    def last_message(self, bot: BotRef) -> BotMessage | None:
        messages = self.messages(bot)
        return messages[-1] if messages else None

    async def wait_for_message(self, bot: BotRef, predicate: MessagePredicate = None, *,
                               timeout: float | None = None) -> BotMessage:
        """The next send or edit by the bot in this chat that matches (a callable or a substring).

        Non-matching messages before the match are consumed. Fails with the chat's transcript.
        """
        server = self._server
        fake_bot = server.bot(bot)
        conv = server._conversation(fake_bot, self.chat)
        key = (fake_bot.id, self.chat.id)
        start = self._cursors.get(key, 0)
        matches = _as_predicate(predicate)

        def next_match() -> BotMessage | None:
            while self._cursors.setdefault(key, 0) < len(conv.events):
                event = conv.events[self._cursors[key]]
                self._cursors[key] += 1
                if matches(event):
                    return event
            return None

        timeout = server.default_timeout if timeout is None else timeout
        try:
            return await fake_bot.changed.wait_for(next_match, timeout)
        except TimeoutError:
            skipped = "\n  ".join(str(e) for e in conv.events[start:]) or "(nothing)"
            raise FakeTelegramTimeout(
                f"{self} waited {timeout}s for a message from @{fake_bot.username} matching "
                f"{_describe(predicate)}; seen meanwhile:\n  {skipped}") from None

    async def wait_for_text(self, bot: BotRef, substring: str, *,
                            timeout: float | None = None) -> BotMessage:
        return await self.wait_for_message(bot, substring, timeout=timeout)

    async def wait_for_notice(self, bot: BotRef, predicate: MessagePredicate = None, *,
                              timeout: float | None = None) -> BotMessage:
        """A message that matches anywhere in this chat, before or after the cursor, which it
        leaves alone: for a notice the outbox delivers on its own schedule, so it may come before
        or after the window the person is busy with (`wait_for_message` would consume it there)."""
        server = self._server
        fake_bot = server.bot(bot)
        conv = server._conversation(fake_bot, self.chat)
        matches = _as_predicate(predicate)
        timeout = server.default_timeout if timeout is None else timeout
        try:
            return await fake_bot.changed.wait_for(lambda: next((e for e in conv.events if matches(e)), None), timeout)
        except TimeoutError:
            seen = "\n  ".join(str(e) for e in conv.events) or "(nothing)"
            raise FakeTelegramTimeout(
                f"{self} waited {timeout}s for a notice from @{fake_bot.username} matching "
                f"{_describe(predicate)}; the chat holds:\n  {seen}") from None

    async def expect_no_message(self, bot: BotRef, timeout: float = 0.3) -> None:
        """Assert the bot shows nothing new in this chat for `timeout` seconds."""
        fake_bot = self._server.bot(bot)
        conv = self._server._conversation(fake_bot, self.chat)
        seen = self._cursors.get((fake_bot.id, self.chat.id), 0)
        try:
            event = await fake_bot.changed.wait_for(
                lambda: conv.events[seen] if len(conv.events) > seen else None, timeout)
        except TimeoutError:
            return
        raise AssertionError(f"{self} expected silence from @{fake_bot.username}, got {event}")


def plain(text: str) -> str:
    """`text` with the typographic spaces i18n.format puts in numbers (no-break, narrow no-break)
    as plain ones, so a test can write "1 490,00 ₽" while the product sends what Babel gives."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _as_predicate(predicate: MessagePredicate) -> Callable[[BotMessage], bool]:
    if predicate is None:
        return lambda _: True
    if isinstance(predicate, str):
        wanted = plain(predicate)
        return lambda message: wanted in plain(message.text)
    return predicate


def _describe(predicate: MessagePredicate) -> str:
    if predicate is None:
        return "anything"
    if isinstance(predicate, str):
        return f"text containing {predicate!r}"
    return getattr(predicate, "__name__", repr(predicate))


def _api(*names: str) -> Callable:
    """Mark a FakeTelegram method as the handler of these Bot API methods."""

    def mark(function: Callable) -> Callable:
        function._api_names = names  # type: ignore[attr-defined]
        return function

    return mark


@dataclass
class _Fault:
    method: str
    bot_id: int | None
    error: TelegramError | None  # None: no answer at all (reset) or the normal one late (hold)
    times: int
    chat_id: Any = None  # None: any chat
    reset: bool = False  # drop the connection with a TCP reset instead of answering
    hold: float = 0.0  # seconds to sit on the request first (past the client's timeout: a timeout)


class _Reset(Exception):
    """Raised inside a method call: the HTTP layer answers nothing and resets the connection."""


# What `fail_share` picks from: the failures a real network in front of the Bot API produces.
CHAOS_MODES = ("html502", "reset", "hold", "429", "409", "500")


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """The fake Bot API server. Start it, register bots and people, point aiogram at base_url."""

    def __init__(self, *, webhook_retries: int = 3, webhook_retry_delay: float = 0.05,
                 webhook_timeout: float = 5.0, default_timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.time) -> None:
        self.webhook_retries = webhook_retries
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.default_timeout = default_timeout
        self.clock = clock
        self.calls: list[Call] = []
        self.internal_errors: list[BaseException] = []  # bugs of the fake itself; fail the test
        self.files: dict[str, StoredFile] = {}
        self._bots: dict[int, FakeBot] = {}
        self._by_token: dict[str, FakeBot] = {}
        self._provider_tokens: dict[str, int] = {}  # payment provider token -> the bot it was issued for
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, Chat] = {}
        self._conversations: dict[tuple[int, int], Conversation] = {}
        self._faults: list[_Fault] = []
        self._chaos: tuple[float, frozenset[str], tuple[str, ...], float] = (0.0, frozenset(), (), 0.0)
        self._chaos_random = random.Random()
        self.chaos_counts: dict[str, int] = {}
        # bot id -> [start, end] of each stretch from an injected fault to the bot's next
        # answered getUpdates (end None while it lasts): the delays a load run injected.
        self.fault_windows: dict[int, list[list[float | None]]] = {}
        self.open_polls = 0  # getUpdates requests held open right now
        self._ids = itertools.count(1)
        self._channel_ids = itertools.count(1000000001)
        self._methods = {
            name.lower(): getattr(self, attr)
            for attr in dir(type(self))
            for name in getattr(getattr(type(self), attr), "_api_names", ())
        }
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._base_url: str | None = None
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away must not linger; a short
        # shutdown_timeout keeps stop() quick.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0,
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"
        self._client = ClientSession()
        return self

    async def stop(self) -> None:
        """End long polls, stop webhook delivery and close the server; safe to call twice."""
        if self._stopping:
            return
        self._stopping = True
        for bot in self._bots.values():
            bot.changed.notify()
        workers = [bot._worker for bot in self._bots.values() if bot._worker]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Give this to TelegramAPIServer.from_base (or TELEGRAM_API_BASE)."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._base_url

    def now(self) -> int:
        return int(self.clock())

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    # ------------------------------------------------------------------ bots and people

    def add_bot(self, token: str, username: str | None = None,
                first_name: str | None = None) -> FakeBot:
        """Register a bot (id = the number before ':'). A new token for a known id replaces the
        old one, as regenerating a token in BotFather does."""
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"not a bot token: {token!r}")
        bot = self._bots.get(int(bot_id))
        if bot is None:
            bot = FakeBot(token=token, id=int(bot_id), username=username or f"bot{bot_id}_bot",
                          first_name=first_name or f"Bot {bot_id}")
            self._bots[bot.id] = bot
        else:
            self._by_token.pop(bot.token, None)
            bot.token, bot.revoked = token, False
            bot.username = username or bot.username
            bot.first_name = first_name or bot.first_name
        self._by_token[token] = bot
        self._ensure_worker(bot)  # a renewed token resumes webhook delivery
        bot.changed.notify()
        return bot

    def issue_provider_token(self, bot: BotRef, provider: str = "381764678") -> str:
        """A payment provider token for this bot, as @BotFather gives one (Bot Settings → Payments):
        valid for this bot only; another bot's `sendInvoice` with it gets PAYMENT_PROVIDER_INVALID."""
        fake_bot = self.bot(bot)
        token = f"{provider}:TEST:{fake_bot.id}-{len(self._provider_tokens) + 1}"
        self._provider_tokens[token] = fake_bot.id
        return token

    def revoke(self, token: str) -> None:
        """Make the token invalid: every call with it gets 401 Unauthorized and webhook delivery
        pauses until add_bot gives the bot a new token."""
        bot = self._by_token.pop(token)
        bot.revoked = True
        bot.changed.notify()

    def bot(self, ref: BotRef) -> FakeBot:
        """Find a registered bot by FakeBot, aiogram Bot, token, id, "username" or "@username"."""
        if isinstance(ref, FakeBot):
            return ref
        if isinstance(ref, int):
            if ref in self._bots:
                return self._bots[ref]
        elif isinstance(ref, str):
            if ref in self._by_token:
                return self._by_token[ref]
            for bot in self._bots.values():
                if bot.username.lower() == ref.removeprefix("@").lower() or bot.token == ref:
                    return bot
        elif hasattr(ref, "token"):
            return self.bot(ref.token)
        raise KeyError(f"unknown bot {ref!r}; known: {[b.username for b in self._bots.values()]}")

    def everything_sent(self) -> list[tuple[BotMessage, str | None]]:
        """Every message and edit any bot sent, in each chat's order, with the language of the person
        the chat belongs to (None for groups and channels): what checks over all screens read."""
        sent = []
        for conv in self._conversations.values():
            person = self._users.get(conv.chat.id) if conv.chat.type == "private" else None
            sent += [(message, person.language_code if person else None) for message in conv.events]
        return sent

    def user(self, id: int, first_name: str | None = None, *, username: str | None = None,
             language_code: str | None = "ru", last_name: str | None = None,
             is_premium: bool = False) -> FakeUser:
        """A person (created once; later calls with the same id return the same person)."""
        if id in self._users:
            return self._users[id]
        chat = Chat(id=id, type="private", first_name=first_name or f"User{id}",
                    last_name=last_name, username=username)
        self._chats[id] = chat
        self._users[id] = FakeUser(self, chat, language_code, is_premium)
        return self._users[id]

    # Groups and channels. A person adds a bot as an admin (`add_bot_to_channel`), takes its right
    # to post away (`demote_bot`) or removes it (`remove_bot`): each pushes the my_chat_member
    # update Telegram sends the bot. The bot's posts are read with `channel_posts` and
    # `wait_for_channel_post`. People posting in channels is future work.

    def create_chat(self, type: str, title: str, owner: FakeUser, *,
                    username: str | None = None) -> Chat:
        chat_id = -(1000000000000 + next(self._channel_ids))
        chat = Chat(id=chat_id, type=type, title=title, username=username,
                    members={owner.id: "creator"})
        self._chats[chat_id] = chat
        return chat

    def create_channel(self, title: str, owner: FakeUser, *, username: str | None = None) -> Chat:
        return self.create_chat("channel", title, owner, username=username)

    def set_member(self, chat: Chat, who: FakeUser | FakeBot | int, status: str) -> None:
        """Set a membership status silently: creator, administrator, member, left or kicked."""
        member_id = who if isinstance(who, int) else who.id
        chat.members[member_id] = status

    def _bot_member(self, chat: Chat, bot: FakeBot) -> dict[str, Any]:
        status = chat.members.get(bot.id, "left")
        member = _chat_member(status, bot.as_user())
        if status == "administrator":
            member.update(chat.rights.get(bot.id, {}))
        return member

    async def _change_bot_member(self, chat: Chat, bot: BotRef, by: FakeUser, status: str,
                                 rights: dict[str, bool] | None = None) -> dict[str, Any]:
        fake_bot = self.bot(bot)
        if chat.members.get(by.id) not in ("creator", "administrator"):
            raise AssertionError(f"{by} is not an admin of {chat.title!r}")
        old = self._bot_member(chat, fake_bot)
        chat.members[fake_bot.id] = status
        if rights is None:
            chat.rights.pop(fake_bot.id, None)
        else:
            chat.rights[fake_bot.id] = dict(rights)
        update = self.push_update(fake_bot, {"my_chat_member": {
            "chat": chat.as_api(), "from": by.as_api(), "date": self.now(),
            "old_chat_member": old, "new_chat_member": self._bot_member(chat, fake_bot)}})
        await asyncio.sleep(0)
        return update

    async def add_bot_to_channel(self, chat: Chat, bot: BotRef, *, by: FakeUser,
                                 can_post_messages: bool = True) -> dict[str, Any]:
        """`by` (an admin of the channel) makes the bot an admin, allowed to post or not."""
        return await self._change_bot_member(chat, bot, by, "administrator",
                                             {"can_post_messages": can_post_messages})

    async def demote_bot(self, chat: Chat, bot: BotRef, *, by: FakeUser) -> dict[str, Any]:
        """The bot stays an admin but loses the right to post."""
        return await self._change_bot_member(chat, bot, by, "administrator",
                                             {"can_post_messages": False})

    async def remove_bot(self, chat: Chat, bot: BotRef, *, by: FakeUser) -> dict[str, Any]:
        """`by` removes the bot from the channel (status "left"; its posts now fail with 403)."""
        return await self._change_bot_member(chat, bot, by, "left")

    def channel_posts(self, chat: Chat, bot: BotRef) -> list[BotMessage]:
        """Every post the bot made in the channel, in order (edits included, marked is_edit)."""
        return list(self._conversation(self.bot(bot), chat).events)

    async def wait_for_channel_post(self, chat: Chat, bot: BotRef, predicate: MessagePredicate = None,
                                    *, timeout: float | None = None) -> BotMessage:
        """The first post by the bot in the channel that matches (a callable or a substring),
        whenever it was made. Fails with the channel's posts so far."""
        fake_bot = self.bot(bot)
        conv = self._conversation(fake_bot, chat)
        matches = _as_predicate(predicate)
        timeout = self.default_timeout if timeout is None else timeout
        try:
            return await fake_bot.changed.wait_for(
                lambda: next((e for e in conv.events if matches(e)), None), timeout)
        except TimeoutError:
            posts = "\n  ".join(str(e) for e in conv.events) or "(nothing)"
            raise FakeTelegramTimeout(
                f"@{fake_bot.username} posted nothing matching {_describe(predicate)} in "
                f"{chat.title!r} within {timeout}s; posts:\n  {posts}") from None

    # ------------------------------------------------------------------ fault injection and calls

    def fail_next(self, method: str, error_code: int = 429, description: str | None = None, *,
                  bot: BotRef | None = None, retry_after: int | None = None,
                  times: int = 1, chat_id: Any = None, html: str | None = None,
                  redirect: bool = False, reset: bool = False, hold: float = 0.0) -> None:
        """Answer the next `times` calls of a method (for one bot or any, in one chat or any)
        with an error; with `html`, that page as text/html (e.g. BAD_GATEWAY_PAGE), as a proxy
        in front of the Bot API does; with `redirect`, a 307 back to the same URL (a misconfigured
        proxy: the client gives up after its redirect limit with an error that quotes the URL,
        token and all; each hop of the loop is a call and uses up one of `times`).
        `reset=True`: no answer, the connection is reset (RST).
        `hold=s`: sit on the request for s seconds, then answer as usual, or with the error if
        `error_code` is given explicitly: a client whose timeout is shorter sees a timeout."""
        bot_id = None if bot is None else self.bot(bot).id
        if reset or hold:
            error = None
            if hold and not reset and (description is not None or error_code != 429 or retry_after is not None):
                error = self._error(error_code, description, retry_after, html)
            self._faults.append(_Fault(method.lower(), bot_id, error, times, chat_id, reset=reset, hold=hold))
            return
        self._faults.append(_Fault(method.lower(), bot_id, self._error(error_code, description, retry_after, html,
                                                                     redirect), times, chat_id))

    def fail_share(self, share: float, *, methods: tuple[str, ...] = ("getUpdates",),
                   modes: tuple[str, ...] = CHAOS_MODES, hold: float = 5.0, seed: int | None = None) -> None:
        """From now on answer `share` (0..1) of the calls of `methods`, for every bot, with a
        failure drawn from `modes` (see CHAOS_MODES; "hold" holds `hold` seconds); 0 turns it
        off. For load runs, where no test names the call that fails."""
        self._chaos = (share, frozenset(m.lower() for m in methods), tuple(modes), hold)
        self._chaos_random = random.Random(seed)
        self.chaos_counts: dict[str, int] = {mode: 0 for mode in modes}
        self.fault_windows.clear()

    def _chaos_fault(self, bot: FakeBot, method: str) -> _Fault | None:
        share, methods, modes, hold = self._chaos
        if share <= 0 or method.lower() not in methods or self._chaos_random.random() >= share:
            return None
        mode = self._chaos_random.choice(modes)
        self.chaos_counts[mode] += 1
        windows = self.fault_windows.setdefault(bot.id, [])
        if not windows or windows[-1][1] is not None:
            windows.append([time.monotonic(), None])
        if mode == "reset":
            return _Fault(method, None, None, 1, reset=True)
        if mode == "hold":
            return _Fault(method, None, None, 1, hold=hold)
        code = {"html502": 502, "429": 429, "409": 409, "500": 500}[mode]
        description = "Conflict: terminated by other getUpdates request" if code == 409 else None
        return _Fault(method, None, self._error(code, description, None,
                                                BAD_GATEWAY_PAGE if mode == "html502" else None), 1)

    @staticmethod
    def _error(error_code: int, description: str | None, retry_after: int | None, html: str | None,
               redirect: bool = False) -> TelegramError:
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if error_code == 429
                           else {400: "Bad Request: injected", 403: "Forbidden: injected",
                                 500: "Internal Server Error"}.get(error_code, "injected"))
        return TelegramError(error_code, description, retry_after=retry_after, html=html, redirect=redirect)

    def calls_to(self, method: str, *, bot: BotRef | None = None, **params: Any) -> list[Call]:
        """Recorded calls of a method (case-insensitive) whose params include the given ones."""
        bot_id = None if bot is None else str(self.bot(bot).id)
        return [
            call for call in self.calls
            if call.method.lower() == method.lower()
            and (bot_id is None or call.token.split(":")[0] == bot_id)
            and all(call.params.get(k) == v for k, v in params.items())
        ]

    async def wait_for_callback_answer(self, bot: BotRef, query_id: str, *,
                                       timeout: float | None = None) -> dict[str, Any]:
        """The bot's answerCallbackQuery parameters for this query."""
        fake_bot = self.bot(bot)
        try:
            return await fake_bot.changed.wait_for(
                lambda: fake_bot.callback_answers.get(query_id),
                self.default_timeout if timeout is None else timeout)
        except TimeoutError:
            raise FakeTelegramTimeout(f"@{fake_bot.username} never answered {query_id}") from None

    async def wait_until_delivered(self, bot: BotRef, *, timeout: float | None = None) -> None:
        """Wait until the bot confirmed every queued update (getUpdates offset or webhook 2xx)."""
        fake_bot = self.bot(bot)
        try:
            await fake_bot.changed.wait_for(lambda: True if not fake_bot.updates else None,
                                            self.default_timeout if timeout is None else timeout)
        except TimeoutError:
            raise FakeTelegramTimeout(
                f"@{fake_bot.username} left {len(fake_bot.updates)} updates unconfirmed") from None

    # ------------------------------------------------------------------ updates

    def push_update(self, bot: BotRef, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot (getUpdates or webhook); returns it with its update_id.

        Query ids in it become answerable, and Stars charges refundable, so payment helpers only
        have to build updates.
        """
        fake_bot = self.bot(bot)
        if len(update.keys() - {"update_id"}) != 1:
            raise ValueError(f"an update has exactly one payload field: {update!r}")
        update = {"update_id": fake_bot._next_update_id, **update}
        fake_bot._next_update_id = update["update_id"] + 1
        if "callback_query" in update:
            fake_bot._open_queries[update["callback_query"]["id"]] = "callback_query"
        if "pre_checkout_query" in update:
            fake_bot._open_queries[update["pre_checkout_query"]["id"]] = "pre_checkout_query"
        if (update.get("message") or {}).get("successful_payment"):
            self._record_star_charge(fake_bot, update["message"])
        fake_bot.pushed_updates[update["update_id"]] = copy.deepcopy(update)
        fake_bot.updates.append(update)
        fake_bot.changed.notify()
        return update

    def _record_star_charge(self, fake_bot: FakeBot, message: dict[str, Any]) -> None:
        """Telegram's record of a Stars payment into the bot's balance (getStarTransactions reads
        it), kept whether or not the bot ever got the update."""
        payment = message["successful_payment"]
        if payment.get("currency") != "XTR":
            return
        fake_bot.star_charges.setdefault(payment["telegram_payment_charge_id"], {
            "user_id": message["from"]["id"], "user": message["from"], "amount": payment["total_amount"],
            "date": message["date"], "invoice_payload": payment["invoice_payload"],
            "subscription_period": STARS_SUBSCRIPTION_PERIOD if payment.get("is_recurring") else None,
            "refunded": False, "refunded_at": None})

    def redeliver(self, bot: BotRef, update_id: int) -> dict[str, Any]:
        """Queue an update that was delivered already, with its own update_id, as Telegram does
        after a webhook answer it did not get in time, or for a poller that restarted before its
        next getUpdates confirmed the offset."""
        fake_bot = self.bot(bot)
        update = copy.deepcopy(fake_bot.pushed_updates[update_id])
        fake_bot.updates = [u for u in fake_bot.updates if u["update_id"] != update_id] + [update]
        fake_bot.updates.sort(key=lambda u: u["update_id"])
        fake_bot.changed.notify()
        return update

    def _deliverable(self, bot: FakeBot) -> list[dict[str, Any]]:
        """Drop queued updates of types the bot did not ask for (as Telegram does); the rest."""
        def wanted(update: dict[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            return kind in bot.allowed_updates if bot.allowed_updates else kind not in _OPT_IN_UPDATES

        kept = [u for u in bot.updates if wanted(u)]
        bot.dropped_updates.extend(u for u in bot.updates if not wanted(u))
        bot.updates = kept
        return kept

    def _set_allowed_updates(self, bot: FakeBot, params: dict[str, Any]) -> None:
        if "allowed_updates" in params:  # absent: keep the previous setting, as Telegram does
            bot.allowed_updates = list(params["allowed_updates"] or []) or None

    def _confirm(self, bot: FakeBot, update_id: int) -> None:
        bot.updates = [u for u in bot.updates if u["update_id"] != update_id]
        bot.changed.notify()

    async def _webhook_worker(self, bot: FakeBot) -> None:
        """Deliver queued updates one at a time, in order, while the webhook is set."""
        def next_update() -> dict[str, Any] | bool | None:
            if self._stopping or bot.webhook is None or bot.revoked:
                return False
            pending = self._deliverable(bot)
            return pending[0] if pending else None

        try:
            while (update := await bot.changed.wait_for(next_update, None)) is not False:
                await self._deliver(bot, bot.webhook, update)  # type: ignore[arg-type]
                self._confirm(bot, update["update_id"])  # delivered, or given up after retries
        except Exception as exc:  # a bug in the fake: make the test fail rather than hang
            logger.exception("fake telegram webhook worker failed")
            self.internal_errors.append(exc)
        finally:
            bot._worker = None

    def _ensure_worker(self, bot: FakeBot) -> None:
        if bot.webhook is None or bot._worker is not None or self._stopping:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not started yet; setWebhook will start delivery
        bot._worker = loop.create_task(self._webhook_worker(bot))

    async def _deliver(self, bot: FakeBot, hook: Webhook, update: dict[str, Any]) -> bool:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        for attempt in range(1, self.webhook_retries + 1):
            status, error = None, None
            try:
                async with self._client.post(
                    hook.url, data=json.dumps(update, ensure_ascii=False), headers=headers,
                    timeout=ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
                    if 200 <= status < 300:
                        bot.webhook_deliveries.append(
                            WebhookDelivery(update["update_id"], hook.url, attempt, status))
                        await self._run_webhook_answer(bot, response)
                        return True
                    error = f"Wrong response from the webhook: {status} {response.reason}"
            except (TimeoutError, OSError, ClientError) as exc:
                error = f"Connection failed: {type(exc).__name__}: {exc}"
            bot.webhook_deliveries.append(
                WebhookDelivery(update["update_id"], hook.url, attempt, status, error))
            bot.last_webhook_error = (self.now(), error or "")
            if attempt < self.webhook_retries:
                await asyncio.sleep(self.webhook_retry_delay)
        logger.warning("fake telegram gave up delivering update %s to %s",
                       update["update_id"], hook.url)
        return False

    async def _run_webhook_answer(self, bot: FakeBot, response: Any) -> None:
        """Telegram runs a method returned in the webhook answer (aiogram sends multipart).

        The update counts as delivered whatever happens here, as in Telegram.
        """
        try:
            raw = await self._read_webhook_answer(response)
        except (TimeoutError, ClientError, ValueError) as exc:
            logger.warning("fake telegram could not read a webhook answer: %r", exc)
            return
        method = raw.pop("method", None)
        if method:
            try:
                params = _normalize_params(raw)
            except TelegramError:
                return
            await self._execute(bot.token, str(method), params, source="webhook_response")

    @staticmethod
    async def _read_webhook_answer(response: Any) -> dict[str, Any]:
        if response.content_type == "multipart/form-data":
            raw: dict[str, Any] = {}
            reader = MultipartReader(response.headers, response.content)
            while (part := await reader.next()) is not None:
                if part.filename:
                    raw[part.name] = Upload(await part.read(), part.filename,
                                            part.headers.get("Content-Type"))
                else:
                    raw[part.name] = await part.text()
            return raw
        if response.content_type == "application/json":
            raw = await response.json()
            return raw if isinstance(raw, dict) else {}
        return {}

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        raw: dict[str, Any] = dict(request.query)
        try:
            if request.content_type == "application/json":
                body = await request.json()
                raw.update(body if isinstance(body, dict) else {})
            elif request.can_read_body:
                for name, value in (await request.post()).items():
                    raw[name] = (Upload(value.file.read(), value.filename, value.content_type)
                                 if isinstance(value, web.FileField) else value)
            params = _normalize_params(raw)
        except TelegramError as exc:
            self.calls.append(Call(method, token, raw, status=exc.code, error=exc.description))
            return self._respond(exc.code, exc.payload())
        except ValueError:
            return self._respond(400, _bad("can't parse request body").payload())
        try:
            status, payload = await self._execute(token, method, params)
        except _Reset:
            return await self._reset(request)
        if _REDIRECT in payload:
            return web.Response(status=307, headers={"Location": request.path_qs})
        return self._respond(status, payload)

    @staticmethod
    async def _reset(request: web.Request) -> web.Response:
        """Drop the connection the way a crashed proxy does: a TCP RST, no answer. The lost
        connection cancels this handler (handler_cancellation)."""
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        await asyncio.sleep(5)  # cancelled long before this ends
        return web.Response(status=500)

    @staticmethod
    def _respond(status: int, payload: dict[str, Any]) -> web.Response:
        if _HTML in payload:
            return web.Response(text=payload[_HTML], status=status, content_type="text/html")
        return web.json_response(payload, status=status,
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _execute(self, token: str, method: str, params: dict[str, Any], *,
                       source: str = "http") -> tuple[int, dict[str, Any]]:
        """Run one method as the bot with this token; record it; return (status, JSON body)."""
        call = Call(method, token, params, source=source)
        self.calls.append(call)
        try:
            bot = self._by_token.get(token)
            if bot is None:
                raise _unauthorized()
            await self._inject_fault(bot, method, params, http=source == "http")
            handler = self._methods.get(method.lower())
            if handler is None:
                logger.warning("fake telegram: method %s is not implemented", method)
                raise _not_found()
            result = handler(bot, params)
            if isinstance(result, Awaitable):
                result = await result
        except TelegramError as exc:
            call.status, call.error = exc.code, exc.description
            return exc.code, exc.payload()
        except _Reset:
            call.error = "connection reset"
            raise
        except Exception as exc:  # a bug in the fake: answer 500 and make the test fail
            logger.exception("fake telegram failed on %s", method)
            self.internal_errors.append(exc)
            call.status, call.error = 500, repr(exc)
            return 500, {"ok": False, "error_code": 500,
                         "description": f"Internal Server Error: fake: {exc!r}"}
        call.status, call.result = 200, result
        if method.lower() == "getupdates" and (windows := self.fault_windows.get(bot.id)) and windows[-1][1] is None:
            windows[-1][1] = time.monotonic()
        return 200, {"ok": True, "result": result}

    async def _inject_fault(self, bot: FakeBot, method: str, params: dict[str, Any], *, http: bool) -> None:
        chosen = self._chaos_fault(bot, method) if http else None
        for fault in self._faults if chosen is None else ():
            if fault.method == method.lower() and fault.bot_id in (None, bot.id) and (
                    fault.chat_id is None or fault.chat_id == params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                chosen = fault
                break
        if chosen is None:
            return
        if chosen.hold:
            await asyncio.sleep(chosen.hold)
        if chosen.reset and http:
            raise _Reset
        if chosen.error is not None:
            raise chosen.error

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self._by_token:
            return self._respond(401, _unauthorized().payload())
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data,
                                    content_type=stored.mime_type or "application/octet-stream")
        return self._respond(404, _not_found().payload())

    # ------------------------------------------------------------------ chats and messages

    def _conversation(self, bot: FakeBot, chat: Chat) -> Conversation:
        key = (bot.id, chat.id)
        if key not in self._conversations:
            self._conversations[key] = Conversation(bot, chat)
        return self._conversations[key]

    def _find_chat(self, chat_id: Any) -> Chat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
        elif isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        elif isinstance(chat_id, int) and chat_id in self._bots:
            raise _forbidden("bot can't send messages to bots")
        raise _bad("chat not found")

    def _chat_for(self, bot: FakeBot, params: dict[str, Any], *, write: bool) -> Conversation:
        """The bot's conversation in params["chat_id"], with Telegram's access rules."""
        if "chat_id" not in params:
            raise _bad("chat_id is empty")
        chat = self._find_chat(params["chat_id"])
        conv = self._conversation(bot, chat)
        if chat.type == "private":
            if not conv.opened:
                raise (_forbidden("bot can't initiate conversation with a user") if write
                       else _bad("chat not found"))
            if write and conv.blocked:
                raise _forbidden("bot was blocked by the user")
            return conv
        status = chat.members.get(bot.id, "left")
        if status in ("left", "kicked"):
            raise _forbidden(f"bot is not a member of the {chat.type} chat")
        if write and chat.type == "channel" and (
                status not in ("administrator", "creator")
                or not chat.rights.get(bot.id, {}).get("can_post_messages", True)):
            raise _bad("need administrator rights in the channel chat")
        return conv

    def _stored(self, bot: FakeBot, params: dict[str, Any], action: str) -> tuple[Conversation, StoredMessage]:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the fake")
        conv = self._chat_for(bot, params, write=False)
        stored = conv.messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if stored is None:
            raise _bad(f"message to {action} not found")
        return conv, stored

    def _snapshot(self, conv: Conversation, stored: StoredMessage) -> BotMessage:
        message = stored.message
        return BotMessage(conv.bot.id, conv.chat.id, message["message_id"],
                          message.get("text") or message.get("caption") or "",
                          copy.deepcopy(stored.reply_markup), copy.deepcopy(message),
                          is_edit="edit_date" in message, file=stored.file, invoice=stored.invoice)

    def _set_blocked(self, conv: Conversation, user: FakeUser, blocked: bool) -> None:
        conv.blocked = blocked
        member = _chat_member("member", conv.bot.as_user())
        kicked = _chat_member("kicked", conv.bot.as_user())
        old_member, new_member = (member, kicked) if blocked else (kicked, member)
        self.push_update(conv.bot, {"my_chat_member": {
            "chat": conv.chat.as_api(), "from": user.as_api(), "date": self.now(),
            "old_chat_member": old_member, "new_chat_member": new_member}})

    def _send(self, bot: FakeBot, params: dict[str, Any], content: dict[str, Any], *,
              file: StoredFile | None = None, invoice: dict[str, Any] | None = None) -> dict:
        """Store a message from the bot, show it to the chat, return its API shape."""
        conv = self._chat_for(bot, params, write=True)
        markup = params.get("reply_markup")
        _check_markup(markup)
        message: dict[str, Any] = {"message_id": conv.next_message_id(), "date": self.now(),
                                   "chat": conv.chat.as_api()}
        if conv.chat.type == "channel":
            message["sender_chat"] = conv.chat.as_api()
        else:
            message["from"] = bot.as_user()
        message.update(content)
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id")
        if reply_to in conv.messages:
            message["reply_to_message"] = copy.deepcopy(conv.messages[reply_to].message)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes only inline keyboards
        if markup and "keyboard" in markup:
            conv.reply_keyboard = markup
        elif markup and "remove_keyboard" in markup:
            conv.reply_keyboard = None
        if params.get("protect_content"):
            message["has_protected_content"] = True
        stored = StoredMessage(message, markup, file, invoice)
        conv.messages[message["message_id"]] = stored
        conv.record(stored, is_edit=False)
        return message

    def _edit(self, conv: Conversation, stored: StoredMessage, changes: dict[str, Any],
              markup: dict[str, Any] | None, file: StoredFile | None = None) -> dict:
        if not stored.from_bot:
            raise _bad("message can't be edited")
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        _check_markup(markup)
        old = stored.message
        unchanged = all(old.get(k) == v for k, v in changes.items()) and (
            (old.get("reply_markup") or None) == (markup or None))
        if unchanged:
            raise _bad("message is not modified: specified new message content and reply markup "
                       "are exactly the same as a current content and reply markup of the message")
        message = {k: v for k, v in old.items() if k != "reply_markup"}
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = self.now()
        stored.message, stored.reply_markup = message, markup
        stored.file = file or stored.file
        conv.record(stored, is_edit=True)
        return message

    def _store_file(self, kind: str, value: Any) -> StoredFile:
        """An Upload becomes a new file; a known file_id is reused; a URL is kept as a URL."""
        if isinstance(value, Upload):
            number = next(self._ids)
            stored = StoredFile(f"fake-{kind}-{number}", f"u{number}", kind, value.data,
                                value.filename, value.content_type)
        elif isinstance(value, str) and value in self.files:
            return self.files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            number = next(self._ids)
            stored = StoredFile(f"fake-{kind}-{number}", f"u{number}", kind, url=value)
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        self.files[stored.file_id] = stored
        return stored

    # ------------------------------------------------------------------ methods: identity

    @_api("getMe")
    def _get_me(self, bot: FakeBot, params: dict) -> dict:
        return {**bot.as_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    @_api("logOut", "close")
    def _log_out(self, bot: FakeBot, params: dict) -> bool:
        return True

    # ------------------------------------------------------------------ methods: getting updates

    @_api("getUpdates")
    async def _get_updates(self, bot: FakeBot, params: dict) -> list[dict]:
        if bot.webhook is not None:
            raise _conflict("can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
        self._set_allowed_updates(bot, params)
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            bot.updates = bot.updates[offset:]
        elif isinstance(offset, int):
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        # Only one poller per bot: a newer getUpdates ends an older one with 409, so a duplicated
        # polling task shows up in tests.
        bot._poll_generation += 1
        generation = bot._poll_generation
        bot.changed.notify()
        token = bot.token

        def ready() -> list[dict] | None:
            if generation != bot._poll_generation:
                raise _conflict("terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
            if self._by_token.get(token) is not bot:
                raise _unauthorized()
            if bot.webhook is not None:
                raise _conflict("can't use getUpdates method while webhook is active")
            if self._stopping:
                return []
            pending = self._deliverable(bot)
            return copy.deepcopy(pending[:limit]) if pending else None

        self.open_polls += 1
        try:
            return await bot.changed.wait_for(ready, max(int(params.get("timeout") or 0), 0))
        except TimeoutError:
            return []
        finally:
            self.open_polls -= 1

    @_api("setWebhook")
    def _set_webhook(self, bot: FakeBot, params: dict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(bot, params)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            bot.updates.clear()
        self._set_allowed_updates(bot, params)
        bot.webhook = Webhook(url, secret, int(params.get("max_connections") or 40),
                              params.get("ip_address"))
        bot.last_webhook_error = None
        self._ensure_worker(bot)
        bot.changed.notify()
        return True

    @_api("deleteWebhook")
    def _delete_webhook(self, bot: FakeBot, params: dict) -> bool:
        bot.webhook = None
        if params.get("drop_pending_updates"):
            bot.updates.clear()
        bot.changed.notify()
        return True

    @_api("getWebhookInfo")
    def _get_webhook_info(self, bot: FakeBot, params: dict) -> dict:
        info: dict[str, Any] = {"url": bot.webhook.url if bot.webhook else "",
                                "has_custom_certificate": False,
                                "pending_update_count": len(bot.updates)}
        if bot.webhook:
            info["max_connections"] = bot.webhook.max_connections
            if bot.allowed_updates:
                info["allowed_updates"] = bot.allowed_updates
            if bot.last_webhook_error:
                info["last_error_date"], info["last_error_message"] = bot.last_webhook_error
        return info

    # ------------------------------------------------------------------ methods: messages

    @_api("sendMessage")
    def _send_message(self, bot: FakeBot, params: dict) -> dict:
        text, entities = _formatted(params, "text", "entities")
        if not text or not text.strip():
            raise _bad("message text is empty")
        if _utf16_len(text) > 4096:
            raise _bad("message is too long")
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if params.get("link_preview_options"):
            content["link_preview_options"] = params["link_preview_options"]
        return self._send(bot, params, content)

    def _send_media(self, kind: str, bot: FakeBot, params: dict) -> dict:
        if params.get(kind) is None:
            raise _bad(f"there is no {kind} in the request")
        self._chat_for(bot, params, write=True)  # access errors come before file errors
        stored = self._store_file(kind, params[kind])
        content: dict[str, Any] = {kind: stored.as_api()}
        caption, entities = _formatted(params, "caption", "caption_entities")
        if caption:
            if _utf16_len(caption) > 1024:
                raise _bad("message caption is too long")
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        return self._send(bot, params, content, file=stored)

    @_api(*(f"send{kind.capitalize()}" for kind in _MEDIA_KINDS))
    def _send_file(self, bot: FakeBot, params: dict) -> dict:
        # sendPhoto carries "photo", sendDocument "document", ...
        kind = next((k for k in _MEDIA_KINDS if k in params), None)
        if kind is None:
            raise _bad("there is no file in the request")
        return self._send_media(kind, bot, params)

    @_api("editMessageText")
    def _edit_message_text(self, bot: FakeBot, params: dict) -> dict:
        conv, stored = self._stored(bot, params, "edit")
        if "text" not in stored.message:
            raise _bad("there is no text in the message to edit")
        text, entities = _formatted(params, "text", "entities")
        if not text or not text.strip():
            raise _bad("message text is empty")
        # No reply_markup in an edit removes the inline keyboard, as in Telegram.
        return self._edit(conv, stored, {"text": text, "entities": entities},
                          params.get("reply_markup"))

    @_api("editMessageCaption")
    def _edit_message_caption(self, bot: FakeBot, params: dict) -> dict:
        conv, stored = self._stored(bot, params, "edit")
        if stored.file is None:
            raise _bad("there is no caption in the message to edit")
        caption, entities = _formatted(params, "caption", "caption_entities")
        return self._edit(conv, stored, {"caption": caption or None, "caption_entities": entities},
                          params.get("reply_markup"))

    @_api("editMessageMedia")
    def _edit_message_media(self, bot: FakeBot, params: dict) -> dict:
        conv, stored = self._stored(bot, params, "edit")
        media = dict(params.get("media") or {})
        kind, source = media.get("type"), media.get("media")
        if kind not in _MEDIA_KINDS:
            raise _bad("can't parse InputMedia: unsupported type")
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
        new_file = self._store_file(kind, source)
        caption, entities = _formatted(media, "caption", "caption_entities")
        changes: dict[str, Any] = {k: None for k in _MEDIA_KINDS}
        changes.update({"text": None, "entities": None, kind: new_file.as_api(),
                        "caption": caption or None, "caption_entities": entities})
        return self._edit(conv, stored, changes, params.get("reply_markup"), new_file)

    @_api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, bot: FakeBot, params: dict) -> dict:
        conv, stored = self._stored(bot, params, "edit")
        return self._edit(conv, stored, {}, params.get("reply_markup"))

    @_api("deleteMessage")
    def _delete_message(self, bot: FakeBot, params: dict) -> bool:
        conv, _ = self._stored(bot, params, "delete")
        del conv.messages[params["message_id"]]
        bot.changed.notify()
        return True

    @_api("sendChatAction")
    def _send_chat_action(self, bot: FakeBot, params: dict) -> bool:
        self._chat_for(bot, params, write=True)
        return True

    @_api("answerCallbackQuery")
    def _answer_callback_query(self, bot: FakeBot, params: dict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if bot._open_queries.get(query_id) != "callback_query":
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        del bot._open_queries[query_id]
        bot.callback_answers[query_id] = {k: v for k, v in params.items()
                                          if k != "callback_query_id"}
        bot.changed.notify()
        return True

    @_api("getFile")
    def _get_file(self, bot: FakeBot, params: dict) -> dict:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        info = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_path": stored.file_path}
        if stored.data is not None:
            info["file_size"] = len(stored.data)
        return info

    # ------------------------------------------------------------------ methods: payments

    def _check_invoice(self, bot: FakeBot, params: dict) -> list[dict]:
        for key, limit in (("title", 32), ("description", 255)):
            if not 1 <= len(str(params.get(key) or "")) <= limit:
                raise _bad(f"invoice {key} must be 1-{limit} characters")
        if not 1 <= len(str(params.get("payload") or "").encode()) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID")
        prices = params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise _bad("prices must be non-empty")
        currency = params.get("currency")
        if currency == "XTR":
            if len(prices) != 1:
                raise _bad("STARS_INVOICE_INVALID: exactly one price is expected")
            if params.get("provider_token"):
                raise _bad("provider_token must be empty for payments in Telegram Stars")
        elif self._provider_tokens.get(str(params.get("provider_token") or "")) != bot.id:
            raise _bad("PAYMENT_PROVIDER_INVALID")  # none, made up, or issued for another bot
        if not all(isinstance(p.get("amount"), int) and p.get("label") for p in prices):
            raise _bad("can't parse prices JSON object")
        return prices

    @_api("sendInvoice")
    def _send_invoice(self, bot: FakeBot, params: dict) -> dict:
        prices = self._check_invoice(bot, params)
        total = sum(p["amount"] for p in prices)
        invoice = {"title": params["title"], "description": params["description"],
                   "start_parameter": str(params.get("start_parameter") or ""),
                   "currency": params["currency"], "total_amount": total}
        if not params.get("reply_markup"):  # Telegram adds the Pay button itself
            label = "Pay ⭐️" if params["currency"] == "XTR" else "Pay"
            params = {**params, "reply_markup": {"inline_keyboard": [[
                {"text": f"{label} {total}", "pay": True}]]}}
        return self._send(bot, params, {"invoice": invoice}, invoice=dict(params))

    @_api("createInvoiceLink")
    def _create_invoice_link(self, bot: FakeBot, params: dict) -> str:
        self._check_invoice(bot, params)
        period = params.get("subscription_period")
        if period is not None and (period != STARS_SUBSCRIPTION_PERIOD
                                   or params.get("currency") != "XTR"):
            raise _bad("SUBSCRIPTION_PERIOD_INVALID")
        link = f"https://t.me/$fake-invoice-{next(self._ids)}"
        bot.invoice_links[link] = dict(params)
        return link

    @_api("answerPreCheckoutQuery")
    def _answer_pre_checkout_query(self, bot: FakeBot, params: dict) -> bool:
        query_id = str(params.get("pre_checkout_query_id"))
        if bot._open_queries.get(query_id) != "pre_checkout_query":
            raise _bad("QUERY_ID_INVALID")
        if params.get("ok") is False and not params.get("error_message"):
            raise _bad("error_message is required when ok is false")
        del bot._open_queries[query_id]
        bot.pre_checkout_answers[query_id] = {k: v for k, v in params.items()
                                              if k != "pre_checkout_query_id"}
        bot.changed.notify()
        return True

    @_api("refundStarPayment")
    def _refund_star_payment(self, bot: FakeBot, params: dict) -> bool:
        charge = bot.star_charges.get(str(params.get("telegram_payment_charge_id")))
        if charge is None or charge["user_id"] != params.get("user_id"):
            raise _bad("CHARGE_NOT_FOUND")
        if charge["refunded"]:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        charge["refunded"], charge["refunded_at"] = True, self.now()
        bot.refunds.append(dict(params))
        return True

    @_api("getStarTransactions")
    def _get_star_transactions(self, bot: FakeBot, params: dict) -> dict:
        """StarTransactions, oldest first: each Stars invoice payment (id = its
        telegram_payment_charge_id, source a TransactionPartnerUser) and each refund (the same id,
        receiver the user)."""
        offset, limit = params.get("offset", 0), params.get("limit", 100)
        if not isinstance(offset, int) or offset < 0:
            raise _bad("offset is invalid")
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise _bad("limit must be between 1 and 100")
        entries = []
        for order, (charge_id, charge) in enumerate(bot.star_charges.items()):
            partner = {"type": "user", "transaction_type": "invoice_payment", "user": charge["user"],
                       "invoice_payload": charge["invoice_payload"]}
            if charge["subscription_period"]:
                partner["subscription_period"] = charge["subscription_period"]
            entries.append((charge["date"], order, 0, {"id": charge_id, "amount": charge["amount"],
                                                       "date": charge["date"], "source": partner}))
            if charge["refunded"]:
                entries.append((charge["refunded_at"], order, 1, {
                    "id": charge_id, "amount": charge["amount"], "date": charge["refunded_at"],
                    "receiver": {**partner, "transaction_type": "invoice_payment"}}))
        entries.sort(key=lambda entry: entry[:3])
        return {"transactions": [entry[3] for entry in entries[offset:offset + limit]]}

    @_api("editUserStarSubscription")
    def _edit_user_star_subscription(self, bot: FakeBot, params: dict) -> bool:
        charge_id = str(params.get("telegram_payment_charge_id"))
        charge = bot.star_charges.get(charge_id)
        if charge is None or charge["user_id"] != params.get("user_id") \
                or charge_id not in bot.star_subscriptions:
            raise _bad("CHARGE_ID_INVALID")
        bot.star_subscriptions[charge_id] = {"canceled": bool(params.get("is_canceled"))}
        bot.changed.notify()
        return True

    # ------------------------------------------------------------------ methods: chats

    @_api("getChat")
    def _get_chat(self, bot: FakeBot, params: dict) -> dict:
        chat = self._chat_for(bot, params, write=False).chat
        return {**chat.as_api(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    @_api("leaveChat")
    def _leave_chat(self, bot: FakeBot, params: dict) -> bool:
        chat = self._chat_for(bot, params, write=False).chat
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
        old = self._bot_member(chat, bot)
        chat.members[bot.id] = "left"
        chat.rights.pop(bot.id, None)
        # Telegram tells the bot about its own departure too.
        self.push_update(bot, {"my_chat_member": {
            "chat": chat.as_api(), "from": bot.as_user(), "date": self.now(),
            "old_chat_member": old, "new_chat_member": self._bot_member(chat, bot)}})
        return True

    @_api("getChatMember")
    def _get_chat_member(self, bot: FakeBot, params: dict) -> dict:
        chat = self._chat_for(bot, params, write=False).chat
        member_id = params.get("user_id")
        if member_id in self._users:
            user = self._users[member_id].as_api()
        elif member_id in self._bots:
            user = self._bots[member_id].as_user()
        else:
            raise _bad("user not found")
        if chat.type == "private":
            status = "member" if member_id in (chat.id, bot.id) else "left"
        else:
            status = chat.members.get(member_id, "left")  # type: ignore[arg-type]
        return _chat_member(status, user)

    # ------------------------------------------------------------------ methods: bot profile

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    @_api("setMyCommands")
    def _set_my_commands(self, bot: FakeBot, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list)
                       else "can't parse commands JSON object")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[self._commands_key(params)] = commands
        return True

    @_api("getMyCommands")
    def _get_my_commands(self, bot: FakeBot, params: dict) -> list:
        return bot.commands.get(self._commands_key(params), [])

    @_api("deleteMyCommands")
    def _delete_my_commands(self, bot: FakeBot, params: dict) -> bool:
        bot.commands.pop(self._commands_key(params), None)
        return True

    def _set_text(self, store: dict[str, str], params: dict, key: str, limit: int) -> bool:
        value, language = str(params.get(key) or ""), str(params.get("language_code") or "")
        if len(value) > limit:
            raise _bad(f"{key} is too long")
        if value:
            store[language] = value
        else:
            store.pop(language, None)  # an empty value resets, as in Telegram
        return True

    def _get_text(self, store: dict[str, str], params: dict) -> str:
        language = str(params.get("language_code") or "")
        return store.get(language, store.get("", ""))

    @_api("setMyDescription")
    def _set_my_description(self, bot: FakeBot, params: dict) -> bool:
        return self._set_text(bot.descriptions, params, "description", 512)

    @_api("getMyDescription")
    def _get_my_description(self, bot: FakeBot, params: dict) -> dict:
        return {"description": self._get_text(bot.descriptions, params)}

    @_api("setMyShortDescription")
    def _set_my_short_description(self, bot: FakeBot, params: dict) -> bool:
        return self._set_text(bot.short_descriptions, params, "short_description", 120)

    @_api("getMyShortDescription")
    def _get_my_short_description(self, bot: FakeBot, params: dict) -> dict:
        return {"short_description": self._get_text(bot.short_descriptions, params)}

    @_api("setMyName")
    def _set_my_name(self, bot: FakeBot, params: dict) -> bool:
        self._set_text(bot.names, params, "name", 64)
        if not params.get("language_code") and params.get("name"):
            bot.first_name = str(params["name"])  # the default name is the bot's first name
        return True

    @_api("getMyName")
    def _get_my_name(self, bot: FakeBot, params: dict) -> dict:
        return {"name": self._get_text(bot.names, params) or bot.first_name}


# --------------------------------------------------------------------------- helpers


def _check_markup(markup: Any) -> None:
    """Reject keyboards Telegram rejects, so a bad keyboard fails in tests, not in production."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard button: field \"inline_keyboard\" must be "
                       "an Array of Arrays")
        for button in _flatten(rows):
            if not button.get("text"):
                raise _bad("can't parse inline keyboard button: Text must be non-empty")
            actions = _INLINE_ACTIONS & button.keys()
            if len(actions) != 1:
                raise _bad("can't parse inline keyboard button: Text buttons are unallowed in "
                           "the inline keyboard")
            if "callback_data" in button and not 1 <= len(button["callback_data"].encode()) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not str(button["url"]).startswith(("http://", "https://",
                                                                       "tg://")):
                raise _bad("BUTTON_URL_INVALID")
            if "web_app" in button and not str((button["web_app"] or {}).get("url", "")).startswith("https://"):
                raise _bad("inline keyboard button Web App URL is invalid: Only HTTPS links are allowed")
    elif "keyboard" in markup:
        if not isinstance(markup["keyboard"], list):
            raise _bad("can't parse reply keyboard markup JSON object")
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise _bad("can't parse reply keyboard markup JSON object")


def _flatten(rows: list[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield from row


_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_post_messages", "can_edit_messages",
    "can_send_welcome_messages",
)


def _chat_member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object of the given status with the fields aiogram requires."""
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "administrator":
        return {"status": status, "user": user, "can_be_edited": False, "is_anonymous": False,
                **{right: True for right in _ADMIN_RIGHTS}}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": user}
    raise ValueError(f"unsupported member status {status!r}")
