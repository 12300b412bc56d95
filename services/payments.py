"""The payment service of the running platform: which ways to pay are on, the YooKassa webhook
route, messages to clients about their money, and refunds that need a bot.

The rules live in `billing.payments` (no aiogram); this module connects them to Telegram and HTTP.
It needs only settings, the secret box and a bot registry, so the CLI builds one too.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramServerError,
)
from aiogram.types import LabeledPrice
from aiohttp import web

from billing.payments import (
    METHOD_STARS,
    METHOD_TELEGRAM,
    RefundOutcome,
    YooKassaPayments,
    encode_payload,
    refund_payment,
    stars_for,
)
from billing.yookassa_gateway import (
    GatewayError,
    GatewayRejected,
    InvalidNotification,
    YooKassaGateway,
    parse_notification,
)
from i18n.catalog import Translator
from i18n.format import day
from models import Payment, PlanKind, Tracker, TrackerStatus
from services import tracker_cache
from services.notify_sources import NotifySources, OncePerKey
from services.ports import Bots, PaymentOptions, Secrets

log = logging.getLogger(__name__)

NOTIFY_PATH = "/yookassa/notify"
METHOD_YOOKASSA = "y"
# What @BotFather sends after connecting a provider: "<provider id>:TEST:<...>" or ":LIVE:".
PROVIDER_TOKEN_IN_TEXT = re.compile(r"\b(\d{5,20}:(?:TEST|LIVE):[A-Za-z0-9_-]{1,128})(?![A-Za-z0-9_-])")
PREVIEW_PAYLOAD = "card-preview"  # never a plan's payload: pre-checkout refuses to take money for it
PREVIEW_PRICE_KOPECKS = 100_00


class CardTokenError(Exception):
    """The provider token was not taken; `key` is a locale key, `params` fill it."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def plan_args(i18n: Translator, kind: PlanKind | str) -> dict[str, str]:
    """The plan's name, "for a month" and what it gives, in the reader's language, as Fluent args."""
    k = kind.value if isinstance(kind, PlanKind) else str(kind)
    return {"plan": i18n("plan-name", kind=k), "plan_for": i18n("plan-for", kind=k),
            "plan_gives": i18n("plan-gives", kind=k)}


