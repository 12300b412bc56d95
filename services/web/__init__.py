"""The partner cabinet on the web: the Telegram Mini App and the read-only REST API (issue 18).

    initdata   Telegram's WebApp initData check and the page's short-lived session tokens (pure)
    tokens     personal API tokens: created (shown once), listed, revoked; stored hashed
    ratelimit  per-token request budget (429 with Retry-After)
    api        the /api/ routes over the chat cabinet's read model (billing.partner, referral.stats)
    api_platform  what the platform bot's pages read: an author's dashboard (billing.dashboard),
               "My partner programs" (billing.partner.programs), a link's QR code (segno, PNG)
    pages      the Mini App: its page, its login by initData, its messages, the vendored chart library
    card       the Mini App's payout card page: YooKassa's widget, the card synonym saved by a page session
    server     `web_app(...)`: one aiohttp sub-application with all of it, for the composition root to mount
"""
