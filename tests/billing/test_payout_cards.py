"""Payout cards through YooKassa's card synonym: the widget's token and mask kept encrypted, paid
with `payout_token`, a request paid only when YooKassa says succeeded (its notification or the
poll), released when it cancels; every refusal the real API gives, and the rows from before."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing import payouts as po
from billing.ledger import balance
from billing.yookassa_gateway import GatewayRejected, YooKassaGateway
from models import OutboxEvent, PayoutCard, PayoutRequest, PayoutStatus, User
from services.outbox import render
from tests.billing.test_payouts import BOX, MIN, PARTNER, fund, payout_events
from tests.fakes.telegram import plain
from tests.fakes.yookassa_server import FakeYooKassa
from tests.fakes.yookassa_widget import TEST_CARD

NUMBER = TEST_CARD.replace(" ", "")


@pytest.fixture
async def yk():
    async with FakeYooKassa() as fake:
        yield fake


@pytest.fixture
async def desk(yk):
    gateway = YooKassaGateway(yk.shop_id, yk.secret_key, api_url=yk.api_url, timeout=2.0)
    desk = po.Payouts(BOX, min_kopecks=MIN, gateway=gateway)
    yield desk
    await desk.close()


async def widget_card(yk, user_id: int = PARTNER) -> po.Destination:
    """The partner typed TEST_CARD into the widget; the page posted what it got back."""
    given = yk.payout_cards.issue(TEST_CARD)
    return await po.save_card(BOX, user_id, token=given["payout_token"], first6=given["first6"],
                              last4=given["last4"], issuer=given["issuer_name"])


async def ask_with_card(desk, amount: int, key: str, user_id: int = PARTNER) -> PayoutRequest:
    card = await desk.saved_card(user_id)
    assert card is not None
    return (await desk.request(user_id=user_id, amount_kopecks=amount, destination=card, request_key=key)).payout


async def notice(payout_id: int, status: str) -> str:
    """The requester's notice of that step, rendered in the language it was written for."""
    event = await OutboxEvent.get(kind="payout", dedupe_key__startswith=f"payout:{payout_id}:{status}:")
    params = event.params if isinstance(event.params, dict) else json.loads(event.params)
    return plain(render("payout", params, event.language))


def no_card_number_sent(yk) -> bool:
    return all(NUMBER not in json.dumps(r.body) for r in yk.requests)


async def test_the_widgets_card_is_kept_encrypted_one_per_person(database, yk, desk):
    await fund(PARTNER, 100_000)
    assert await desk.saved_card(PARTNER) is None
    card = await widget_card(yk)
    row = await PayoutCard.get(user_id=PARTNER)
    assert card.token not in row.destination_encrypted and "4477" not in row.destination_encrypted
    assert await desk.saved_card(PARTNER) == card and card.masked == "•••• 4477"
    again = await widget_card(yk)  # a new synonym (or another card) replaces the first
    assert await PayoutCard.filter(user_id=PARTNER).count() == 1 and await desk.saved_card(PARTNER) == again
    for bad in ({"token": "", "first6": "555555", "last4": "4477"},
                {"token": again.token, "first6": "5555", "last4": "4477"},
                {"token": again.token, "first6": "555555", "last4": NUMBER}):
        with pytest.raises(po.PayoutError) as refused:
            await po.save_card(BOX, PARTNER, **bad)
        assert refused.value.code == "payouts-card-invalid"
    assert await desk.saved_card(PARTNER) == again  # a refused one changes nothing


async def test_paid_with_the_token_only_when_yookassa_says_succeeded(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    await widget_card(yk)
    payout = await ask_with_card(desk, 60_000, "tok1")
    approved = await desk.approve(payout.id, 1)
    assert approved.changed and approved.payout.status == PayoutStatus.APPROVED  # YooKassa: pending
    (sent,) = [r for r in yk.requests if r.method == "POST" and r.path == "/v3/payouts"]
    assert sent.body["payout_token"] == (await desk.saved_card(PARTNER)).token
    assert "payout_destination_data" not in sent.body and no_card_number_sent(yk)
    assert not (await desk.approve(payout.id, 2)).changed  # a repeated approve: no second payout
    assert len([r for r in yk.requests if r.path == "/v3/payouts"]) == 1

    external = (await PayoutRequest.get(id=payout.id)).external_id
    assert (await desk.notified(external)).status == PayoutStatus.APPROVED  # still pending: nothing moves
    yk.succeed_payout(external)
    assert (await desk.notified(external)).status == PayoutStatus.PAID
    assert (await desk.notified(external)).status == PayoutStatus.PAID  # the notification again: nothing more
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 60_000, 40_000)
    assert await payout_events(payout.id) == ["requested", "approved", "paid"]


