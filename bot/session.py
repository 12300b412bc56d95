"""aiogram's HTTP session, without a new pydantic model class for every answer Telegram sends.

aiogram validates each answer with `Response[method.__returning__]`. pydantic keeps parametrized
generic models in a WeakValueDictionary, and nothing else holds `Response[Message]` once the
answer is read, so the class is collected and built again, schema and all, for the next
`sendMessage`: in `benchmarks/webhook_load.py`'s profile about 4% of a worker's time. Holding each
parametrized class once (a few dozen, one per return type) makes pydantic's cache hit.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod

_KEPT: dict[Any, type] = {}  # the method's return type -> Response[it], alive for the process


def keep_response_type(returning: Any) -> type:
    kept = _KEPT.get(returning)
    if kept is None:
        kept = _KEPT[returning] = Response[returning]
    return kept


class Session(AiohttpSession):
    def check_response(self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str) -> Response[Any]:
        keep_response_type(method.__returning__)
        return super().check_response(bot, method, status_code, content)
