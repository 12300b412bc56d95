"""Magic filters checked on the event loop.

aiogram runs every callback that is not a coroutine function in a thread (`CallableObject.call`:
`asyncio.to_thread`), and a bare `F.text` registered as a filter is one: its `resolve`. An update
that reaches the conversation passed half a dozen of them, each a hop to the default executor and
back (with the GIL handed over twice) to read an attribute. `on_loop(F...)` is the same check as an
async filter, so aiogram awaits it in place.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.utils.magic_filter import MagicFilter


class OnLoop(Filter):
    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: Any) -> Any:
        # What aiogram's FilterObject does with a magic filter, minus the thread: a falsy result
        # rejects, a dict result is merged into the handler's data.
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"on_loop({self.magic!r})"


def on_loop(magic: MagicFilter) -> OnLoop:
    return OnLoop(magic)
