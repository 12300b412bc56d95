"""A menu that went out of date under a button the person already pressed still ends in a menu.

A handler that answered its button (a "deleted" alert) and then finds its dialog gone raises
UnknownIntent; the recovery answers the button too, Telegram refuses a second answer, and the
recovery used to stop there: the author saw nothing. The dialog state is removed here in the
middle of the delete, as a lost or reset state would.
"""

from __future__ import annotations

import pytest

from models import FsmRecord, Tracker, TrackerStatus
from services.trackers import Stopped, TrackerService
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_a_dialog_lost_after_the_button_was_answered_still_shows_the_menu(tg, database_url, tmp_path,
                                                                                  monkeypatch):
    token = tracker_token(7)
    tg.add_bot(token, "lost_bot", "Lost")
    author = tg.user(1007, "Nina", language_code="en")
    delete = TrackerService.delete

    async def delete_and_lose_the_dialog(self, author_id: int, tracker_id: int) -> Stopped:
        stopped = await delete(self, author_id, tracker_id)
        await FsmRecord.filter(key__contains="aiogd:context").delete()
        return stopped

    monkeypatch.setattr(TrackerService, "delete", delete_and_lose_the_dialog)
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_text(PLATFORM, "New tracker")
        await author.click(menu, "➕ New tracker")
        await author.wait_for_text(PLATFORM, "@BotFather")
        await author.send(PLATFORM, token)
        card = await author.wait_for_text(PLATFORM, "is live")

        await author.click(card, "🗑 Delete")
        confirm = await author.wait_for_text(PLATFORM, "Delete the tracker")
        await author.click(confirm, "Yes, delete")
        await author.wait_for_text(PLATFORM, "You have no trackers yet")
        assert (await Tracker.get(username="lost_bot")).status == TrackerStatus.DELETED
