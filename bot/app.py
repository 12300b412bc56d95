"""The composition root: one process, the platform bot and every tracker bot.

`run_platform()` is what `gptitor run` calls, and what the end-to-end tests start.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramBadRequest, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand

from billing.payouts import Payouts, scrub_card_numbers
from bot import db, health, metrics, webapp
from bot.config import Settings
from bot.coordinator import Coordinator
from bot.crypto import SecretBox
from bot.logs import install_redaction
from bot.middlewares import TenantMiddleware, UserMiddleware
from bot.registration import Registrar, Registration, WebhookAudit
from bot.registry import BotRegistry
from bot.storage import DbStorage
from bot.supervisor import PollingSupervisor
from bot.transport import HttpServer, Transport, WebhookServer
from bot.updates import Claims, DbClaims, RedisClaims, UpdateGate
from dialogs.platform import setup_platform_dialogs
from dialogs.tracker import setup_tracker_dialogs
from handlers import platform as platform_handlers
from handlers import tracker as tracker_handlers
from handlers.tracker.greeting import CLIENT_COMMANDS
from i18n.catalog import LANGS, for_user, translator
from models import Tracker, TrackerStatus
from notify.redact import describe_error
from scheduler import referral_jobs
from scheduler.aps import APSScheduler
from scheduler.channel_digest import install_digest_job
from scheduler.jobs import install_default_jobs
from scheduler.payouts import install_payout_jobs
from scheduler.renewals import install_renewal_jobs
from scheduler.retention import install_retention_job
from scheduler.stars_reconcile import install_stars_reconcile_job
from services import stars_reconcile, tracker_cache
from services.ai import AIRuntime
from services.charts import EarningsCharts
from services.dashboard_chart import DashboardCharts
from services.outbox import OutboxWorker
from services.payments import PaymentService
from services.stars_cancel import StarsCancelWorker
from services.takeover import WEBHOOK, alert_takeover
from services.trackers import TrackerService

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The platform cannot start; `str()` is one sentence for the operator. `retry`: the cause may
    pass by itself (Telegram out of reach, the port still held by the process before), so a
    supervisor should start it again; otherwise a setting must change first."""

    def __init__(self, sentence: str, *, retry: bool = False) -> None:
        super().__init__(sentence)
        self.retry = retry


# Seconds the first getMe may take: an unreachable Bot API is reported at once, not after the
# session's 60 s or the operating system's connect retries.
STARTUP_TIMEOUT = 10


def _storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:  # redis is an optional dependency (the `redis` extra): imported only when used
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url,
            key_builder=DefaultKeyBuilder(with_bot_id=True, with_destiny=True),
            state_ttl=30 * 86400,
            data_ttl=30 * 86400,
        )
        return storage, RedisEventIsolation(storage.redis)
    return DbStorage(), SimpleEventIsolation()


def _update_gate(settings: Settings, storage: BaseStorage, platform_bot_id: int) -> UpdateGate:
    """Each update handled once (bot.updates): claims in Redis when it is set, else in the database."""
    lease = settings.update_claim_seconds
    claims: Claims
    if settings.redis_url:
        claims = RedisClaims(storage.redis, lease, settings.retention.update_ids_hours * 3600)  # type: ignore[attr-defined]
    else:
        claims = DbClaims(lease)
    return UpdateGate(claims, platform_bot_id=platform_bot_id, observe=metrics.observe_update)


