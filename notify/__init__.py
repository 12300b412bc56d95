"""Live events for partners and authors: written to a persistent outbox in the same transaction
as the fact they report, delivered to Telegram afterwards (issue 7). No aiogram here: the
delivery loop that talks to Telegram lives in `bot/`."""