async def test_an_unknown_token_fails_releases_and_asks_for_the_card_again(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    await User.filter(id=PARTNER).update(language_code="en")
    # A synonym of the right shape that YooKassa never issued (another account's, or made up).
    await po.save_card(BOX, PARTNER, token="pt-0000000-never-issued", first6="555555", last4="4477")
    payout = await ask_with_card(desk, 60_000, "unknown")
    failed = await desk.approve(payout.id, 1)
    assert failed.payout.status == PayoutStatus.FAILED and failed.payout.failure_reason == "yookassa:payout_token"
    assert (await balance(account)).available == 100_000 and yk.payouts == {}
    assert await desk.saved_card(PARTNER) is None  # the partner adds the card again before the next payout
    text = await notice(payout.id, "failed")
    assert "600.00" in text and "YooKassa did not accept the card — please add it again" in text


async def test_over_the_payout_balance_yookassa_cancels_and_the_money_comes_back(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    await widget_card(yk)
    yk.payout_balance = Decimal("100.00")  # the platform's payout account holds 100 ₽
    payout = await ask_with_card(desk, 60_000, "short")
    failed = await desk.approve(payout.id, 1)
    assert failed.payout.status == PayoutStatus.FAILED and failed.payout.failure_reason == "yookassa:insufficient_funds"
    assert (await balance(account)).available == 100_000 and yk.payout_balance == Decimal("100.00")
    assert "на балансе выплат платформы не хватило денег" in await notice(payout.id, "failed")
    # Topped up, the partner asks again (a new request, a new key): paid this time.
    yk.payout_balance = Decimal("10000.00")
    again = await ask_with_card(desk, 60_000, "short-2")
    assert (await desk.approve(again.id, 1)).payout.status == PayoutStatus.APPROVED
    assert yk.payout_balance == Decimal("9400.00")


async def test_canceled_later_is_released_once_whatever_the_notifications(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    await widget_card(yk)
    payout = await ask_with_card(desk, 60_000, "cancel")
    await desk.approve(payout.id, 1)
    external = (await PayoutRequest.get(id=payout.id)).external_id
    yk.cancel_payout(external, "rejected_by_payee")
    first, second = await desk.notified(external), await desk.notified(external)
    assert first.status == second.status == PayoutStatus.FAILED
    assert first.failure_reason == "yookassa:rejected_by_payee"
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 0, 100_000)
    assert await payout_events(payout.id) == ["requested", "approved", "failed"]
    assert await desk.poll() == 0  # final: never asked about again
    assert "банк получателя отклонил перевод" in await notice(payout.id, "failed")


async def test_a_notification_for_a_payout_that_is_not_ours_changes_nothing(database, yk, desk):
    await fund(PARTNER, 100_000)
    with pytest.raises(GatewayRejected) as unknown:  # YooKassa itself does not know it
        await desk.notified("po-00000000-0000-0000-0000-000000000000")
    assert unknown.value.status == 404
    given = yk.payout_cards.issue(TEST_CARD)
    foreign = await desk.gateway.create_payout(100, {"payout_token": given["payout_token"]}, "elsewhere", "k-foreign")
    yk.succeed_payout(foreign.id)
    assert await desk.notified(foreign.id) is None  # a payout made outside the platform
    assert await PayoutRequest.filter(status=PayoutStatus.PAID).count() == 0


async def test_the_creations_answer_lost_is_found_by_the_notification(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    await widget_card(yk)
    payout = await ask_with_card(desk, 60_000, "lost")
    yk.fail_next(500, processed=True)  # YooKassa made the payout; its answer never came
    assert (await desk.approve(payout.id, 1)).payout.external_id is None
    (external,) = yk.payouts
    yk.succeed_payout(external)
    assert (await desk.notified(external)).status == PayoutStatus.PAID  # found by its metadata
    assert (await PayoutRequest.get(id=payout.id)).external_id == external
    assert (await balance(account)).paid == 60_000


async def test_card_numbers_kept_before_the_widget_are_masked_and_never_paid_again(database, yk, desk):
    account = await fund(PARTNER, 200_000)
    wallet = po.Destination.parse(po.YOOMONEY, "4100116075156746")
    old = (await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=wallet, request_key="old")).payout
    # What an earlier version wrote for a card request: the full number, encrypted.
    await PayoutRequest.filter(id=old.id).update(
        method=po.CARD, destination_encrypted=BOX.encrypt(json.dumps({"method": "card", "number": "4111111111111111"})))
    (mine,) = await desk.mine(PARTNER)
    assert mine.masked == "•••• 1111" and mine.needs_new_card
    card = await desk.card(old.id)  # the admin's card: never the number again
    assert "4111111111111111" not in card.full and "4111 1111 1111" not in card.full and card.full.endswith("1111")
    with pytest.raises(po.PayoutError) as refused:
        await desk.approve(old.id, 1)
    assert refused.value.code == "admin-payouts-card-add-again"
    assert (await PayoutRequest.get(id=old.id)).status == PayoutStatus.REQUESTED and yk.requests == []
    assert (await desk.reject(old.id, 1, "please add the card again")).changed
    assert (await balance(account)).available == 200_000
    legacy = po.Destination.from_json('{"method":"card","number":"4111111111111111"}')
    with pytest.raises(po.PayoutError) as again:  # and never asked for with it again
        await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=legacy, request_key="old-2")
    assert again.value.code == "payouts-card-add-again"


async def test_without_the_payout_account_no_card_is_offered_and_requests_stay_manual(database, yk):
    manual = po.Payouts(BOX, min_kopecks=MIN)
    assert not manual.cards_enabled and not manual.can_pay_automatically(po.CARD)
    await fund(PARTNER, 100_000)
    await widget_card(yk)  # a card saved while payouts were on
    payout = await ask_with_card(manual, 60_000, "manual")
    with pytest.raises(po.PayoutError) as no:
        await manual.approve(payout.id, 1)
    assert no.value.code == "payouts-no-yookassa"
    view = await manual.card(payout.id)
    assert view.full.startswith("5555 55•• ••••") and view.full.endswith("4477, Fake Bank")
    assert await manual.notified("po-anything") is None


async def test_card_numbers_at_rest_are_scrubbed_to_their_mask_once(database, yk, desk):
    await fund(PARTNER, 200_000)
    wallet = po.Destination.parse(po.YOOMONEY, "4100116075156746")
    old = (await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=wallet, request_key="old")).payout
    await PayoutRequest.filter(id=old.id).update(
        method=po.CARD, destination_encrypted=BOX.encrypt(json.dumps({"method": "card", "number": "4111111111111111"})))
    await widget_card(yk)
    new = await ask_with_card(desk, 60_000, "new")
    kept = (await PayoutRequest.get(id=new.id)).destination_encrypted
    assert await po.scrub_card_numbers(BOX) == 1
    assert await po.scrub_card_numbers(BOX) == 0  # the next start finds nothing left
    stored = json.loads(BOX.decrypt((await PayoutRequest.get(id=old.id)).destination_encrypted))
    assert stored == {"method": "card", "first6": "411111", "last4": "1111"}
    assert (await PayoutRequest.get(id=new.id)).destination_encrypted == kept  # a synonym is left alone
    (view,) = [v for v in await desk.mine(PARTNER) if v.id == old.id]
    assert view.masked == "•••• 1111" and view.needs_new_card
    with pytest.raises(po.PayoutError) as refused:
        await desk.approve(old.id, 1)
    assert refused.value.code == "admin-payouts-card-add-again"


