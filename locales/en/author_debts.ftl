# Authors' debts: money an author collected themselves (Stars, their own shop), less their share.
admin-btn-debts = 🧾 Authors' debts
debts-title =
    Authors who collected payments themselves (Stars in their bot, their own shop) and owe the platform its share, the partners' shares and the token cost. In all: { $total }.
    Choose an author to record a payment received from them.
debts-empty = No author owes the platform anything.
debts-line = { $name }: { $owed }
debts-ask-amount =
    { $name } owes { $owed } (collected by the author { $collected }, paid back { $repaid }).
    Send the amount the author transferred to the platform, e.g. 1500 or 1500.50.
debts-amount-not-a-number = That does not look like an amount. Send a number of roubles, e.g. 1500 or 1500.50.
debts-amount-not-positive = The amount must be above zero.
debts-more-than-owed = That is more than the debt: the author owes { $owed }.
debts-recorded = Recorded: the author paid back { $amount }.
