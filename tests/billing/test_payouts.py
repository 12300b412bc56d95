"""Payouts: the rules of asking, the admin's steps, idempotency, races and YooKassa payouts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing import payouts as po
from billing.accounts import user_account_id
from billing.ledger import INSERT_ENTRY, balance
from billing.yookassa_gateway import YooKassaGateway
from bot.crypto import SecretBox, generate_key
from i18n.catalog import translator
from models import LedgerEntry, OutboxEvent, PayoutRequest, PayoutStatus, User
from models.sql import default_connection, sql, ts
from tests.billing.helpers import wipe
from tests.fakes.telegram import plain
from tests.fakes.yookassa_server import FakeYooKassa

BOX = SecretBox(generate_key())
MIN = 50_000
CARD = "4111 1111 1111 1111"  # passes Luhn: typed into YooKassa's widget, never into the platform
TOKEN = "pt-2f3e0b6c-0001-5000-9000-1d2e3f4a5b6c"  # the card synonym the widget gave for CARD
PARTNER = 7


def card(token: str = TOKEN) -> po.Destination:
    return po.Destination.card(token, "411111", "1111", "Fake Bank")


async def fund(user_id: int, kopecks: int, source_id: int = 1) -> int:
    """An adjustment credited to the user (what an accrual does to the available balance)."""
    await User.get_or_create(id=user_id, defaults={"first_name": f"Partner{user_id}", "username": f"p{user_id}"})
    account = await user_account_id(user_id)
    conn = default_connection()
    await conn.execute_query(sql(conn, INSERT_ENTRY),
                             [account, "adjustment", "none", kopecks, "adjustment", source_id, None,
                              ts(conn, datetime.now(UTC))])
    return account


async def ask(amount: int, key: str, user_id: int = PARTNER, dest: po.Destination | None = None) -> po.Outcome:
    return await po.request_payout(BOX, user_id=user_id, amount_kopecks=amount, destination=dest or card(),
                                   request_key=key, min_kopecks=MIN)


async def payout_events(payout_id: int) -> list[str]:
    rows = await OutboxEvent.filter(kind="payout").order_by("id").values_list("dedupe_key", "params")
    return [json.loads(p)["status"] if isinstance(p, str) else p["status"]
            for k, p in rows if k.startswith(f"payout:{payout_id}:")]


# --- destinations and amounts ----------------------------------------------------------------------


def test_destinations_are_validated_and_masked():
    d = card()
    assert d.masked == "•••• 1111" and d.full == "4111 11•• •••• 1111, Fake Bank" and "TOKEN" not in repr(d)
    assert d.yookassa() == {"payout_token": TOKEN}
    assert po.Destination.from_json(d.to_json()) == d and "4111111111111111" not in d.to_json()
    for bad in [("", "411111", "1111"), ("pt-1", "411111", "1111"), (TOKEN, "41111", "1111"),
                (TOKEN, "411111", "111a"), ("pt-<script>-0001", "411111", "1111")]:
        with pytest.raises(po.PayoutError) as refused:
            po.Destination.card(*bad)
        assert refused.value.code == "payouts-card-invalid"
    with pytest.raises(po.PayoutError) as typed:  # a card number typed in the chat is not a destination any more
        po.Destination.parse(po.CARD, CARD)
    assert typed.value.code == "payouts-bad-method"
    # A row kept before the widget: its number never leaves from_json, and it cannot be paid to.
    legacy = po.Destination.from_json('{"method":"card","number":"4111111111111111"}')
    assert legacy.needs_new_card and legacy.masked == "•••• 1111" and "4111111111111111" not in legacy.full
    assert legacy.yookassa() is None and "4111111111111111" not in repr(legacy)
    sbp = po.Destination.parse(po.SBP, "8 (912) 345-67-89", "Тинькофф")
    assert sbp.number == "79123456789" and sbp.masked.endswith("67-89, Тинькофф") and "345" not in sbp.masked
    assert sbp.yookassa() is None  # YooKassa needs an SBP bank id: paid by hand
    with pytest.raises(po.PayoutError):
        po.Destination.parse(po.SBP, "12345", "Bank")
    with pytest.raises(po.PayoutError):
        po.Destination.parse(po.SBP, "+79123456789", "")
    wallet = po.Destination.parse(po.YOOMONEY, "4100 1160 7515 6746")
    assert wallet.yookassa() == {"payout_destination_data": {"type": "yoo_money", "account_number": "4100116075156746"}}
    with pytest.raises(po.PayoutError):
        po.Destination.parse(po.YOOMONEY, "1234567890123")
    assert po.Destination.from_json(sbp.to_json()) == sbp


@pytest.mark.parametrize("text, kopecks", [("1500", 150000), ("1 500,50", 150050), ("500.5 ₽", 50050), ("0.01", 1)])
def test_amounts_in_roubles(text, kopecks):
    assert po.parse_rubles(text) == kopecks


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "1.001", "1e3x"])
def test_bad_amounts(text):
    with pytest.raises(po.PayoutError):
        po.parse_rubles(text)


# --- asking ----------------------------------------------------------------------------------------


async def test_a_request_reserves_at_once_and_keeps_the_destination_encrypted(database):
    account = await fund(PARTNER, 120_000)
    outcome = await ask(70_000, "form-1")
    assert outcome.changed and outcome.payout.status == PayoutStatus.REQUESTED
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (70_000, 0, 50_000)
    row = await PayoutRequest.get(id=outcome.payout.id)
    assert TOKEN not in row.destination_encrypted and row.method == po.CARD
    assert po.Destination.from_json(BOX.decrypt(row.destination_encrypted)) == card()
    assert await payout_events(row.id) == ["requested"]  # told in the same transaction
    mine = await po.my_payouts(BOX, PARTNER)
    assert [(v.id, v.amount_kopecks, v.masked, v.status) for v in mine] == [(row.id, 70_000, "•••• 1111", "requested")]


async def test_below_the_minimum_and_above_the_balance_are_refused_clearly(database):
    account = await fund(PARTNER, 60_000)
    with pytest.raises(po.PayoutError) as low:
        await ask(MIN - 1, "low")
    with pytest.raises(po.PayoutError) as high:
        await ask(60_001, "high")
    assert (low.value.code, high.value.code) == ("payouts-below-minimum", "payouts-not-enough")
    assert await PayoutRequest.all().count() == 0 and (await balance(account)).reserved == 0
    assert await OutboxEvent.filter(kind="payout").count() == 0  # a refused request is told nothing
    ru, en = translator("ru"), translator("en")
    assert "500.00 ₽" in ru(low.value.code, minimum="500.00 ₽") and "500.00 ₽" in en(low.value.code, minimum="500.00 ₽")
    assert "600.00 ₽" in ru(high.value.code, available="600.00 ₽")
    assert high.value.params == {"available": 60_000}


async def test_the_same_form_twice_at_once_is_one_request_and_one_reservation(database):
    account = await fund(PARTNER, 100_000)
    results = await asyncio.gather(*(ask(80_000, "double-tap") for _ in range(5)))
    assert len({r.payout.id for r in results}) == 1 and sum(r.changed for r in results) == 1
    assert await PayoutRequest.all().count() == 1
    assert await LedgerEntry.filter(kind="reserve").count() == 1
    assert (await balance(account)).available == 20_000
    again = await ask(90_000, "double-tap")  # a repeat, whatever it says, changes nothing
    assert not again.changed and again.payout.amount_kopecks == 80_000


async def test_two_different_requests_at_once_cannot_overdraw(database):
    # Several rounds, one partner each: on PostgreSQL two requests once deadlocked now and then
    # (each new request's foreign key share-locks the account row the reservation then locked
    # FOR UPDATE); one round in a few dozen showed it.
    for n in range(12):
        partner = PARTNER + 100 + n
        account = await fund(partner, 100_000)
        results = await asyncio.gather(ask(70_000, f"a{n}", partner), ask(70_000, f"b{n}", partner),
                                       return_exceptions=True)
        assert sum(isinstance(r, po.Outcome) for r in results) == 1, results
        assert [r.code for r in results if isinstance(r, po.PayoutError)] == ["payouts-not-enough"], results
        b = await balance(account)
        assert (b.reserved, b.available) == (70_000, 30_000)
    assert await PayoutRequest.all().count() == 12


# --- the admin's steps -------------------------------------------------------------------------------


async def test_reject_releases_and_every_step_repeats_as_a_no_op(database):
    account = await fund(PARTNER, 200_000)
    first = (await ask(60_000, "r1")).payout
    second = (await ask(70_000, "r2")).payout
    with pytest.raises(po.PayoutError):
        await po.reject(first.id, 1, "   ")  # a reason is needed
    rejected = await po.reject(first.id, 1, "Wrong card holder")
    assert rejected.changed and rejected.payout.status == PayoutStatus.REJECTED
    assert not (await po.reject(first.id, 1, "again")).changed
    assert not (await po.mark_paid(first.id, 1, "too late")).changed  # decided already
    paid = await po.mark_paid(second.id, 2, "bank order 42")
    assert paid.changed and paid.payout.reference == "bank order 42" and paid.payout.decided_by == 2
    assert not (await po.mark_paid(second.id, 2, "bank order 42")).changed
    assert not (await po.reject(second.id, 1, "oops")).changed
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 70_000, 130_000)
    assert await payout_events(first.id) == ["requested", "rejected"]
    assert await payout_events(second.id) == ["requested", "paid"]
    assert (await PayoutRequest.get(id=first.id)).failure_reason == "Wrong card holder"
    queue, total = await po.pending_payouts(BOX)
    assert queue == [] and total == 0


async def test_two_admins_at_once_one_decision_wins(database):
    account = await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "race")).payout
    results = await asyncio.gather(po.reject(payout.id, 1, "no"), po.mark_paid(payout.id, 2, "ref"),
                                   po.reject(payout.id, 3, "no"))
    assert sum(r.changed for r in results) == 1
    final = await PayoutRequest.get(id=payout.id)
    b = await balance(account)
    if final.status == PayoutStatus.PAID:
        assert (b.paid, b.reserved, b.available) == (60_000, 0, 40_000)
    else:
        assert (b.paid, b.reserved, b.available) == (0, 0, 100_000)
    assert len(await payout_events(payout.id)) == 2


# --- YooKassa ----------------------------------------------------------------------------------------


@pytest.fixture
async def yk():
    async with FakeYooKassa() as fake:
        fake.payout_cards.known(TOKEN, CARD)
        yield fake


@pytest.fixture
async def desk(yk):
    gateway = YooKassaGateway(yk.shop_id, yk.secret_key, api_url=yk.api_url, timeout=2.0)
    desk = po.Payouts(BOX, min_kopecks=MIN, gateway=gateway)
    yield desk
    await desk.close()


async def test_yookassa_pending_then_paid_by_the_poll(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "yk1")).payout
    # Two admins press "pay" at the same moment: one decision, one payout.
    results = await asyncio.gather(desk.approve(payout.id, 1), desk.approve(payout.id, 2))
    assert sum(r.changed for r in results) == 1
    approved = next(r for r in results if r.changed)
    assert approved.payout.status == PayoutStatus.APPROVED  # YooKassa: pending
    assert not (await desk.approve(payout.id, 1)).changed  # a second press: nothing, no second payout
    assert not (await po.reject(payout.id, 1, "late")).changed  # money is moving: no rejection now
    (created,) = [r for r in yk.requests if r.method == "POST" and r.path == "/v3/payouts"]
    assert created.idempotence_key == po.idempotence_key(payout.id)
    assert created.body["payout_token"] == TOKEN and "payout_destination_data" not in created.body
    assert created.body["amount"] == {"value": "600.00", "currency": "RUB"}
    external = (await PayoutRequest.get(id=payout.id)).external_id
    assert external in yk.payouts and (await balance(account)).reserved == 60_000

    assert await desk.poll() == 0  # still pending
    yk.succeed_payout(external)
    assert await desk.poll() == 1
    assert await desk.poll() == 0
    row = await PayoutRequest.get(id=payout.id)
    assert row.status == PayoutStatus.PAID and row.reference == external
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 60_000, 40_000)
    assert await payout_events(payout.id) == ["requested", "approved", "paid"]


async def test_yookassa_paid_at_once_and_canceled_releases(database, yk, desk):
    account = await fund(PARTNER, 200_000)
    yk.payout_status = "succeeded"
    paid = await desk.approve((await ask(60_000, "now")).payout.id, 1)
    assert paid.payout.status == PayoutStatus.PAID
    yk.payout_status = "pending"
    wallet = po.Destination.parse(po.YOOMONEY, "4100116075156746")
    second = (await ask(70_000, "later", dest=wallet)).payout
    await desk.approve(second.id, 1)
    yk.cancel_payout((await PayoutRequest.get(id=second.id)).external_id, "insufficient_funds")
    assert await desk.poll() == 1
    row = await PayoutRequest.get(id=second.id)
    assert row.status == PayoutStatus.FAILED and row.failure_reason == "yookassa:insufficient_funds"
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 60_000, 140_000)
    assert await payout_events(second.id) == ["requested", "approved", "failed"]


async def test_yookassa_no_answer_is_retried_with_the_same_key_and_pays_once(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "lost")).payout
    yk.fail_next(500, processed=True)  # YooKassa made the payout but the answer was lost
    result = await desk.approve(payout.id, 1)
    assert result.payout.status == PayoutStatus.APPROVED and result.payout.external_id is None
    assert len(yk.payouts) == 1
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert await desk.poll(now=later) == 0  # found again by the key: the same payout, still pending
    assert len(yk.payouts) == 1
    (external,) = yk.payouts
    assert (await PayoutRequest.get(id=payout.id)).external_id == external
    yk.succeed_payout(external)
    assert await desk.poll(now=later) == 1
    assert (await balance(account)).paid == 60_000


async def test_yookassa_refusal_fails_and_releases(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "refused")).payout
    yk.fail_next(400)  # e.g. the payout account has no money: YooKassa answers an error
    result = await desk.approve(payout.id, 1)
    assert result.changed and result.payout.status == PayoutStatus.FAILED and result.payout.failure_reason
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 0, 100_000)
    assert await payout_events(payout.id) == ["requested", "approved", "failed"]
    assert await desk.poll(now=datetime.now(UTC) + timedelta(hours=1)) == 0  # final: never sent again
    assert len([r for r in yk.requests if r.path == "/v3/payouts"]) == 1


async def test_the_fake_checks_what_we_send(yk, desk):
    from billing.yookassa_gateway import GatewayRejected

    with pytest.raises(GatewayRejected):  # the fake refuses a card number YooKassa would refuse
        await desk.gateway.create_payout(
            100, {"payout_destination_data": {"type": "bank_card", "card": {"number": "4111111111111112"}}}, "x", "k1")
    with pytest.raises(GatewayRejected):  # no bank id
        await desk.gateway.create_payout(100, {"payout_destination_data": {"type": "sbp", "phone": "79123456789"}},
                                         "x", "k2")
    with pytest.raises(GatewayRejected) as unknown:  # a synonym the widget never issued
        await desk.gateway.create_payout(100, {"payout_token": "pt-never-issued-by-the-widget"}, "x", "k3")
    assert unknown.value.parameter == "payout_token"
    with pytest.raises(ValueError):  # one way to say where, never two
        await desk.gateway.create_payout(100, {"payout_token": TOKEN, "payout_destination_data": {}}, "x", "k4")


async def test_the_polling_job_uses_the_bound_desk(database, yk, desk):
    from scheduler import payouts as job

    await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "job")).payout
    await desk.approve(payout.id, 1)
    yk.succeed_payout((await PayoutRequest.get(id=payout.id)).external_id)
    job.bind(None)
    assert await job.poll_payouts() == 0  # nothing bound: nothing done
    job.bind(desk)
    try:
        assert await job.poll_payouts() == 1
    finally:
        job.bind(None)
    assert (await PayoutRequest.get(id=payout.id)).status == PayoutStatus.PAID


async def test_sbp_and_no_gateway_cannot_be_approved_automatically(database, desk):
    await fund(PARTNER, 100_000)
    sbp = po.Destination.parse(po.SBP, "+7 912 345 67 89", "Sber")
    payout = (await ask(60_000, "sbp", dest=sbp)).payout
    with pytest.raises(po.PayoutError) as no:
        await desk.approve(payout.id, 1)
    assert no.value.code == "payouts-no-yookassa"
    with pytest.raises(po.PayoutError):
        await po.Payouts(BOX, min_kopecks=MIN).approve(payout.id, 1)
    assert (await PayoutRequest.get(id=payout.id)).status == PayoutStatus.REQUESTED
    card_view = await po.payout_card(BOX, payout.id)
    assert card_view.full == "+79123456789, Sber" and card_view.first_name == f"Partner{PARTNER}"


# --- stuck approved payouts: closed by hand only when YooKassa cannot finish them ----------------------


async def approved_at_yookassa(desk, key: str, amount: int = 60_000) -> PayoutRequest:
    payout = (await ask(amount, key)).payout
    assert (await desk.approve(payout.id, 1)).payout.status == PayoutStatus.APPROVED
    return await PayoutRequest.get(id=payout.id)


async def test_a_payout_yookassa_is_paying_cannot_be_closed_by_hand(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = await approved_at_yookassa(desk, "moving")
    assert await desk.stuck_reason(payout.id, ask=True) is None  # YooKassa: pending
    for close in (desk.close_failed(payout.id, 2, "lost"), desk.close_paid(payout.id, 2, "ref")):
        with pytest.raises(po.PayoutError) as refused:
            await close
        assert refused.value.code == "admin-payouts-not-stuck"
    row, reason, answered = await desk.check(payout.id)
    assert (row.status, reason, answered) == (PayoutStatus.APPROVED, None, True)
    # YooKassa cannot be reached: the outcome is unknown, so still nothing is offered.
    yk.fail_next(500)
    row, reason, answered = await desk.check(payout.id)
    assert (row.status, reason, answered) == (PayoutStatus.APPROVED, None, False)
    yk.fail_next(500)
    with pytest.raises(po.PayoutError):
        await desk.close_failed(payout.id, 2, "lost")
    assert (await balance(account)).reserved == 60_000
    # A final answer found by the check is recorded as usual: nothing left to close.
    yk.succeed_payout(payout.external_id)
    row, reason, _ = await desk.check(payout.id)
    assert (row.status, reason) == (PayoutStatus.PAID, None)
    assert not (await desk.close_failed(payout.id, 2, "late")).changed
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 60_000, 40_000)


async def test_a_payout_yookassa_does_not_know_is_closed_once_by_one_of_two_admins(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = await approved_at_yookassa(desk, "forgotten")
    del yk.payouts[payout.external_id]  # YooKassa answers 404 for our id
    assert await desk.stuck_reason(payout.id) is None  # not known without asking
    row, reason, answered = await desk.check(payout.id)
    assert (row.status, reason, answered) == (PayoutStatus.APPROVED, po.STUCK_NOT_FOUND, True)
    with pytest.raises(po.PayoutError) as empty:
        await desk.close_failed(payout.id, 2, "  ")
    assert empty.value.code == "payouts-reason-empty"
    results = await asyncio.gather(desk.close_failed(payout.id, 2, "YooKassa lost it"),
                                   desk.close_paid(payout.id, 3, "bank order 9"),
                                   desk.close_failed(payout.id, 4, "twice"))
    assert sum(r.changed for r in results) == 1
    final = await PayoutRequest.get(id=payout.id)
    b = await balance(account)
    if final.status == PayoutStatus.FAILED:
        assert final.failure_reason in ("YooKassa lost it", "twice") and final.decided_by in (2, 4)
        assert (b.reserved, b.paid, b.available) == (0, 0, 100_000)
    else:
        assert final.reference == "bank order 9" and final.decided_by == 3
        assert (b.reserved, b.paid, b.available) == (0, 60_000, 40_000)
    assert await payout_events(payout.id) == ["requested", "approved", final.status.value]
    assert not (await desk.close_failed(payout.id, 2, "again")).changed  # a repeat: a no-op
    assert await LedgerEntry.filter(kind__in=["release", "payout"]).count() == 1


async def test_a_creation_never_answered_is_closable_after_the_retry_window(database, yk, desk):
    account = await fund(PARTNER, 100_000)
    payout = (await ask(60_000, "silent")).payout
    yk.fail_next(500)  # not processed: YooKassa made nothing
    assert (await desk.approve(payout.id, 1)).payout.external_id is None
    now = datetime.now(UTC)
    assert await desk.stuck_reason(payout.id, now=now + timedelta(hours=1)) is None  # the poll still retries
    assert (
        await desk.stuck_reason(payout.id, now=now + po.RETRY_CREATE_FOR + timedelta(minutes=1)) == po.STUCK_NO_ANSWER
    )
    with pytest.raises(po.PayoutError):
        await desk.close_failed(payout.id, 2, "no answer")
    # A day later (the poll has given up): closed by hand, never created again at YooKassa.
    await PayoutRequest.filter(id=payout.id).update(decided_at=now - timedelta(hours=24))
    assert await desk.poll() == 0
    row, reason, answered = await desk.check(payout.id)
    assert (row.status, reason, answered) == (PayoutStatus.APPROVED, po.STUCK_NO_ANSWER, False)
    closed = await desk.close_failed(payout.id, 2, "YooKassa never answered")
    assert closed.changed and closed.payout.status == PayoutStatus.FAILED
    assert closed.payout.failure_reason == "YooKassa never answered" and closed.payout.decided_by == 2
    assert len(yk.payouts) == 0 and len([r for r in yk.requests if r.path == "/v3/payouts"]) == 1
    b = await balance(account)
    assert (b.reserved, b.paid, b.available) == (0, 0, 100_000)
    assert await payout_events(payout.id) == ["requested", "approved", "failed"]
    rows = await OutboxEvent.filter(kind="payout", dedupe_key__startswith=f"payout:{payout.id}:failed").values_list(
        "params", flat=True
    )
    params = [json.loads(p) if isinstance(p, str) else p for p in rows]
    assert params and params[0]["reason"] == "YooKassa never answered"


async def test_with_yookassa_payouts_switched_off_an_approved_request_is_closable(database, yk, desk):
    account = await fund(PARTNER, 200_000)
    payout = await approved_at_yookassa(desk, "switched-off")
    by_hand = po.Payouts(BOX, min_kopecks=MIN)  # the same platform after YooKassa payouts were turned off
    assert await by_hand.stuck_reason(payout.id) == po.STUCK_NO_GATEWAY
    paid = await by_hand.close_paid(payout.id, 5, "  п/п   12  ")
    assert paid.changed and paid.payout.reference == "п/п 12" and paid.payout.status == PayoutStatus.PAID
    assert await by_hand.stuck_reason(payout.id) is None  # decided: nothing to close
    b = await balance(account)
    assert (b.reserved, b.paid) == (0, 60_000)
    # A request not yet approved is never "closed": it is rejected or paid through the usual steps.
    second = (await ask(MIN, "fresh")).payout
    assert not (await by_hand.close_failed(second.id, 5, "no")).changed
    assert (await PayoutRequest.get(id=second.id)).status == PayoutStatus.REQUESTED


# --- the admins hear of each new request ----------------------------------------------------------------


async def test_admins_are_told_of_a_new_request_once_each_in_its_transaction(database):
    from services.outbox import OPEN_CARD, markup, render

    await User.create(id=901, first_name="Admin", language_code="en")
    admins = [901, 902]
    desk = po.Payouts(BOX, min_kopecks=MIN, admin_ids=admins)
    await fund(PARTNER, 100_000)
    await User.filter(id=PARTNER).update(first_name="Sasha")
    first = await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=card(), request_key="n1")
    again = await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=card(), request_key="n1")
    assert first.changed and not again.changed
    for amount in (MIN - 1, 50_000):  # below the minimum; above what is left: nothing asked, nobody told
        with pytest.raises(po.PayoutError):
            await desk.request(user_id=PARTNER, amount_kopecks=amount, destination=card(), request_key=f"x{amount}")
    events = await OutboxEvent.filter(kind="payout_request").order_by("id")
    assert [(e.chat_id, e.bot_id, e.language) for e in events] == [(901, 0, "en"), (902, 0, "ru")]
    assert [e.dedupe_key for e in events] == [
        f"payout-request:{first.payout.id}:a901", f"payout-request:{first.payout.id}:a902"
    ]
    params = events[0].params if isinstance(events[0].params, dict) else json.loads(events[0].params)
    assert params == {"payout": first.payout.id, "amount": 60_000, "name": "Sasha"}
    shown = plain(render("payout_request", params, "ru"))
    assert shown == f"💸 Новая заявка на выплату №{first.payout.id}: 600,00 ₽, Sasha."
    assert "RUB 600.00, Sasha" in plain(render("payout_request", params, "en"))
    (button,) = markup("payout_request", params, "ru").inline_keyboard[0]
    assert button.text == "Открыть заявку" and button.callback_data == f"{OPEN_CARD}{first.payout.id}"
    assert markup("payout", {"payout": 1, "status": "paid"}, "ru") is None
    # An admin removed at run time (the settings' list is shared) is not told of the next one.
    admins.remove(902)
    await fund(PARTNER, 100_000, source_id=2)
    second = await desk.request(user_id=PARTNER, amount_kopecks=60_000, destination=card(), request_key="n2")
    assert await OutboxEvent.filter(kind="payout_request", dedupe_key__contains=f":{second.payout.id}:").count() == 1


# --- properties --------------------------------------------------------------------------------------

DB_EXAMPLES = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

step = st.tuples(st.sampled_from(["ask", "ask", "reject", "paid", "repeat"]),
                 st.integers(min_value=0, max_value=150_000),
                 st.integers(min_value=0, max_value=10))


@DB_EXAMPLES
@given(funds=st.integers(min_value=0, max_value=300_000), steps=st.lists(step, max_size=12))
async def test_balance_never_negative_and_the_figures_add_up(database, funds, steps):
    await wipe()
    conn = connections.get("default")
    for table in ("outbox_events", "earnings_rollup", "earnings_cursors"):
        await conn.execute_script(f"DELETE FROM {table}")
    account = await fund(PARTNER, funds) if funds else await user_account_id(
        (await User.create(id=PARTNER, first_name="P")).id)
    keys: list[str] = []
    for n, (action, amount, pick) in enumerate(steps):
        ids = [p.id for p in await PayoutRequest.all().order_by("id")]
        try:
            if action == "ask":
                keys.append(f"k{n}")
                await ask(amount, keys[-1])
            elif action == "repeat" and keys:
                await ask(amount, keys[pick % len(keys)])
            elif action == "reject" and ids:
                await po.reject(ids[pick % len(ids)], 1, "no")
            elif action == "paid" and ids:
                await po.mark_paid(ids[pick % len(ids)], 1, "ref")
        except po.PayoutError as exc:
            assert exc.code in ("payouts-below-minimum", "payouts-not-enough")
        b = await balance(account)
        rows = await PayoutRequest.all()
        held = sum(p.amount_kopecks for p in rows if p.status in po.PENDING)
        paid = sum(p.amount_kopecks for p in rows if p.status == PayoutStatus.PAID)
        assert b.available >= 0
        assert (b.reserved, b.paid) == (held, paid) and held == await po.reserved_total()
        assert b.available == funds - held - paid
        assert await LedgerEntry.filter(kind="reserve").count() == len(rows)  # one reservation per request
