"""The nudge after a client's first payment: "you can now earn", their own link, a one-tap share."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime

from billing.payments import record_payment
from dialogs.tracker.partner.dialogs import OPEN_CABINET
from models import InviteLink, OutboxEvent, PaymentProvider, PlanKind
from notify import events, notices
from referral import create_link, record_start
from services import outbox as delivery
from tests.billing.helpers import make_tracker

PAID_AT = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


async def _pay(tracker, user_id: int, charge: str):
    return await record_payment(
        tracker_id=tracker.id, user_id=user_id, provider=PaymentProvider.TELEGRAM, external_id=charge,
        plan_kind=PlanKind.MONTH, price_kopecks=200_000, currency="RUB", amount_minor=200_000, paid_at=PAID_AT,
    )


async def _nudges() -> list[OutboxEvent]:
    return [e for e in await OutboxEvent.filter(kind=events.CLIENT_NOTICE).order_by("id")
            if e.params.get("key") == notices.EARN_NUDGE]


async def test_the_first_payment_brings_a_link_of_ones_own_right_after_the_paid_notice(database):
    tracker = await make_tracker()
    await record_start(tracker.id, 42, None)
    await _pay(tracker, 42, "ch-1")
    notices_sent = await OutboxEvent.filter(chat_id=42).order_by("id")
    assert [e.params["key"] for e in notices_sent] == ["payment-success", notices.EARN_NUDGE]
    link = await InviteLink.get(owner_id=42)
    url = f"https://t.me/{tracker.username}?start={link.code}"
    assert notices_sent[1].params == {"key": notices.EARN_NUDGE, "name": tracker.name, "url": url}
    assert url in delivery.render(events.CLIENT_NOTICE, notices_sent[1].params, "en")

    # The buttons: share in one tap (Telegram's share URL with the link and a line about the
    # tracker), and the cabinet, answered by the tracker's partner router.
    keyboard = delivery.markup(events.CLIENT_NOTICE, notices_sent[1].params, "ru").inline_keyboard
    share = urllib.parse.urlsplit(keyboard[0][0].url)
    assert (share.netloc, share.path) == ("t.me", "/share/url")
    query = urllib.parse.parse_qs(share.query)
    assert query["url"] == [url] and tracker.name in query["text"][0]
    assert keyboard[1][0].callback_data == OPEN_CABINET == delivery.OPEN_CABINET

    # A second payment, and the same charge again, bring no second nudge and no second link.
    await _pay(tracker, 42, "ch-2")
    await _pay(tracker, 42, "ch-1")
    assert len(await _nudges()) == 1 and await InviteLink.filter(owner_id=42).count() == 1


async def test_the_nudge_reuses_a_live_client_link_and_skips_the_author(database):
    tracker = await make_tracker()
    partner_invite = await create_link(tracker.id, tracker.author_id, makes_partner=True)
    await record_start(tracker.id, 43, partner_invite.code)  # a partner already, with links of their own
    old = await create_link(tracker.id, 43, "old")
    newest = await create_link(tracker.id, 43, "newest")
    await create_link(tracker.id, 43, "recruits", makes_partner=True)
    archived = await create_link(tracker.id, 43, "archived")
    archived.archived = True
    await archived.save()
    await _pay(tracker, 43, "ch-3")
    (nudge,) = await _nudges()
    assert nudge.params["url"].endswith(f"?start={newest.code}") and old.code not in nudge.params["url"]

    await _pay(tracker, tracker.author_id, "ch-4")  # the author trying their own bot: no nudge
    assert len(await _nudges()) == 1
    # Nothing else in the message carries a button.
    assert delivery.markup(events.CLIENT_NOTICE, {"key": "payment-success", "url": "x"}, "ru") is None
