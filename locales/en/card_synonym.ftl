# Payout cards through YooKassa's payout widget: the number goes to YooKassa only, the platform keeps its synonym and mask.

payouts-card-add =
    💳 Your payout card is added in the Mini App: you type the number into YooKassa's form and it never reaches us — we keep only the card's mask.

    Press "Add a card", type the number, then come back here and press "Done".
payouts-card-current = Payouts now go to card { $masked }.
payouts-card-again = The card number you sent earlier is no longer kept or used. Please add the card again.
payouts-card-missing = No card added yet. Open the Mini App with "Add a card" and type the number into YooKassa's form.
payouts-card-no-webapp = A card cannot be added right now: the Mini App is not set up. Choose SBP or a YooMoney wallet.
payouts-btn-add-card = 💳 Add a card
payouts-btn-change-card = 💳 Another card
payouts-btn-card-done = ✅ Done
payouts-card-invalid = The card's data did not fit. Please add the card again.
payouts-card-add-again = A card kept as a number earlier is no longer used. Please add it again in the Mini App.
admin-payouts-card-add-again = This request is for a card kept as a number before the YooKassa widget: it cannot be paid through YooKassa. Reject it with the reason "please add the card again" — the requester adds the card and asks again.
payouts-yookassa-reason = { $reason ->
    [insufficient_funds] the platform's payout balance was short; the admin will top it up
    [payout_token] YooKassa did not accept the card — please add it again
    [one_time_limit_exceeded] the amount is over the single payout limit for a card
    [periodic_limit_exceeded] this card's payout limit for the period is reached
    [rejected_by_payee] the recipient's bank declined the transfer
    [fraud_suspected] YooKassa suspected fraud and stopped the payout
    [general_decline] YooKassa declined the payout
   *[other] YooKassa canceled the payout ({ $reason })
}

webapp-card-title = Payout card
webapp-card-intro = You type the card number into YooKassa's form: the platform never sees or keeps it, we get only the card's mask.
webapp-card-saved = Card saved:
webapp-card-back = Go back to the chat and press "Done".
webapp-card-off = Card payouts are not available right now.
webapp-card-failed = The card could not be saved. Please try again.
