"""How updates reach the dispatchers: long polling (one task per bot, bot.supervisor) or webhooks
(one server, here).

Both take bots at run time (`attach`) and let them go (`detach`) without touching the others.
A bot whose token Telegram rejects is reported through `on_unauthorized` and stops; the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from aiohttp import web
from aiohttp.web_log import AccessLogger

from bot.crypto import SecretBox
from bot.updates import Outcome, UpdateGate
from notify.redact import describe_error as redact_error

log = logging.getLogger(__name__)

UnauthorizedCallback = Callable[[int], Awaitable[None]]
# A tracker this worker does not serve yet (another worker added it): its bot, or None.
ResolveCallback = Callable[[int], Awaitable[Bot | None]]


class Transport(Protocol):
    async def attach(self, bot: Bot, dispatcher: Dispatcher, *, platform: bool = False) -> None: ...
    async def detach(self, bot: Bot) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class _UpdateRunner:
    """Feeds updates to a dispatcher through the gate (each update once, bot.updates), as tasks,
    and waits for them at shutdown."""

    def __init__(self, gate: UpdateGate | None = None) -> None:
        self._tasks: set[asyncio.Task] = set()
        self.gate = gate or UpdateGate(None)
        self._turns: dict[int, asyncio.Future[None]] = {}  # bot id -> its last fed update has begun

    def feed(self, dispatcher: Dispatcher, bot: Bot, update: Update) -> None:
        """A polled update, handled as a task. Its handling begins only after the bot's previous
        update began (or was acknowledged without handling): the claims before them are database
        round trips that may come back in any order, and a client's messages must reach the
        dispatcher's per-chat lock in the order Telegram gave them."""
        before = self._turns.get(bot.id)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns[bot.id] = turn
        task = asyncio.create_task(self._run_in_turn(dispatcher, bot, update, before, turn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_in_turn(self, dispatcher: Dispatcher, bot: Bot, update: Update,
                           before: asyncio.Future[None] | None, turn: asyncio.Future[None]) -> Outcome:
        async def in_turn() -> None:
            if before is not None:
                await before
            _begin(turn)
            await dispatcher.feed_update(bot, update)

        try:
            return await self.gate.run(bot.id, update.update_id, in_turn, can_retry=False)
        finally:
            _begin(turn)  # acknowledged without handling, or failed: the next one need not wait

    async def _run(self, dispatcher: Dispatcher, bot: Bot, update: Update, *, can_retry: bool) -> Outcome:
        return await self.gate.run(bot.id, update.update_id, lambda: dispatcher.feed_update(bot, update),
                                   can_retry=can_retry)

    async def run(self, dispatcher: Dispatcher, bot: Bot, update: Update) -> Outcome:
        """Handle one update in the caller's time (a webhook request), tracked for `drain`."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._run(dispatcher, bot, update, can_retry=True)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def drain(self, timeout: float = 10) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


def _begin(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


MAX_RETRY_PAUSE = 60.0


def retry_pause(failures: int) -> float:
    """1, 2, 4, ... up to a minute, each between half and all of it, so bots that failed
    together (one outage) do not all come back in the same second."""
    ceiling = min(2.0 ** (failures - 1), MAX_RETRY_PAUSE)
    return ceiling / 2 + random.random() * ceiling / 2


def describe_error(exc: BaseException) -> str:
    """An error's class and message for a log line, with any bot token in it masked (aiohttp
    errors carry the request URL, which holds the token): the one rule, `notify.redact`."""
    return redact_error(exc)


class FailedRequestsLog(AccessLogger):
    """The webhook server's access log, for the requests that failed only: Telegram's deliveries
    that were answered 200 are one line per update (counted in /metrics instead); a refused
    secret, an unknown bot or an error is still logged."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if response.status >= 400:
            super().log(request, response, time)


class WebhookServer:
    """One aiohttp server: `/webhook/platform` and `/webhook/tracker/{bot_id}`.

    Each bot has its own secret token (derived from SECRET_KEY and the bot id), checked on every
    request. The token never appears in a URL. Extra routes (payment notifications) can be added
    to `app` before `start()`.

    Several workers (processes) may listen on one port (`reuse_port`, SO_REUSEPORT: the kernel
    spreads connections over them). An update is answered 200 only after it was handled, so one
    that a dying worker took is delivered again by Telegram rather than lost. A tracker bot id
    this worker does not know (another worker added it) is looked up through `resolve` once its
    secret token checks out; only then is it a 404.
    """

    def __init__(
        self,
        box: SecretBox,
        base_url: str,
        host: str,
        port: int,
        on_unauthorized: UnauthorizedCallback,
        *,
        resolve: ResolveCallback | None = None,
        reuse_port: bool = False,
        gate: UpdateGate | None = None,
    ) -> None:
        self._box = box
        self._base_url = base_url.rstrip("/")
        self._host, self._port = host, port
        self._on_unauthorized = on_unauthorized
        self._resolve = resolve
        self._reuse_port = reuse_port
        self._platform: tuple[Bot, Dispatcher] | None = None
        self._trackers: dict[int, tuple[Bot, Dispatcher]] = {}
        self._runner = _UpdateRunner(gate)
        self.app = web.Application()
        self.app.router.add_post("/webhook/platform", self._handle_platform)
        self.app.router.add_post("/webhook/tracker/{bot_id}", self._handle_tracker)
        self._site_runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        return self._port

    def url_for(self, bot: Bot, *, platform: bool) -> str:
        path = "/webhook/platform" if platform else f"/webhook/tracker/{bot.id}"
        return self._base_url + path

    async def start(self) -> None:
        self._site_runner = web.AppRunner(self.app, access_log_class=FailedRequestsLog)
        await self._site_runner.setup()
        site = web.TCPSite(self._site_runner, self._host, self._port, reuse_port=self._reuse_port or None)
        await site.start()
        if self._port == 0:  # tests ask for any free port
            self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("webhook server listening on %s:%s", self._host, self._port)

    async def attach(self, bot: Bot, dispatcher: Dispatcher, *, platform: bool = False) -> None:
        if platform:
            self._platform = (bot, dispatcher)
        else:
            self._trackers[bot.id] = (bot, dispatcher)
        try:
            await bot.set_webhook(
                url=self.url_for(bot, platform=platform),
                secret_token=self._box.webhook_secret(bot.id),
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        except TelegramUnauthorizedError:
            self._trackers.pop(bot.id, None)
            await self._on_unauthorized(bot.id)

    def adopt(self, bot: Bot, dispatcher: Dispatcher, *, platform: bool = False) -> None:
        """Serve a bot whose webhook another worker has set: no call to Telegram."""
        if platform:
            self._platform = (bot, dispatcher)
        else:
            self._trackers[bot.id] = (bot, dispatcher)

    def forget(self, bot_id: int) -> None:
        """Stop serving a tracker here only (another worker deleted it and its webhook)."""
        self._trackers.pop(bot_id, None)

    def serves(self, bot_id: int) -> bool:
        return bot_id in self._trackers

    @property
    def serves_platform(self) -> bool:
        """The platform bot's webhook was set (or adopted from the worker that set it)."""
        return self._platform is not None

    async def detach(self, bot: Bot) -> None:
        if self._trackers.pop(bot.id, None) is None:
            return
        try:
            await bot.delete_webhook()
        except Exception:  # noqa: BLE001 - a revoked token cannot delete its webhook; nothing to do
            log.info("bot %s: deleteWebhook failed on detach", bot.id)

    async def stop(self) -> None:
        await self._runner.drain()
        if self._site_runner is not None:
            await self._site_runner.cleanup()

    async def _handle_platform(self, request: web.Request) -> web.Response:
        if self._platform is None:
            raise web.HTTPNotFound()
        return await self._accept(request, *self._platform)

    async def _handle_tracker(self, request: web.Request) -> web.Response:
        try:
            bot_id = int(request.match_info["bot_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        target = self._trackers.get(bot_id)
        if target is None:
            target = await self._adopt_unknown(request, bot_id)
        return await self._accept(request, *target)

    async def _adopt_unknown(self, request: web.Request, bot_id: int) -> tuple[Bot, Dispatcher]:
        # The secret is checked before the database is asked, so a scan of made-up ids costs an
        # HMAC each, not a query.
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self._resolve is None or not self._box.verify(f"webhook:{bot_id}", secret, 48):
            raise web.HTTPNotFound()
        await self._resolve(bot_id)
        target = self._trackers.get(bot_id)
        if target is None:
            raise web.HTTPNotFound()
        return target

    async def _accept(self, request: web.Request, bot: Bot, dispatcher: Dispatcher) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self._box.verify(f"webhook:{bot.id}", secret, 48):
            # The same 404 as for a bot not served here: a 401 would tell a scanner which bots are.
            log.warning("webhook for bot %s: wrong secret token from %s", bot.id, request.remote)
            raise web.HTTPNotFound()
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except Exception:  # noqa: BLE001 - malformed body: tell the sender, process nothing
            raise web.HTTPBadRequest() from None
        outcome = await self._runner.run(dispatcher, bot, update)
        if outcome in (Outcome.BUSY, Outcome.UNCLAIMED):
            # Being handled elsewhere, or not claimable now: Telegram delivers it again later and
            # then finds it done (acknowledged) or abandoned (taken over), never lost.
            raise web.HTTPServiceUnavailable(headers={"Retry-After": "5"})
        return web.Response(text="ok")


class HttpServer:
    """A small aiohttp server for routes that are not Telegram's (the YooKassa notifications) in
    polling mode; in webhook mode those routes go on `WebhookServer.app` instead."""

    def __init__(self, host: str, port: int, *, what: str = "payment notifications") -> None:
        self._host, self._port, self._what = host, port, what
        self.app = web.Application()
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        if self._port == 0:  # tests ask for any free port
            self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("http server (%s) listening on %s:%s", self._what, self._host, self._port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