async def test_the_chat_asks_for_the_card_in_the_mini_app_and_says_why_again(database, yk, desk):
    from types import SimpleNamespace

    from dialogs.tracker.payouts import getters
    from i18n.catalog import translator

    await fund(PARTNER, 200_000)
    user, i18n = await User.get(id=PARTNER), translator("ru")
    tracker = SimpleNamespace(bot_id=4242)
    manager = SimpleNamespace(dialog_data={}, middleware_data={
        "tracker": tracker, "settings": SimpleNamespace(webapp_base_url="https://cabinet.example.test")})
    wallet = po.Destination.parse(po.YOOMONEY, "4100116075156746")
    old = (await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=wallet, request_key="old")).payout
    await PayoutRequest.filter(id=old.id).update(
        method=po.CARD, destination_encrypted=BOX.encrypt(json.dumps({"method": "card", "number": "4111111111111111"})))
    shown = await getters.card_getter(manager, desk, user, i18n)
    assert shown["card_url"] == "https://cabinet.example.test/app/tracker/4242/card"
    assert shown["card_again"] and not shown["has_card"]  # their old card number: asked to add it again
    await widget_card(yk)
    shown = await getters.card_getter(manager, desk, user, i18n)
    assert shown["has_card"] and shown["masked"] == "•••• 4477" and not shown["card_again"]
    methods = await getters.method_getter(manager, desk, i18n)
    assert "card" in [m["id"] for m in methods["methods"]]
    without = await getters.method_getter(manager, po.Payouts(BOX, min_kopecks=MIN), i18n)
    assert "card" not in [m["id"] for m in without["methods"]]
    manager.middleware_data["settings"] = SimpleNamespace(webapp_base_url=None)
    assert (await getters.card_getter(manager, desk, user, i18n))["no_webapp"]


async def test_two_tabs_saving_at_once_leave_one_card(database, yk):
    import asyncio

    given = [yk.payout_cards.issue(TEST_CARD) for _ in range(4)]
    await asyncio.gather(*(po.save_card(BOX, PARTNER, token=g["payout_token"], first6=g["first6"], last4=g["last4"])
                           for g in given))
    assert await PayoutCard.filter(user_id=PARTNER).count() == 1
    assert (await po.current_card(BOX, PARTNER)).token in {g["payout_token"] for g in given}
