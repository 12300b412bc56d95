"""A partner's channel joins or leaves: `my_chat_member` updates of the tracker bot in channels.

The person who made the bot an admin that may post (`from_user` of the update) owns the channel
on this tracker. They are told in the private chat with the bot (if they ever started it; the
channel gets a post either way). A bot that is removed or loses the right to post marks the
channel disconnected and tells the owner.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.types import ChatMember, ChatMemberUpdated

from i18n.catalog import Translator
from models import Tracker
from notify import channels
from services.filters import on_loop
from services.outbox import channel_lost

log = logging.getLogger(__name__)


def may_post(member: ChatMember) -> bool:
    return member.status == "creator" or (
        member.status == "administrator" and bool(getattr(member, "can_post_messages", False))
    )


async def _say(bot: Bot, chat_id: int, text: str) -> bool:
    try:
        await bot.send_message(chat_id, text)
        return True
    except Exception as exc:  # not started, blocked, no rights: nothing else to do here
        log.info("bot %s could not write to %s: %s", bot.id, chat_id, exc)
        return False


async def on_my_chat_member(update: ChatMemberUpdated, bot: Bot, tracker: Tracker, i18n: Translator) -> None:
    chat, owner = update.chat, update.from_user
    title = chat.title or str(chat.id)
    if may_post(update.new_chat_member):
        if may_post(update.old_chat_member):
            return  # other rights changed; still connected
        channel, fresh = await channels.connect(tracker.id, chat.id, owner.id, title)
        if fresh:
            await _say(bot, chat.id, i18n("channel-connected-post", tracker=tracker.name))
            await _say(bot, owner.id, i18n("channel-connected-owner", title=title, tracker=tracker.name))
        return
    channel = await channels.by_chat(tracker.id, chat.id)
    if channel is not None and await channel_lost(
        bot, channel, f"bot is {update.new_chat_member.status} without the right to post"
    ):
        return
    if update.new_chat_member.status == "administrator":  # added, but may not post
        await _say(bot, owner.id, i18n("channel-no-rights-owner", title=title, tracker=tracker.name))


def router() -> Router:
    r = Router(name="tracker-channels")
    r.my_chat_member.register(on_my_chat_member, on_loop(F.chat.type == "channel"))
    return r
