# Balance and payouts: what the author's own use of their trackers' AI cost them (issue 16).
payouts-own-usage = 🤖 Charged for your own use of the AI in your trackers: { $own_usage } (already taken from what is available).
