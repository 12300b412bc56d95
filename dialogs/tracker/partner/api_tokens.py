"""The cabinet's API tokens (issue 18): the live ones by their last characters, a new one for this
tracker or for all, revoke. A new token is sent once as its own message and kept nowhere (not
even in the dialog's state, which lives in the FSM storage): only its hash is stored."""

from __future__ import annotations

import logging
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button, Column, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from dialogs.tracker.states import PartnerSG
from dialogs.widgets import Tr, flashes, screen_window
from i18n.format import day
from models import Tracker, User
from services.web.tokens import TooManyTokens, active_tokens, create_token, revoke_token

log = logging.getLogger(__name__)


def webapp_url(settings: Any, tracker: Tracker) -> str:
    """The Mini App's address for this tracker bot, or "" when WEBAPP_BASE_URL is not set."""
    base = getattr(settings, "webapp_base_url", None) if settings is not None else None
    return f"{base}/app/tracker/{tracker.bot_id}" if base else ""


async def tokens_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, settings, **_: Any) -> dict:
    rows = await active_tokens(user.id)
    lines = [i18n("partner-api-token-line", hint=t.hint, created=day(t.created_at, settings.timezone, lang=i18n.lang),
                  scope=i18n("partner-api-scope-tracker") if t.tracker_id else "") for t in rows]
    base = settings.webapp_base_url or settings.webhook_base_url or ""
    return {
        "docs": f"{base}/api/openapi.json" if base else "/api/openapi.json",
        "count": len(rows),
        "has_tokens": bool(rows),
        "no_tokens": not rows,
        "tokens_text": "\n".join(lines),
        "tokens": [{"id": t.id, "label": i18n("partner-btn-api-revoke", hint=t.hint)} for t in rows],
        **flashes(dialog_manager, i18n),
    }


async def _create(callback: CallbackQuery, manager: DialogManager, *, this_tracker: bool) -> None:
    tracker, user, i18n = (manager.middleware_data[k] for k in ("tracker", "user", "i18n"))
    try:
        _, token = await create_token(user.id, tracker.id if this_tracker else None)
    except TooManyTokens:
        manager.dialog_data["error"] = "partner-api-too-many"
        return
    await callback.answer()
    # Its own message, so that the window re-drawn below can never carry it into the dialog's state.
    await callback.message.answer(i18n("partner-api-created", token=token))  # type: ignore[union-attr]
    manager.show_mode = ShowMode.SEND


async def on_new_for_tracker(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _create(callback, manager, this_tracker=True)


async def on_new_for_all(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _create(callback, manager, this_tracker=False)


async def on_revoke(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    user = manager.middleware_data["user"]
    try:
        revoked = await revoke_token(user.id, int(item_id))
    except ValueError:
        revoked = False
    if not revoked:
        log.info("partner cabinet: user %s tried to revoke token %r that is not a live one of theirs", user.id, item_id)
    if revoked:
        manager.dialog_data["notice"] = "partner-api-revoked"
    else:
        manager.dialog_data["error"] = "partner-api-not-found"


def tokens_window(back: SwitchTo):
    return screen_window(
        (Tr("partner-api-title"), Tr("partner-api-list", when="has_tokens"), Format("{tokens_text}", when="has_tokens"),
         Tr("partner-api-empty", when="no_tokens")),
        LinkPreview(is_disabled=True),
        ScrollingGroup(
            Select(Format("{item[label]}"), id="tok", item_id_getter=itemgetter("id"), items="tokens",
                   type_factory=str, on_click=on_revoke),
            id="tok_page", width=1, height=5, hide_on_single_page=True,
        ),
        Column(
            Button(Tr("partner-btn-api-new-tracker"), id="tok_new", on_click=on_new_for_tracker),
            Button(Tr("partner-btn-api-new-all"), id="tok_all", on_click=on_new_for_all),
        ),
        back,
        state=PartnerSG.api,
        getter=tokens_getter,
    )