class PaymentService:
    def __init__(self, settings: PaymentOptions, box: Secrets, registry: Bots, *,
                 timezone: str = "Europe/Moscow") -> None:
        self.settings = settings
        self.box = box
        self.registry = registry
        self.tz = ZoneInfo(timezone)
        self.gateway: YooKassaGateway | None = None
        self.yookassa: YooKassaPayments | None = None
        # Notifications re-fetch through a gateway of their own, with its own threads: a flood of
        # them (forged ones from a listed address, or a slow API) then never queues a client's
        # payment link behind them.
        self.notify_gateway: YooKassaGateway | None = None
        self.notified: YooKassaPayments | None = None
        if settings.yookassa_enabled:
            self.gateway, self.notify_gateway = (YooKassaGateway(
                settings.yookassa_shop_id or "", settings.yookassa_secret_key.get_secret_value(),  # type: ignore[union-attr]
                api_url=settings.yookassa_api_url, timeout=settings.yookassa_timeout,
            ) for _ in range(2))
            self.yookassa = YooKassaPayments(self.gateway, tz=self.tz)
            self.notified = YooKassaPayments(self.notify_gateway, tz=self.tz)
        self.sources = NotifySources(settings.yookassa_notify_sources, settings.yookassa_trusted_proxy_header)
        self._refused_logged = OncePerKey()
        self._unknown_logged = OncePerKey()
        # The payout desk (billing.payouts.Payouts), set by the runtime: `payout.*` notifications
        # come from the payout account to the same address.
        self.payouts: Any = None

    # -- what is on

    def methods(self, tracker: Tracker) -> list[str]:
        """The ways to pay in this tracker, in the order the buttons show them. Cards in Telegram
        need the provider token issued for this tracker's own bot."""
        on = []
        if self.settings.telegram_enabled and tracker.provider_token_encrypted:
            on.append(METHOD_TELEGRAM)
        if self.settings.stars_enabled:
            on.append(METHOD_STARS)
        if self.yookassa is not None:
            on.append(METHOD_YOOKASSA)
        return on

    def provider_token(self, tracker: Tracker) -> str:
        """The tracker's own provider token, "" when its author has not entered one."""
        return self.box.decrypt(tracker.provider_token_encrypted) if tracker.provider_token_encrypted else ""

    @property
    def rate(self) -> Decimal:
        return self.settings.stars_rub_rate

    def stars(self, price_kopecks: int) -> int:
        return stars_for(price_kopecks, self.rate)

    def payload(self, bot_id: int, method: str, tracker: Tracker, user_id: int, plan: PlanKind, price: int) -> str:
        return encode_payload(self.box, bot_id, method, tracker.id, user_id, plan, price)

    def return_url(self, tracker: Tracker) -> str:
        return self.settings.yookassa_return_url or tracker.link

    def local_date(self, moment: datetime | None, lang: str | None = None) -> str:
        return day(moment, self.tz, lang)

    async def close(self) -> None:
        for gateway in (self.gateway, self.notify_gateway):
            if gateway is not None:
                await gateway.aclose()

    # -- telling clients

    async def bot_for(self, tracker: Tracker) -> Bot | None:
        bot = self.registry.get(tracker.bot_id)
        if bot is None and tracker.token_encrypted and tracker.status != TrackerStatus.DELETED:
            bot = self.registry.make(self.box.decrypt(tracker.token_encrypted))  # the CLI: not served here
        return bot

    # -- card payments: the tracker's own provider token

    async def connect_card_payments(self, tracker: Tracker, author_id: int, text: str | None, i18n: Translator) -> None:
        """Take the provider token @BotFather issued for this tracker's bot, after proving it works:
        the tracker bot sends the author an invoice with it (a preview that cannot be paid).
        Telegram refuses a token issued for another bot, so a wrong one never reaches a client."""
        match = PROVIDER_TOKEN_IN_TEXT.search(text or "")
        if match is None:
            raise CardTokenError("card-token-not-a-token")
        token = match.group(1)
        bot = await self.bot_for(tracker)
        if bot is None:
            raise CardTokenError("card-token-tracker-off")
        title = i18n("card-preview-title")[:32]
        try:
            await bot.send_invoice(
                author_id, title=title, description=i18n("card-preview-description", name=tracker.name)[:255],
                payload=PREVIEW_PAYLOAD, provider_token=token, currency="RUB",
                prices=[LabeledPrice(label=title, amount=PREVIEW_PRICE_KOPECKS)],
            )
        except TelegramForbiddenError:
            raise CardTokenError("card-token-start-bot-first", username=tracker.username) from None
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise CardTokenError("card-token-start-bot-first", username=tracker.username) from None
            log.info("tracker %s: provider token refused by Telegram: %s", tracker.id, exc.message)
            raise CardTokenError("card-token-rejected", username=tracker.username) from None
        except (TelegramNetworkError, TelegramServerError):
            raise CardTokenError("token-telegram-unreachable") from None
        tracker.provider_token_encrypted = self.box.encrypt(token)
        await tracker.save(update_fields=["provider_token_encrypted", "updated_at"])
        tracker_cache.forget(tracker_id=tracker.id)
        log.info("tracker %s: card payments connected", tracker.id)

    async def disconnect_card_payments(self, tracker: Tracker) -> None:
        tracker.provider_token_encrypted = ""
        await tracker.save(update_fields=["provider_token_encrypted", "updated_at"])
        tracker_cache.forget(tracker_id=tracker.id)
        log.info("tracker %s: card payments disconnected", tracker.id)

    # -- the YooKassa webhook

    @property
    def _payouts_on(self) -> bool:
        return self.payouts is not None and self.payouts.gateway is not None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(NOTIFY_PATH, self.handle_notification)

    async def handle_notification(self, request: web.Request) -> web.Response:
        """`POST /yookassa/notify`. 403 from an address outside YooKassa's networks. The body is
        unsigned: only its event and object id are used, and the object is re-fetched. 200 when
        handled, not ours, or unknown to YooKassa itself; 500 when YooKassa could not be asked:
        it then delivers the notification again later."""
        if self.notified is None and not self._payouts_on:
            raise web.HTTPNotFound()
        address = self.sources.address(request)
        if not self.sources.allowed(address):
            if self._refused_logged.first(str(address)):
                log.warning("YooKassa notification from %s refused: not in PAYMENTS__YOOKASSA_NOTIFY_SOURCES", address)
            raise web.HTTPForbidden()
        try:
            event, object_id = parse_notification(await request.json())
        except (InvalidNotification, ValueError):
            raise web.HTTPBadRequest() from None
        try:
            # The client's notices go through the outbox, written with the payment or the refund.
            if event in ("payout.succeeded", "payout.canceled"):
                if not self._payouts_on or await self.payouts.notified(object_id) is None:
                    if self._unknown_logged.first(object_id):
                        log.warning("YooKassa notification %s for %s, not one of our payout requests: ignored",
                                    event, object_id)
            elif self.notified is None:
                return web.Response(text="ok")  # a shop event while the shop is off: nothing to do
            elif event in ("payment.succeeded", "payment.canceled"):
                await self.notified.confirm(object_id)
            elif event == "refund.succeeded":
                await self.notified.refund_succeeded(object_id)
        except GatewayRejected as exc:
            if exc.status not in (400, 404):
                log.warning("YooKassa notification %s %s: re-fetch refused (%s); it will come again", event,
                            object_id, exc)
                return web.Response(status=500, text="retry later")
            # Asking again will not make YooKassa know it: a 500 would only bring it back for a day.
            if self._unknown_logged.first(object_id):
                log.warning("YooKassa notification %s for %s, which YooKassa does not know: ignored", event, object_id)
            return web.Response(text="ok")
        except GatewayError as exc:
            log.warning("YooKassa notification %s %s: could not re-fetch (%s); it will come again", event,
                        object_id, exc)
            return web.Response(status=500, text="retry later")
        return web.Response(text="ok")

    # -- refunds

    async def refund(self, payment_id: int, *, record_only: bool = False) -> RefundOutcome:
        """The admin's refund (`gptitor refund`): the money back, the periods cancelled, the client told."""

        async def refund_stars(payment: Payment) -> None:
            tracker = await Tracker.get(id=payment.tracker_id)
            bot = await self.bot_for(tracker)
            if bot is None:
                raise RuntimeError(f"the bot of tracker {tracker.id} is not available")
            await bot.refund_star_payment(user_id=payment.user_id, telegram_payment_charge_id=payment.external_id)

        return await refund_payment(payment_id, refund_stars=refund_stars, yookassa=self.yookassa,
                                    record_only=record_only)
