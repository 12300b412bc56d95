"""A platform process killed with events in the outbox (issue 7): they arrive after a restart,
each once, in order.

The real platform runs in a process of its own (tests/e2e/outbox_kill_main.py: `run_platform`,
what `gptitor run` calls) on a SQLite file, against the fake Telegram server in this process.
A partner's channel is connected; then Telegram refuses the channel's first post with a 429 and
hangs on the next one, so while the clients' events pile up behind it, the head of the channel's
queue is claimed and its post is in flight. The process is killed with SIGKILL: no shutdown runs,
so its claim stays in the table. A new process on the same file must leave that claim alone until
it expires (a claim is how workers share the queue), then deliver everything.

How fast a machine starts a Python process must not decide the outcome, so the claim is long (two
minutes: any start-up fits in it) and the test moves its expiry instead of waiting it out. Once
the new process runs and its delivery loop is shown working (it delivers a probe to another chat),
while the dead claim is still held, the test sets the claim to expire a moment later, reads that
expiry back from the database, and checks that the channel's first post went out after it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.crypto import generate_key
from models import OutboxEvent, OutboxStatus, PartnerChannel
from notify import events as ev
from notify.outbox import enqueue
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, tracker_token
from tests.e2e.test_channels import BOT, connect_channel, pay, setup_partner, texts
from tests.e2e.test_referral import start
from tests.fakes.telegram import TelegramError
from tests.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
# Longer than any start-up of the second process; the test brings the expiry forward itself.
CLAIM_SECONDS = 120.0
EXPIRES_IN = 2.0  # the dead claim, once the new process is shown running, expires this much later
CHANNEL_GAP = 0.5  # the channel's posts 0.5 s apart instead of 3 s: same order, shorter test
RETRY_AFTER = 4  # the 429 on the first post: the clients' events are written meanwhile
# The new process must take the head soon after the claim expires, not when its own claims would
# (CLAIM_SECONDS): a round is half a second, the rest is room for a loaded machine.
LATE = 30.0

PAYMENT = "💳 Vera: новый подписчик Client0 — месяц, 1 490,00 ₽ (1-й уровень)."


def start_post(name: str) -> str:
    return f"👋 Vera: {name} открыл(а) бота по вашей ссылке."


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


class HeldPosts:
    """Telegram hangs on the bot's posts to one channel: the request is in flight and nothing is
    posted. Once opened, a post still held is answered with a 500 (it never went out) and later
    ones go through."""

    def __init__(self, tg, bot: str, chat_id: int) -> None:
        self.bot_id, self.chat_id = tg.bot(bot).id, chat_id
        self.held = 0
        self.opened = asyncio.Event()
        self._send = tg._methods["sendmessage"]
        tg._methods["sendmessage"] = self._send_message

    async def _send_message(self, bot, params: dict):
        if bot.id == self.bot_id and params.get("chat_id") == self.chat_id and not self.opened.is_set():
            self.held += 1
            await self.opened.wait()
            raise TelegramError(500, "Internal Server Error")
        result = self._send(bot, params)
        return await result if isinstance(result, Awaitable) else result

    def open(self) -> None:
        self.opened.set()


class Platform:
    """One platform process at a time on the same database; each appends its "ready" line."""

    def __init__(self, workdir: Path, env: dict[str, str], *, main: str = "tests.e2e.outbox_kill_main",
                 args: list[str] | None = None) -> None:
        self.dir, self.env = workdir, env
        self.main, self.args = main, args if args is not None else [str(CLAIM_SECONDS), str(CHANNEL_GAP)]
        self.status = workdir / "ready.jsonl"
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    async def start(self) -> dict:
        self.runs += 1
        with (self.dir / f"platform-{self.runs}.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.main, str(self.status), *self.args],
                env=self.env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
            )
        pid = self.proc.pid
        await eventually(lambda: self._ready(pid) or self.proc.poll() is not None, f"platform run {self.runs} to start",
                         timeout=60)
        assert self.proc.poll() is None, f"the platform exited:\n{self.logs()}"
        return self._ready(pid)

    def _ready(self, pid: int) -> dict | None:
        lines = self.status.read_text().splitlines() if self.status.exists() else []
        return next((r for r in map(json.loads, lines) if r["pid"] == pid), None)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return "\n".join(f"-- platform run {n}:\n"
                         + (self.dir / f"platform-{n}.log").read_text(errors="replace")[-4000:]
                         for n in range(1, self.runs + 1))


async def _all_sent(channel_id: int) -> bool:
    return not await OutboxEvent.filter(channel_id=channel_id).exclude(status=OutboxStatus.SENT).exists()


@pytest.mark.timeout(180)
async def test_events_in_the_outbox_of_a_killed_process_arrive_after_a_restart_once_each(tg, database, tmp_path):
    token = tracker_token(75)
    tg.add_bot(token, BOT, "Vera")
    author, sasha = tg.user(1075, "Anna"), tg.user(3075, "Sasha")
    clients = [tg.user(4075 + n, f"Client{n}") for n in range(3)]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL", "SECRET_KEY"))},
        "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": generate_key(),
        "DATABASE_URL": database, "TELEGRAM_API_BASE": tg.base_url, "POLLING_TIMEOUT": "1",
        "PYTHONPATH": str(REPO),
    }
    platform = Platform(tmp_path, env)
    try:
        first = await platform.start()
        tracker, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        channel = await PartnerChannel.get(chat_id=chat.id)

        # Telegram refuses the first event's post for a while, then hangs on it.
        tg.fail_next("sendMessage", 429, retry_after=RETRY_AFTER, bot=BOT, chat_id=chat.id)
        held = HeldPosts(tg, BOT, chat.id)
        for client in clients:
            await start(client, code, bot=BOT)
        await pay(tracker, clients[0], 1, days_ago=1)
        await eventually(lambda: held.held, "the first post to be in flight", timeout=RETRY_AFTER + 20)

        events = await OutboxEvent.filter(channel_id=channel.id).order_by("id")
        assert [(e.kind, e.status) for e in events] == [("start", OutboxStatus.PENDING)] * 3 + [
            ("subscriber", OutboxStatus.PENDING)]
        platform.kill()
        killed_at = datetime.now(UTC)

        # The dead process's claim on the head is still there, and still valid; nothing else is claimed.
        head, *rest = await OutboxEvent.filter(channel_id=channel.id).order_by("id")
        assert head.claimed_by is not None and f":{first['pid']}:" in head.claimed_by
        dead_claim, claimed_until = head.claimed_by, head.claimed_until
        assert claimed_until > killed_at + timedelta(seconds=3), "the claim nearly expired before the kill"
        assert claimed_until <= killed_at + timedelta(seconds=CLAIM_SECONDS)
        assert all(e.claimed_by is None for e in rest)
        assert not [p for p in texts(tg, chat) if "Client" in p]
        held.open()  # whatever the dead process had in flight never reached the channel

        await platform.start()
        # The new process's delivery loop runs: a probe to Sasha's private chat arrives ...
        await enqueue(None, kind=ev.TEST, bot_id=tracker.bot_id, chat_id=sasha.id, dedupe_key="probe",
                      params={"tracker": "Vera"})
        await sasha.wait_for_text(BOT, "Тестовый пост от трекера «Vera»")
        # ... while the channel's head stays with the dead claim, and nothing reached the channel.
        head = await OutboxEvent.get(id=head.id)
        assert (head.status, head.claimed_by, head.claimed_until) == (OutboxStatus.PENDING, dead_claim, claimed_until)
        assert not [p for p in texts(tg, chat) if "Client" in p]

        # The claim runs out: the new process takes the head and delivers the queue.
        expires = datetime.now(UTC) + timedelta(seconds=EXPIRES_IN)
        await OutboxEvent.filter(id=head.id).update(claimed_until=expires)
        expires = (await OutboxEvent.get(id=head.id)).claimed_until
        await tg.wait_for_channel_post(chat, BOT, PAYMENT, timeout=LATE + 4 * CHANNEL_GAP + 30)

        # Each event once, in the order of its fact, after the connection's own post.
        assert texts(tg, chat)[1:] == [start_post("Client0"), start_post("Client1"), start_post("Client2"), PAYMENT]
        # The last post is marked SENT just after Telegram took it.
        await eventually(lambda: _all_sent(channel.id), "the outbox rows to be marked sent")
        events = await OutboxEvent.filter(channel_id=channel.id).order_by("id")
        assert [(e.status, e.claimed_by) for e in events] == [(OutboxStatus.SENT, None)] * 4
        # The new process waited for the dead one's claim, and not longer than it had to.
        first_sent = events[0].sent_at
        assert expires <= first_sent <= expires + timedelta(seconds=LATE), (first_sent, expires)
    except BaseException:
        print(platform.logs())
        raise
    finally:
        platform.stop()
