# Holds on suspected self-referral (billing.fraud, billing.holds): the admin's screen.
holds-btn-open = 🚩 Fraud holds
holds-title =
    Partners with signs of self-referral. Their new referral shares are held and cannot be withdrawn. Held in all: { $total }.
    Choose a partner to release or forfeit what is held.
holds-empty = No partner shows signs of self-referral.
holds-line = { $name }: { $held } held
holds-partner =
    { $name }: { $held } held.
    Reasons:
    { $reasons }
    "Release": the money becomes the partner's to withdraw and the flags are cleared. "Forfeit": the money goes to the platform; the flags stay and new shares are still held.
holds-reason-line = { $reason ->
    [shared_card] · members of the chain paid with the same card
    [fast_chain] · the chain was built within minutes
   *[refund_rate] · their referrals refund unusually often
} (@{ $tracker })
holds-btn-release = ✅ Release
holds-btn-forfeit = ⛔ Forfeit
holds-released = Released { $amount }: the partner can withdraw it now.
holds-forfeited = Forfeited { $amount } to the platform.
holds-nothing-held = Nothing is held any more: it was decided before.
