from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Button

import referral
from dialogs.platform.states import PartnersSG
from services.trackers import TrackerError


async def on_open_partners(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """The "Partners" button on the tracker card."""
    await manager.start(PartnersSG.main, data={"tracker_id": (manager.start_data or {}).get("tracker_id")})


async def on_create_partner_link(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    i18n = data["i18n"]
    try:
        tracker = await data["trackers"].owned(data["user"].id, int((manager.start_data or {})["tracker_id"]))
        link = await referral.create_link(tracker.id, data["user"].id, i18n("partners-link-label"), makes_partner=True)
    except TrackerError:
        await callback.answer(i18n("tracker-not-found"), show_alert=True)
        return
    except referral.ReferralError as exc:
        await callback.answer(i18n(exc.code), show_alert=True)
        return
    manager.dialog_data["new_link_id"] = link.id
    await manager.switch_to(PartnersSG.new_link)
