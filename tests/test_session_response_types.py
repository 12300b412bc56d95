"""bot.session.Session: aiogram's answer model `Response[T]` is built once per return type, not
once per answer (pydantic's cache of parametrized generics holds them weakly, so without the
session a collection between two answers makes pydantic build the class again)."""

from __future__ import annotations

import gc
import json
import weakref

from aiogram import Bot
from aiogram.methods import GetMe
from aiogram.types import User

from bot.session import Session

TOKEN = "42:" + "A" * 35
ANSWER = json.dumps({"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "Bot"}})


def test_one_response_class_serves_every_answer():
    session = Session()
    bot = Bot(TOKEN, session=session)
    classes = []
    for _ in range(3):
        answer = session.check_response(bot, GetMe(), 200, ANSWER)
        assert isinstance(answer.result, User) and answer.result.id == 42
        classes.append(weakref.ref(type(answer)))
        del answer
        gc.collect()  # what a busy process does between two answers
    assert classes[0]() is not None and all(ref() is classes[0]() for ref in classes)
