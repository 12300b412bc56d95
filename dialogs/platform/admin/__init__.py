"""The platform admin's screens in the platform bot (issue 7): the mJ rate, model prices, the
commission schedule, undelivered events, a month's totals and the ledger as CSV. Every window,
button and text input answers only the ids in ADMIN_IDS (dialogs.platform.admin_gate)."""
