"""Bot id → `Bot`, all sharing one HTTP session.

10,000 `Bot` objects over one session cost a few MiB; a session per bot would cost a connection
pool each. The session is closed once, at shutdown, never when one tracker goes away.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from bot.session import Session


class BotRegistry:
    def __init__(self, api_base: str) -> None:
        self.session = Session(api=TelegramAPIServer.from_base(api_base))
        self._bots: dict[int, Bot] = {}

    def make(self, token: str) -> Bot:
        """A `Bot` on the shared session that is not (yet) registered."""
        return Bot(token=token, session=self.session)

    def add(self, token: str) -> Bot:
        bot = self.make(token)
        self._bots[bot.id] = bot
        return bot

    def get(self, bot_id: int) -> Bot | None:
        return self._bots.get(bot_id)

    def bots(self) -> list[Bot]:
        return list(self._bots.values())

    def remove(self, bot_id: int) -> Bot | None:
        return self._bots.pop(bot_id, None)

    def __contains__(self, bot_id: int) -> bool:
        return bot_id in self._bots

    def __len__(self) -> int:
        return len(self._bots)

    async def close(self) -> None:
        self._bots.clear()
        await self.session.close()
