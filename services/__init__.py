"""Application services: what handlers and dialogs call, aiogram-aware, below them and above the domain.

Tracker management, the payment service, the AI runtime and the outbox's delivery loop. They are
built by the composition root (`bot/`), which they never import: what they need from it is
described in `services.ports`.
"""