class Runtime:
    """Owns the bots, the dispatchers and the transport; adds and removes trackers at run time."""

    def __init__(self, settings: Settings, *, webhook: bool = False, primary: bool = True) -> None:
        self.settings = settings
        # The worker that sets webhooks and commands at start; its siblings only listen (bot.workers).
        self.primary = primary
        self.box = SecretBox(settings.secret_key.get_secret_value())
        self.registry = BotRegistry(settings.telegram_api_base)
        self.platform_bot: Bot = self.registry.make(settings.bot_token.get_secret_value())
        self.platform_username = ""  # known once started; the cabinets point partners to this bot
        self.trackers = TrackerService(self)
        self.storage, self.isolation = _storage(settings)
        services: dict[str, Any] = {"runtime": self, "settings": settings, "trackers": self.trackers}
        self.ai = AIRuntime(self)
        if settings.redis_url:  # several workers: one answer at a time per client across them
            from bot.locks import RedisChatLocks  # needs the optional redis package

            self.ai.conversations.chat_lock = RedisChatLocks(self.storage.redis)  # type: ignore[attr-defined]
        self.ai.llm.observer = metrics.observe_llm
        services.update(ai=self.ai, llm=self.ai.llm)
        self.payments = PaymentService(settings.payments, self.box, self.registry, timezone=settings.timezone)
        services["payments"] = self.payments
        self.payouts = Payouts.from_settings(settings, self.box)
        services["payouts"] = self.payouts
        self.payments.payouts = self.payouts  # payout.* notifications arrive with the shop's
        services["charts"] = EarningsCharts()  # the cabinet's chart: its cooldowns and kept pictures
        services["dashboard_charts"] = DashboardCharts()  # the author dashboard's chart: its cooldowns
        self.platform_dp = self._build_platform_dispatcher(services)
        self.tracker_dp = self._build_tracker_dispatcher(services)
        self.transport: Transport
        gate = _update_gate(settings, self.storage, self.platform_bot.id)
        if webhook:
            if not settings.webhook_base_url:
                raise StartupError(
                    "WEBHOOK_BASE_URL is missing: webhook mode needs the public https address of this server."
                )
            self.transport = WebhookServer(
                self.box, settings.webhook_base_url, settings.webhook_host, settings.webhook_port, self.on_unauthorized,
                resolve=lambda bot_id: self.coordinator.adopt(bot_id),
                reuse_port=settings.sqlite_path() is None,  # several workers share the port (bot.workers)
                gate=gate,
            )
        else:
            self.transport = PollingSupervisor(self.on_unauthorized, api=self.registry.session.api,
                                               timeout=settings.polling_timeout, on_conflict=self.on_takeover,
                                               gate=gate)
        # YooKassa notifications: on the webhook server, or on a small server of their own.
        self.http: HttpServer | None = None
        if self.payments.yookassa is not None or self.payouts.gateway is not None:
            if isinstance(self.transport, WebhookServer):
                self.payments.add_routes(self.transport.app)
            else:
                self.http = HttpServer(settings.webhook_host, settings.webhook_port)
                self.payments.add_routes(self.http.app)
        # The web cabinet and the API (issue 18): always on the webhook server; in polling mode on
        # the side server, which it starts when WEBAPP_BASE_URL says the pages are reachable.
        if isinstance(self.transport, WebhookServer):
            webapp.mount(self.transport.app, settings, self.box)
        elif settings.webapp_base_url:
            self.http = self.http or HttpServer(settings.webhook_host, settings.webhook_port)
            webapp.mount(self.http.app, settings, self.box)
        # /healthz and /metrics: on the webhook server, or on a side server bound to METRICS_HOST.
        self.ops_http: HttpServer | None = None
        if isinstance(self.transport, WebhookServer):
            health.add_routes(self.transport.app, self)
        else:
            self.ops_http = HttpServer(settings.metrics_host, settings.metrics_port, what="health and metrics")
            health.add_routes(self.ops_http.app, self)
        self.scheduler: Any = None
        self.platform_username = ""
        self._preload: asyncio.Task[None] | None = None
        self.outbox = OutboxWorker(self.registry, self.platform_bot, claim_seconds=settings.outbox_claim_seconds)
        # Stars subscriptions of deleted or paused trackers, cancelled in the background (issue 19).
        self.stars_cancel = StarsCancelWorker(self.registry, self.box)
        self.coordinator = Coordinator(self)
        self.registrar = Registrar(self.on_unauthorized)
        self.audit: WebhookAudit | None = None

    # -- dispatchers -------------------------------------------------------------------------

    def _dispatcher(self, services: dict[str, Any]) -> Dispatcher:
        # Our FSM middleware in place of aiogram's: it upserts the person and reads their FSM
        # records in one round trip, under the same lock (bot.middlewares.UserMiddleware).
        dp = Dispatcher(storage=self.storage, events_isolation=self.isolation, disable_fsm=True, **services)
        dp.fsm = UserMiddleware(storage=self.storage, events_isolation=self.isolation, strategy=dp.fsm.strategy)
        dp.update.outer_middleware(dp.fsm)
        return dp

    def _build_platform_dispatcher(self, services: dict[str, Any]) -> Dispatcher:
        dp = self._dispatcher(services)
        dp.include_routers(*platform_handlers.get_routers())
        setup_platform_dialogs(dp)
        dp.include_routers(*platform_handlers.get_fallback_routers())
        return dp

    def _build_tracker_dispatcher(self, services: dict[str, Any]) -> Dispatcher:
        dp = self._dispatcher(services)
        dp.update.outer_middleware(TenantMiddleware())
        dp.include_routers(*tracker_handlers.get_routers())
        setup_tracker_dialogs(dp)
        dp.include_routers(*tracker_handlers.get_fallback_routers())
        return dp

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await db.init(self.settings.database_url, global_fallback=True)
        tracker_cache.forget()  # rows cached from another database (a runtime before this one) are not ours
        try:
            me = await self.platform_bot.get_me(request_timeout=STARTUP_TIMEOUT)
        except TelegramUnauthorizedError:
            raise StartupError(
                "Telegram rejected BOT_TOKEN: it was revoked or mistyped; get the current token from @BotFather."
            ) from None
        except (TelegramAPIError, ClientDecodeError) as exc:  # no route, a timeout, a proxy's page
            raise StartupError(
                f"the Bot API at {self.settings.telegram_api_base} did not answer ({describe_error(exc, 160)}): "
                "check this machine's network, or TELEGRAM_API_BASE if you reach Telegram through your own "
                "Bot API server or a proxy.", retry=True,
            ) from None
        log.info("platform bot @%s is up", me.username)
        self.platform_username = me.username or ""
        await self._listen()
        if self.ops_http is not None:
            try:
                await self.ops_http.start()
            except OSError as exc:
                raise StartupError(
                    f"cannot listen for /healthz and /metrics on {self.settings.metrics_host}:"
                    f"{self.settings.metrics_port} ({exc.strerror or exc}): set METRICS_PORT to a free port.",
                    retry=True,
                ) from None
        if self.primary:
            await self._attach_platform_bot()
            await self._set_platform_commands()
        else:
            self.transport.adopt(self.platform_bot, self.platform_dp, platform=True)  # type: ignore[attr-defined]
        trackers = await Tracker.filter(status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED])
        for tracker in trackers:
            await self.serve_tracker(tracker, register=False)
        log.info("serving %d tracker bot(s)", len(self.registry))
        if self.primary:  # only the trackers whose webhook or commands changed cost calls
            await self.registrar.sync((t, bot, self.registration(bot)) for t in trackers
                                      if (bot := self.registry.get(t.bot_id)) is not None)
            if isinstance(self.transport, WebhookServer):
                self._start_audit(self.transport)
        await self._start_scheduler()
        if self.primary:  # card numbers an earlier version kept: only their mask stays (issue 19)
            await scrub_card_numbers(self.box)
        await self.ai.start()
        await self.outbox.start()  # partners' events, written with their facts (issue 7)
        await self.stars_cancel.start()
        await self.coordinator.start()  # the jobs run once this worker leads
        # Modules the first answers do not need, imported off the event loop once the bots answer,
        # so the first AI answer neither waits for them nor stalls every bot while they load.
        self._preload = asyncio.create_task(asyncio.to_thread(_import_all, LATER_MODULES), name="preload")
        log.info("platform started: %d tracker bot(s) served", len(self.registry))

    async def _listen(self) -> None:
        for server in (self.transport, self.http):
            try:
                if server is not None:
                    await server.start()
            except OSError as exc:  # the port is taken, or the address is not this machine's
                raise StartupError(
                    f"cannot listen on {self.settings.webhook_host}:{self.settings.webhook_port} "
                    f"({exc.strerror or exc}): stop what uses the port, or change WEBHOOK_HOST / WEBHOOK_PORT.",
                    retry=True,
                ) from None

    async def _attach_platform_bot(self) -> None:
        try:
            await self.transport.attach(self.platform_bot, self.platform_dp, platform=True)
        except TelegramBadRequest as exc:  # setWebhook: not https, a port Telegram does not call, ...
            raise StartupError(
                f"Telegram refused the webhook address {self.settings.webhook_base_url} ({exc.message}): "
                "WEBHOOK_BASE_URL must be a public https address on port 443, 80, 88 or 8443."
            ) from None

    async def stop(self) -> None:
        if self.audit is not None:
            await self.audit.stop()
        await self.coordinator.stop()
        await self.outbox.stop()
        await self.stars_cancel.stop()
        await self.ai.stop()
        # Updates in hand finish first: a scheduler job cancelled in the middle of a SQLite
        # transaction must not take an update's writes (a dialog's state) down with it.
        await self.transport.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.http is not None:
            await self.http.stop()
        if self.ops_http is not None:
            await self.ops_http.stop()
        await self.payments.close()
        await self.payouts.close()
        await self.platform_dp.storage.close()
        await self.registry.close()
        await db.close()

    async def _start_scheduler(self) -> None:
        self.scheduler = APSScheduler(timezone=self.settings.timezone)
        install_default_jobs(self.scheduler, self.settings)
        install_renewal_jobs(self.scheduler, self.payments, minutes=self.settings.renewal_interval_minutes)
        referral_jobs.install_referral_jobs(self.scheduler)
        install_payout_jobs(self.scheduler, self.payouts)
        install_digest_job(self.scheduler, self.settings)
        install_retention_job(self.scheduler, self.settings.retention.model_dump())
        install_stars_reconcile_job(self.scheduler, partial(stars_reconcile.reconcile_all, self.payments))
        self.scheduler.start(paused=True)  # the coordinator resumes it in the leader

    # -- trackers at run time ----------------------------------------------------------------

    async def serve_tracker(self, tracker: Tracker, *, register: bool = True) -> None:
        """`register=False`: serve it without telling Telegram anything (another worker set its
        webhook and commands, or the start registers what changed in one go, bot.registration)."""
        tracker_cache.forget(bot_id=tracker.bot_id)
        if not register and isinstance(self.transport, WebhookServer):
            self.coordinator.adopt_row(tracker)
            return
        token = self.box.decrypt(tracker.token_encrypted)
        if tracker.bot_id in self.registry:
            await self.unserve_tracker(tracker.bot_id)
        self.coordinator.served(tracker)
        bot = self.registry.add(token)
        if isinstance(self.transport, WebhookServer):
            self.transport.adopt(bot, self.tracker_dp)  # its webhook is set by the registration below
        else:
            await self.transport.attach(bot, self.tracker_dp)
        if register:
            await self.registrar.register(tracker, bot, self.registration(bot))

    def _start_audit(self, webhook: WebhookServer) -> None:
        async def foreign(bot_id: int, host: str) -> None:
            await self.on_takeover(bot_id, WEBHOOK, host)

        self.audit = WebhookAudit(self.registry.bots, lambda bot: webhook.url_for(bot, platform=False),
                                  self._register_again, foreign)
        self.audit.start()

    async def _register_again(self, bot: Bot) -> None:
        tracker = await Tracker.get_or_none(bot_id=bot.id, status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED])
        if tracker is not None:
            await self.registrar.register(tracker, bot, self.registration(bot))

    def registration(self, bot: Bot) -> Registration:
        """What Telegram should know about a tracker bot in this mode."""
        names = list(CLIENT_COMMANDS)  # what /help lists
        commands = {
            None if lang == "ru" else lang: [BotCommand(command=n, description=translator(lang)(f"cmd-tracker-{n}"))
                                             for n in names]
            for lang in LANGS
        }
        if not isinstance(self.transport, WebhookServer):
            return Registration(commands)
        return Registration(commands, self.transport.url_for(bot, platform=False), self.box.webhook_secret(bot.id),
                            self.tracker_dp.resolve_used_update_types())

    async def unserve_tracker(self, bot_id: int) -> None:
        self.coordinator.unserved(bot_id)
        bot = self.registry.remove(bot_id)
        if bot is not None:
            await self.transport.detach(bot)

    async def on_unauthorized(self, bot_id: int) -> None:
        """Telegram rejected a tracker's token: pause it and tell its author, once."""
        if bot_id == self.platform_bot.id:
            log.critical("Telegram rejected the platform bot's token; get a new one from @BotFather")
            return
        stale = self.registry.remove(bot_id)
        if isinstance(self.transport, WebhookServer):
            self.transport.forget(bot_id)
        tracker = await Tracker.get_or_none(bot_id=bot_id).prefetch_related("author")
        if tracker is None or tracker.status in (TrackerStatus.REVOKED, TrackerStatus.DELETED):
            return
        if stale is not None and await self.coordinator.retoken(tracker, stale):
            return
        await Tracker.filter(id=tracker.id).update(status=TrackerStatus.REVOKED, updated_at=datetime.now(UTC))
        tracker_cache.forget(tracker_id=tracker.id)
        i18n = for_user(tracker.author.language_code)
        await self.notify(tracker.author_id, i18n("tracker-token-revoked", username=tracker.username))

    async def on_takeover(self, bot_id: int, kind: str, host: str) -> None:
        """Someone else takes a bot's updates (bot.supervisor): its author, or the admins, are told once."""
        await alert_takeover(bot_id, kind, host, platform_bot_id=self.platform_bot.id,
                             platform_username=self.platform_username, admin_ids=self.settings.admin_ids)

    async def notify(self, user_id: int, text: str, **kwargs: Any) -> bool:
        """A message from the platform bot; a person who blocked it is not an error."""
        try:
            await self.platform_bot.send_message(user_id, text, **kwargs)
            return True
        except TelegramAPIError as exc:
            log.info("could not notify %s: %s", user_id, exc)
            return False

    async def publish_description(self, tracker: Tracker) -> None:
        bot = self.registry.get(tracker.bot_id)
        if bot is None:
            return
        try:
            await bot.set_my_description(description=tracker.description[:512])
            await bot.set_my_short_description(short_description=tracker.description[:120])
        except TelegramAPIError as exc:
            log.info("tracker %s: description not published: %s", tracker.id, exc)

    async def _set_platform_commands(self) -> None:
        await self._set_commands(self.platform_bot, ["start", "help"], "platform")

    async def _set_commands(self, bot: Bot, names: list[str], side: str) -> None:
        for lang in LANGS:
            t = translator(lang)
            commands = [BotCommand(command=n, description=t(f"cmd-{side}-{n}")) for n in names]
            try:
                await bot.set_my_commands(commands, language_code=None if lang == "ru" else lang)
            except TelegramAPIError as exc:
                log.info("bot %s: commands not set: %s", bot.id, exc)
                return


LATER_MODULES = ("openai",)


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the first real use imports it again and reports the error there
            log.exception("preloading %s failed", name)


async def run_platform(
    settings: Settings,
    *,
    webhook: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Runtime], Awaitable[None] | None] | None = None,
    primary: bool = True,
) -> None:
    """Start everything, run until SIGINT/SIGTERM (or `stop` is set), then shut down cleanly.
    `primary=False`: a sibling worker that leaves webhooks and commands to the first one."""
    install_redaction()  # no bot token in a log line, whoever started us (the CLI, a worker, a test)
    stop = stop or asyncio.Event()
    runtime = Runtime(settings, webhook=webhook, primary=primary)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    try:
        await runtime.start()
        if on_ready is not None:
            result = on_ready(runtime)
            if asyncio.iscoroutine(result):
                await result
        await stop.wait()
    finally:
        await runtime.stop()
