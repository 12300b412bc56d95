"""The kinds of outbox events, shared by the channel events (notify.events) and the private-chat
ones (notify.private), so neither module imports the other for a name."""

from __future__ import annotations

START = "start"
SUBSCRIBER = "subscriber"
RENEWAL = "renewal"
REFUND = "refund"
ACCRUAL = "accrual"
ACCRUAL_DIGEST = "accrual_digest"
PAYOUT = "payout"
PAYOUT_REQUEST = "payout_request"  # to the platform admins: a new request waits in the queue
TEST = "test"
# To one person, not to channels (notify.notices): the renderer in the delivery loop must know them.
CLIENT_NOTICE = "client_notice"  # from the tracker bot to a client: a locale key and its values
ALERT = "alert"  # from the platform bot to an author or an admin: a locale key and its values

# What a channel can choose to receive, in the cabinet's order; all on for a new channel. The
# private chat offers the same choice (notify.private).
CHANNEL_KINDS = (START, SUBSCRIBER, RENEWAL, REFUND, ACCRUAL, PAYOUT)
