"""Payouts: a partner or an author takes money out of their balance (issue 7).

The package: `destinations` (where the money goes), `requests` (asking, and the request as
screens show it), `decisions` (the admin refuses or pays by hand), `desk` (`Payouts`: all of it
with the YooKassa payout account), `common` (the step every change of status takes).

The life of a request, each step one short transaction that also writes the requester's
notification (`notify.events.payout_changed`):

    requested --approve--> approved --YooKassa succeeded--> paid
        |                      |----YooKassa canceled/refused--> failed (reservation released)
        |                      `----stuck: the admin closes it by hand--> failed or paid
        |--mark paid by hand (with a reference)--> paid
        `--reject (with a reason)--> rejected (reservation released)

- Asking reserves the amount in the ledger in the same transaction that writes the request, and
  the request's `request_key` (made when the cabinet's form opens) is unique: a double tap, or two
  workers sending the same form, make one row and one reservation.
- Every decision is a conditional UPDATE on the current status, so of two admins pressing at once
  exactly one moves the request; the other gets `changed=False` and the state as it is now.
  Repeating a step is a no-op for the same reason, and the ledger's unique key backs it up.
- YooKassa is called only between transactions. Its idempotence key is derived from the request's
  id, so a retry after a timeout (by the admin or by the polling job) finds the same payout instead
  of paying twice. A payout YooKassa keeps `pending` stays `approved` until `poll_payouts` sees it
  final.

Destinations are kept encrypted (the secret box of `bot.crypto`, passed in: no `bot` import here);
screens show them masked, the admin's payout card shows a phone or a wallet in full to pay by hand.
A card is never a number: YooKassa's payout widget (the Mini App) gives a card synonym and its mask
(`cards`), paid to with `payout_token`; a card number kept before the widget is shown masked only
and never paid to again (the partner adds the card again). Without the YooKassa payout account no
card is offered at all: nothing else could pay to a synonym. An SBP payout
through YooKassa needs the bank's SBP id, which people do not know, so SBP requests are paid by hand.

A request can get stuck in `approved`: YooKassa never answered its creation and the retry window
is over, YooKassa says it has no payout under our id, or YooKassa payouts were switched off since.
Only then (`Payouts.stuck_reason`, asked again right before the step) may the admin close it by
hand: failed (the reservation comes back) or paid with a reference. While YooKassa reports the
payout pending, or cannot be reached, nothing is offered: the money may still be on its way.
"""

from billing.payouts.cards import current_card, forget_card, save_card, scrub_card_numbers
from billing.payouts.common import (
    PENDING,
    REASON_MAX,
    REFERENCE_MAX,
    YOOKASSA_REASON,
    Outcome,
    PayoutError,
    SecretBoxLike,
    reason_text,
)
from billing.payouts.decisions import mark_paid, reject
from billing.payouts.desk import (
    RETRY_CREATE_FOR,
    STUCK_NO_ANSWER,
    STUCK_NO_GATEWAY,
    STUCK_NOT_FOUND,
    Payouts,
    idempotence_key,
)
from billing.payouts.destinations import (
    CARD,
    METHODS,
    SBP,
    YOOMONEY,
    Destination,
    check_card,
    parse_bank,
    parse_phone,
    parse_rubles,
    parse_wallet,
)
from billing.payouts.requests import (
    PayoutView,
    my_payouts,
    payout_card,
    pending_payouts,
    request_payout,
    reserved_total,
)

__all__ = [
    "CARD",
    "METHODS",
    "PENDING",
    "REASON_MAX",
    "REFERENCE_MAX",
    "RETRY_CREATE_FOR",
    "SBP",
    "STUCK_NOT_FOUND",
    "STUCK_NO_ANSWER",
    "STUCK_NO_GATEWAY",
    "YOOKASSA_REASON",
    "YOOMONEY",
    "Destination",
    "Outcome",
    "PayoutError",
    "PayoutView",
    "Payouts",
    "SecretBoxLike",
    "check_card",
    "current_card",
    "forget_card",
    "idempotence_key",
    "mark_paid",
    "my_payouts",
    "parse_bank",
    "parse_phone",
    "parse_rubles",
    "parse_wallet",
    "payout_card",
    "pending_payouts",
    "reason_text",
    "reject",
    "request_payout",
    "save_card",
    "scrub_card_numbers",
    "reserved_total",
]
