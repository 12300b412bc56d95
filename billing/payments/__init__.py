"""Payments: from a signed invoice or a YooKassa payment to a subscription, exactly once.

Domain code, no aiogram. The three ways to pay meet here:

- **Telegram Payments** (a provider token, RUB in kopecks) and **Telegram Stars** (XTR): the invoice
  carries a signed payload (`encode_payload`), checked at pre-checkout (`check_invoice`) and again
  at the successful payment. Nothing is stored between the invoice and the payment, so a restart
  in between loses nothing.
- **YooKassa links**: a `Checkout` row is written before the API is called and its idempotence
  key goes with every attempt, so a timeout and a retry never make two payments. A notification
  is only a hint: `YooKassaPayments.confirm` re-fetches the payment and trusts only that.

`record_payment` is the one place a charge becomes a subscription: the `Payment` row (unique per
provider and charge id), the inviter lock and the subscription with its periods, in one
transaction. A duplicate update or a repeated notification finds the payment and changes nothing.

The package: `invoices` (Telegram payloads and checks), `recording` (a charge becomes a
subscription; a refund is recorded), `yookassa` (links, confirmations, saved-method renewals),
`refunds` (the admin's refund), `renewals` (reminders, due renewals, /subscription).
"""

from billing.payments.invoices import (
    METHOD_STARS,
    METHOD_TELEGRAM,
    PAYLOAD_VERSION,
    RUB,
    STARS_SUBSCRIPTION_PERIOD,
    XTR,
    InvalidPayload,
    InvoiceCheck,
    InvoiceTerms,
    Signer,
    check_invoice,
    decode_payload,
    encode_payload,
    expected_amount,
    stars_for,
)
from billing.payments.recording import (
    PaymentOutcome,
    RefundNotPossible,
    RefundOutcome,
    collector_for,
    record_payment,
    record_telegram_payment,
    refund_recorded,
)
from billing.payments.refunds import StarsRefunder, refund_payment
from billing.payments.renewals import (
    REMIND_1D,
    REMIND_3D,
    RENEW_PRICE_CALLBACK,
    RENEW_PRICE_KEY,
    RENEWAL_FAILED,
    RENEWAL_PRICE,
    Reminder,
    RenewalTerms,
    SubscriptionState,
    agree_to_price,
    due_reminders,
    due_yookassa_renewals,
    notify_once,
    renewal_failed,
    renewal_terms,
    set_auto_renew,
    stars_renewal_amount,
    subscription_state,
)
from billing.payments.yookassa import ConfirmResult, RenewalResult, YooKassaNotConfigured, YooKassaPayments
from billing.yookassa_gateway import GatewayError

__all__ = [
    "METHOD_STARS", "METHOD_TELEGRAM", "PAYLOAD_VERSION", "REMIND_1D", "REMIND_3D", "RENEWAL_FAILED", "RUB",
    "RENEW_PRICE_CALLBACK", "RENEW_PRICE_KEY", "RENEWAL_PRICE", "RenewalTerms", "agree_to_price", "renewal_terms",
    "STARS_SUBSCRIPTION_PERIOD", "XTR", "ConfirmResult", "GatewayError", "InvalidPayload", "InvoiceCheck",
    "InvoiceTerms", "PaymentOutcome", "RefundNotPossible", "RefundOutcome", "Reminder", "RenewalResult", "Signer",
    "StarsRefunder", "SubscriptionState", "YooKassaNotConfigured", "YooKassaPayments", "check_invoice",
    "collector_for", "notify_once", "decode_payload", "due_reminders", "due_yookassa_renewals", "encode_payload",
    "expected_amount", "record_payment", "record_telegram_payment", "refund_payment", "refund_recorded",
    "renewal_failed",
    "set_auto_renew", "stars_for", "stars_renewal_amount", "subscription_state",
]
