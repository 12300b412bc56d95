# Payouts: balance, withdrawal requests (partner cabinet and platform bot), the admin's payout queue.

payouts-btn-open = 💸 Balance and payouts
payouts-main =
    💸 Balance and payouts

    Accrued: { $accrued }
    Reserved for payouts: { $reserved }
    Paid out: { $paid }
    Available: { $available }

    The minimum payout is { $minimum }.
payouts-main-too-little = You can withdraw once at least { $minimum } is available.
payouts-btn-withdraw = 💳 Withdraw
payouts-btn-history = 📋 My requests
payouts-btn-back = ← Back
payouts-btn-close = ← Back
payouts-btn-cancel = ✖️ Cancel
payouts-ask-amount =
    How much? Available { $available }, minimum { $minimum }.
    Type an amount in roubles, e.g. 1500, or press "Everything".
payouts-btn-all = Everything available
payouts-ask-method = Where should { $amount } go?
payouts-method = { $method ->
    [card] 💳 Bank card
    [sbp] ⚡ SBP by phone number
   *[yoomoney] 👛 YooMoney wallet
}
payouts-ask-phone = Send the phone number your SBP is linked to, e.g. +7 912 345-67-89.
payouts-ask-bank = Which bank should the SBP transfer go to? Type the bank's name.
payouts-ask-wallet = Send your YooMoney wallet number (it starts with 4100).
payouts-confirm =
    Check your request:

    Amount: { $amount }
    To: { $method_name }, { $masked }

    The amount is reserved at once while the admin reviews the request. I will tell you every step.
payouts-btn-confirm = ✅ Send the request
payouts-sent = Request #{ $id } for { $amount } sent; the money is reserved.
payouts-history-title = Your payout requests:
payouts-history-empty = No payout requests yet.
payouts-line =
    #{ $id } of { $date }: { $amount }, { $method_name } { $masked }
    { $status_name }
payouts-status = { $status ->
    [requested] ⏳ waiting for review
    [approved] 🔄 being paid
    [paid] ✅ paid
    [rejected] ❌ rejected
    [failed] ⚠️ payout failed
   *[other] { $status }
}
payouts-line-reason = Reason: { $reason }
payouts-line-reference = Payment: { $reference }

payouts-bad-amount = I did not understand the amount. Type a number of roubles, e.g. 1500 or 1500.50.
payouts-below-minimum = The minimum payout is { $minimum }.
payouts-not-enough = Not enough money on the balance: { $available } available.
payouts-bad-phone = That does not look like a Russian phone number. Example: +7 912 345-67-89.
payouts-bad-bank = Type the bank's name (2 to 64 characters).
payouts-bad-wallet = A YooMoney wallet number has 11 to 20 digits and starts with 4100.
payouts-bad-method = Choose a payout method with a button.
payouts-not-found = Request not found.
payouts-reason-empty = Type the reason for the refusal; the recipient will see it.
payouts-reference-empty = Send the payment's number or link.
payouts-no-yookassa = This request cannot be paid through YooKassa (payouts are not configured, or it is SBP). Pay it by hand.

admin-payouts-title = 💸 Payout requests ({ $total }):
admin-payouts-empty = 💸 No payout requests.
admin-payouts-line = #{ $id } · { $amount } · { $who } · { $method_name } { $masked } · { $status_name }
admin-payouts-card =
    💸 Request #{ $id }

    Amount: { $amount }
    Recipient: { $who }, id { $user_id }
    Asked in: { $source }
    Method: { $method_name }
    Details: { $full }
    Status: { $status_name }
    Created: { $date }
admin-payouts-source-platform = the platform bot
admin-payouts-btn-yookassa = 💳 Pay through YooKassa
admin-payouts-btn-paid = ✍️ Paid by hand
admin-payouts-btn-reject = ❌ Reject
admin-payouts-btn-check = 🔄 Check the status in YooKassa
admin-payouts-btn-queue = ← To the requests
admin-payouts-ask-reference = Transfer { $amount } to the details of request #{ $id } and send the payment's number or link; it is kept with the request.
admin-payouts-ask-reason = Why reject request #{ $id }? The recipient sees the reason; the money goes back to their balance.
admin-payouts-done-paid = Request #{ $id } marked paid.
admin-payouts-done-rejected = Request #{ $id } rejected; { $amount } went back to the balance.
admin-payouts-yk-paid = YooKassa paid { $amount } for request #{ $id }.
admin-payouts-yk-pending = YooKassa accepted the payout for request #{ $id }; its status is checked automatically.
admin-payouts-yk-failed = The payout for request #{ $id } failed: { $reason }. The money went back to the balance.
admin-payouts-already = Request #{ $id } is already decided (status: { $status }); nothing changed.

# An approved request stuck at YooKassa: the admin closes it by hand.
admin-payouts-btn-close-failed = ⛔ Close as failed
admin-payouts-btn-close-paid = ✍️ Mark paid by hand
admin-payouts-stuck-no-gateway = ⚠️ YooKassa payouts are switched off now, so this request will not finish on its own. Close it: as failed (the money goes back to the balance) or as paid by hand.
admin-payouts-stuck-no-answer = ⚠️ YooKassa never answered the creation of this payout, and the request can no longer be repeated with the same key (more than 23 hours have passed). Check the payout in the YooKassa dashboard and close the request: as failed (the money goes back to the balance) or as paid by hand.
admin-payouts-stuck-not-found = ⚠️ YooKassa says it has no such payout. Close the request: as failed (the money goes back to the balance) or as paid by hand.
admin-payouts-check-pending = YooKassa is still processing the payout for request #{ $id }; its status is checked automatically.
admin-payouts-check-no-answer = YooKassa did not answer about request #{ $id }. Try later: while its status is unknown, the request cannot be closed by hand.
admin-payouts-check-stuck = Request #{ $id } will not finish on its own; you can close it by hand.
admin-payouts-not-stuck = YooKassa may still make this payout (or did not answer), so the request cannot be closed by hand now. Check its status later.
admin-payouts-ask-close-reason = Why did the payout for request #{ $id } fail? The recipient sees the reason; { $amount } goes back to their balance.
admin-payouts-ask-close-reference = If you transferred { $amount } for request #{ $id } yourself, send the payment's number or link; it is kept with the request.
admin-payouts-done-closed-failed = Request #{ $id } closed as failed; { $amount } went back to the balance.

# To the admins: a new payout request.
admin-payouts-new-request = 💸 New payout request #{ $payout }: { $amount }, { $name }.
admin-payouts-btn-open = Open the request
