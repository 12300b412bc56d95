"""The admin's list of partners flagged for fraud (billing.fraud), and releasing or forfeiting
their held shares (billing.holds)."""
