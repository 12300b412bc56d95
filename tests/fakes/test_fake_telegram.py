"""The fake Telegram server, driven by a real aiogram Bot over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    LabeledPrice,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Back, SwitchTo
from aiogram_dialog.widgets.text import Const
from aiohttp import web

from tests.fakes.fixtures import fake_telegram, fake_telegram_session, make_bot  # noqa: F401
from tests.fakes.telegram import FakeTelegram, FakeTelegramTimeout

TOKEN = "4242:AAtest-token_x"
KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[[
    InlineKeyboardButton(text="More", callback_data="more"),
    InlineKeyboardButton(text="Site", url="https://example.com"),
]])


@pytest.fixture
def bot(make_bot) -> Bot:
    return make_bot(TOKEN, "tracker_bot", "Tracker")


@pytest.fixture
def alice(fake_telegram: FakeTelegram):
    return fake_telegram.user(1001, "Alice", username="alice", language_code="ru")


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run an aiohttp app on 127.0.0.1 and yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=2))
    try:
        yield
    finally:
        try:
            await dp.stop_polling()
        except RuntimeError:  # polling never started
            task.cancel()
        with suppress(asyncio.CancelledError):
            await task


# ----------------------------------------------------------------------------- basics


async def test_get_me(fake_telegram, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (4242, "tracker_bot", "Tracker", True)
    assert fake_telegram.calls[-1].method == "getMe" and fake_telegram.calls[-1].status == 200


async def test_unknown_and_revoked_tokens_are_unauthorized(fake_telegram, bot, make_bot):
    stranger = Bot("999:nope", session=bot.session)
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await bot.get_me()
    fake_telegram.revoke(TOKEN)
    with pytest.raises(TelegramUnauthorizedError):
        await bot.get_me()
    assert [c.status for c in fake_telegram.calls_to("getMe", bot=4242)] == [200, 401]
    # A new token for the same bot works again, as after BotFather's /revoke.
    renewed = make_bot("4242:renewed")
    assert (await renewed.get_me()).id == 4242


async def test_unknown_method_json_body_and_error_shape(fake_telegram, bot, alice):
    await alice.send(bot, "hello")
    async with aiohttp.ClientSession() as http:
        url = f"{fake_telegram.base_url}/bot{TOKEN}"
        async with http.post(f"{url}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404,
                                             "description": "Not Found"}
        async with http.post(f"{url}/sendMessage", json={"chat_id": 1001, "text": "123",
                                                         "reply_markup": {"inline_keyboard": []}}) as r:
            body = await r.json()
    assert body["ok"] and body["result"]["text"] == "123"
    with pytest.raises(TelegramNotFound):
        await bot.session.make_request(bot, _FakeMethod())


class _FakeMethod:  # the smallest object aiogram's session accepts as a method
    __api_method__ = "definitelyMissing"
    __returning__ = bool

    def model_dump(self, **_):
        return {}


async def test_injected_429(fake_telegram, bot, alice):
    await alice.send(bot, "hi")
    fake_telegram.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(1001, "first")
    assert error.value.retry_after == 7
    assert (await bot.send_message(1001, "second")).text == "second"



async def test_injected_redirect_loop_ends_in_an_error_quoting_the_url(fake_telegram, bot, alice):
    await alice.send(bot, "hi")
    fake_telegram.fail_next("sendMessage", redirect=True, times=10, chat_id=1001)
    with pytest.raises(TelegramNetworkError, match="TooManyRedirects") as error:
        await bot.send_message(1001, "first")
    assert f"/bot{bot.token}/sendMessage" in str(error.value)  # what a leak of the token looks like
    assert len(fake_telegram.calls_to("sendMessage", chat_id=1001)) == 10  # the first try and nine hops
    assert (await bot.send_message(1001, "second")).text == "second"


# ----------------------------------------------------------------------------- messages


async def test_bot_cannot_write_first_and_blocked_user(fake_telegram, bot, alice):
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(1001, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hi")
    await alice.send(bot, "/start")
    await bot.send_message(1001, "hi")
    await alice.block(bot)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(1001, "hi")
    kinds = [next(k for k in u if k != "update_id") for u in fake_telegram.bot(bot).updates]
    assert kinds == ["message", "my_chat_member"]


async def test_send_message_with_inline_keyboard_and_read_it(fake_telegram, bot, alice):
    sent = await alice.send("@tracker_bot", "/start ref_42")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    message = await bot.send_message(1001, "Menu", reply_markup=KEYBOARD)
    assert message.from_user.id == 4242 and message.chat.id == 1001
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "more"

    seen = await alice.wait_for_message(bot)
    assert (seen.message_id, seen.text, seen.keyboard) == (message.message_id, "Menu",
                                                           [["More", "Site"]])
    assert alice.last_message(bot) == seen
    assert [c.params["text"] for c in fake_telegram.calls_to("sendMessage", chat_id=1001)] == ["Menu"]


async def test_edit_message_text_and_reply_markup(bot, alice):
    await alice.send(bot, "/start")
    message = await bot.send_message(1001, "Menu", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Menu v2", chat_id=1001, message_id=message.message_id,
                                         reply_markup=KEYBOARD)
    assert edited.text == "Menu v2" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Menu v2", chat_id=1001, message_id=message.message_id,
                                    reply_markup=KEYBOARD)
    # Editing the text without reply_markup drops the keyboard, as Telegram does.
    await bot.edit_message_text("plain", chat_id=1001, message_id=message.message_id)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=1001, message_id=message.message_id)
    await bot.edit_message_reply_markup(chat_id=1001, message_id=message.message_id,
                                        reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)

    texts = [(m.text, m.is_edit, bool(m.buttons)) for m in
             [await alice.wait_for_message(bot) for _ in range(4)]]
    assert texts == [("Menu", False, True), ("Menu v2", True, True), ("plain", True, False),
                     ("plain", True, True)]
    assert [m.text for m in alice.messages(bot)] == ["plain"]

    assert await bot.delete_message(1001, message.message_id)
    assert alice.messages(bot) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(1001, message.message_id)


async def test_html_parse_mode(bot, alice):
    await alice.send(bot, "/start")
    message = await bot.send_message(1001, "<b>Баланс</b>: 5 &lt;3 <a href='https://x.io'>x</a>",
                                     parse_mode="HTML")
    assert message.text == "Баланс: 5 <3 x"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 6), ("text_link", 13, 1)]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(1001, "1 < 2", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(1001, "<b>open", parse_mode="HTML")
    assert (await alice.wait_for_text(bot, "Баланс")).text == "Баланс: 5 <3 x"


async def test_bad_keyboards_are_rejected(bot, alice):
    await alice.send(bot, "/start")
    too_long = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="x", callback_data="d" * 65)]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(1001, "x", reply_markup=too_long)
    with pytest.raises(TelegramBadRequest, match="text is empty"):
        await bot.send_message(1001, "  ")


async def test_send_photo_upload_file_id_and_download(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    data = b"\x89PNG fake image bytes"
    message = await bot.send_photo(1001, BufferedInputFile(data, "chart.png"), caption="Chart",
                                   reply_markup=KEYBOARD)
    file_id = message.photo[-1].file_id
    assert fake_telegram.files[file_id].data == data
    again = await bot.send_photo(1001, file_id)
    assert again.photo[-1].file_id == file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(1001, "no-such-file")
    downloaded = await bot.download(file_id)
    assert downloaded.read() == data

    seen = await alice.wait_for_text(bot, "Chart")
    assert seen.content_type == "photo" and seen.file.data == data
    document = await bot.send_document(1001, BufferedInputFile(b"a,b\n", "report.csv"))
    assert document.document.file_name == "report.csv"


async def test_edit_caption_and_media(bot, alice):
    await alice.send(bot, "/start")
    message = await bot.send_photo(1001, BufferedInputFile(b"one", "1.png"), caption="One")
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text("x", chat_id=1001, message_id=message.message_id)
    captioned = await bot.edit_message_caption(chat_id=1001, message_id=message.message_id,
                                               caption="<i>Two</i>", parse_mode="HTML")
    assert captioned.caption == "Two" and captioned.caption_entities[0].type == "italic"
    replaced = await bot.edit_message_media(
        InputMediaPhoto(media=BufferedInputFile(b"three", "3.png"), caption="Three"),
        chat_id=1001, message_id=message.message_id, reply_markup=KEYBOARD)
    assert replaced.photo[-1].file_id != message.photo[-1].file_id
    seen = await alice.wait_for_text(bot, "Three")
    assert seen.file.data == b"three" and seen.keyboard == [["More", "Site"]]


async def test_user_sends_photo_and_bot_downloads_it(bot, alice):
    await alice.send_photo(bot, b"selfie", caption="me")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.caption == "me"
    assert (await bot.download(update.message.photo[-1].file_id)).read() == b"selfie"


async def test_reply_keyboard_press(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Баланс")]], resize_keyboard=True)
    await bot.send_message(1001, "Главное меню", reply_markup=keyboard)
    assert (await alice.wait_for_message(bot)).keyboard == [["Баланс"]]
    await alice.press(bot, "Баланс")
    updates = await bot.get_updates(offset=0)
    assert updates[-1].message.text == "Баланс"
    with pytest.raises(AssertionError, match="reply keyboard"):
        await alice.press(bot, "Нет такой")


# ----------------------------------------------------------------------------- reading


async def test_wait_for_message_cursor_and_timeouts(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    for text in ("one", "two", "three"):
        await bot.send_message(1001, text)
    assert (await alice.wait_for_text(bot, "two")).text == "two"  # "one" is consumed
    assert (await alice.wait_for_message(bot)).text == "three"
    await alice.expect_no_message(bot, timeout=0.05)
    with pytest.raises(FakeTelegramTimeout, match="(?s)text containing 'four'.*nothing"):
        await alice.wait_for_text(bot, "four", timeout=0.05)

    async def later():
        await asyncio.sleep(0.05)
        await bot.send_message(1001, "four")

    task = asyncio.create_task(later())
    assert (await alice.wait_for_message(bot, lambda m: m.text.startswith("f"))).text == "four"
    await task
    await bot.send_message(1001, "five")
    with pytest.raises(AssertionError, match="expected silence"):
        await alice.expect_no_message(bot, timeout=0.05)


async def test_click_unknown_button_lists_buttons(bot, alice):
    await alice.send(bot, "/start")
    await bot.send_message(1001, "Menu", reply_markup=KEYBOARD)
    menu = await alice.wait_for_message(bot)
    with pytest.raises(AssertionError, match=r"buttons: \[\('More', 'more'\), \('Site', None\)\]"):
        await alice.click(menu, "Nope")
    with pytest.raises(AssertionError, match="not a callback button"):
        await alice.click(menu, "Site")


# ----------------------------------------------------------------------------- getUpdates


async def test_get_updates_offset_and_long_poll(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["/start"]
    assert (await bot.get_updates(offset=updates[0].update_id, timeout=0))[0] == updates[0]

    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=10))
    await asyncio.sleep(0.1)
    fake_telegram.push_update(bot, {"callback_query": {
        "id": "q1", "from": alice.as_api(), "chat_instance": "x", "data": "more"}})
    result = await poll
    assert loop.time() - started < 2  # returned on arrival, not after the timeout
    assert result[0].callback_query.data == "more"
    assert await bot.answer_callback_query("q1", text="done")
    assert fake_telegram.bot(bot).callback_answers["q1"] == {"text": "done"}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("q1")

    assert await bot.get_updates(offset=result[0].update_id + 1, timeout=0) == []
    await fake_telegram.wait_until_delivered(bot)


async def test_allowed_updates_filter(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    await alice.block(bot)
    updates = await bot.get_updates(allowed_updates=["message"], timeout=0)
    assert [u.event_type for u in updates] == ["message"]
    assert len(fake_telegram.bot(bot).dropped_updates) == 1


async def test_second_poller_ends_the_first_with_conflict(bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_stop_ends_pending_long_polls_quickly():
    server = await FakeTelegram().start()
    server.add_bot(TOKEN)
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(TOKEN, session=session)
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.stop()
        await server.stop()  # idempotent
        assert await poll == []
        assert loop.time() - started < 3
    finally:
        await session.close()


# ----------------------------------------------------------------------------- webhooks


async def test_webhook_round_trip_with_secret(fake_telegram, bot, alice):
    received: list[tuple[dict, str | None]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get(
            "X-Telegram-Bot-Api-Secret-Token")))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/webhook/tracker/4242", receive)
    async with serve(app) as base:
        url = f"{base}/webhook/tracker/4242"
        assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1",
                                     allowed_updates=["message", "callback_query"])
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await alice.send(bot, "/start")
        await fake_telegram.wait_until_delivered(bot)
        info = await bot.get_webhook_info()

    assert received[0][0]["message"]["text"] == "/start"
    assert received[0][1] == "s3cr3t-Token_1"
    assert (info.url, info.pending_update_count, info.allowed_updates) == (
        url, 0, ["message", "callback_query"])
    assert [d.status for d in fake_telegram.bot(bot).webhook_deliveries] == [200]
    with pytest.raises(TelegramBadRequest, match="secret token"):
        await bot.set_webhook(url, secret_token="has spaces")
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_failures_are_retried_and_recorded(fake_telegram, bot, alice):
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/hook", broken)
    async with serve(app) as base:
        await bot.set_webhook(f"{base}/hook")
        await alice.send(bot, "/start")
        await fake_telegram.wait_until_delivered(bot)  # given up after the retries
    deliveries = fake_telegram.bot(bot).webhook_deliveries
    assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 500), (3, 500)]
    info = await bot.get_webhook_info()
    assert "500" in info.last_error_message
    # Pending updates survive until the webhook goes away and polling takes over.
    await bot.delete_webhook()
    await alice.send(bot, "again")
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["again"]


async def test_revoked_bot_gets_no_webhook_until_new_token(fake_telegram, bot, alice):
    received: list[int] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((await request.json())["update_id"])
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    async with serve(app) as base:
        await bot.set_webhook(f"{base}/hook")
        fake_telegram.revoke(TOKEN)
        await alice.send(bot, "/start")
        await asyncio.sleep(0.1)
        assert received == []
        fake_telegram.add_bot("4242:new-token")
        await fake_telegram.wait_until_delivered(4242)
    assert received == [1]


async def test_aiogram_webhook_answer_in_response(fake_telegram, bot, alice):
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message):
        return message.answer("hi from webhook")  # returned, not awaited: sent in the response

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False,
                         secret_token="tracker-secret").register(app, path="/webhook/tracker/4242")
    async with serve(app) as base:
        await bot.set_webhook(f"{base}/webhook/tracker/4242", secret_token="tracker-secret")
        await alice.send(bot, "/start")
        reply = await alice.wait_for_text(bot, "hi from webhook")
        await bot.delete_webhook()
    assert reply.chat_id == 1001
    (call,) = fake_telegram.calls_to("sendMessage")
    assert call.source == "webhook_response" and call.params["chat_id"] == 1001


# ----------------------------------------------------------------------------- dispatcher


async def test_dispatcher_polling_start_click_and_edit(fake_telegram, bot, alice):
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message):
        await message.answer("hi", reply_markup=KEYBOARD)

    @dp.callback_query(F.data == "more")
    async def more(callback: CallbackQuery):
        await callback.answer("loading")
        await callback.message.edit_text("more details")

    async with polling(dp, bot):
        await alice.send(bot, "/start")
        greeting = await alice.wait_for_text(bot, "hi")
        query_id = await alice.click(greeting, "More")
        edited = await alice.wait_for_text(bot, "more details")
        answer = await fake_telegram.wait_for_callback_answer(bot, query_id)

    assert edited.is_edit and edited.message_id == greeting.message_id and not edited.buttons
    assert answer["text"] == "loading"


async def test_aiogram_dialog_flow(bot, alice):
    class Menu(StatesGroup):
        main = State()
        second = State()

    dialog = Dialog(
        Window(Const("Main menu"), SwitchTo(Const("Next"), id="next", state=Menu.second),
               state=Menu.main),
        Window(Const("Second screen"), Back(Const("Back")), state=Menu.second),
    )
    dp = Dispatcher()
    dp.include_router(dialog)
    setup_dialogs(dp)

    @dp.message(CommandStart())
    async def start(message: Message, dialog_manager: DialogManager):
        await dialog_manager.start(Menu.main, mode=StartMode.RESET_STACK)

    async with polling(dp, bot):
        await alice.send(bot, "/start")
        main = await alice.wait_for_text(bot, "Main menu")
        await alice.click(main, "Next")
        second = await alice.wait_for_text(bot, "Second screen")
        await alice.click(second, "Back")
        back = await alice.wait_for_text(bot, "Main menu")
    assert second.is_edit and back.message_id == main.message_id
    assert [m.text for m in alice.messages(bot)] == ["Main menu"]


# ----------------------------------------------------------------------------- profile, chats


async def test_commands_descriptions_and_name(bot):
    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands, language_code="ru")
    got = await bot.get_my_commands(language_code="ru")
    assert [(c.command, c.description) for c in got] == [("start", "Начать")]
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-One", description="x")])
    assert await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []

    await bot.set_my_description("Трекер привычек")
    await bot.set_my_short_description("Short", language_code="en")
    await bot.set_my_name("Habit Tracker")
    assert (await bot.get_my_description(language_code="en")).description == "Трекер привычек"
    assert (await bot.get_my_short_description(language_code="en")).short_description == "Short"
    assert (await bot.get_my_name()).name == "Habit Tracker"
    assert (await bot.get_me()).first_name == "Habit Tracker"
    assert await bot.close() and await bot.log_out()


async def test_get_chat_and_members(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    chat = await bot.get_chat(1001)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Alice", "alice")
    assert (await bot.get_chat_member(1001, 1001)).status == "member"

    channel = fake_telegram.create_channel("News", alice, username="news")
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await bot.get_chat("@news")
    fake_telegram.set_member(channel, fake_telegram.bot(bot), "administrator")
    assert (await bot.get_chat_member("@news", 1001)).status == "creator"
    bob = fake_telegram.user(1002, "Bob")
    assert (await bot.get_chat_member(channel.id, bob.id)).status == "left"
    post = await bot.send_message("@news", "Пост")
    assert post.chat.id == channel.id and post.sender_chat.id == channel.id


# ----------------------------------------------------------------------------- payments


async def test_invoices_links_pre_checkout_and_refunds(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    invoice = await bot.send_invoice(1001, title="Месяц", description="30 дней", payload="plan:m",
                                     currency="XTR", prices=[LabeledPrice(label="Месяц", amount=250)])
    assert invoice.invoice.total_amount == 250
    seen = await alice.wait_for_message(bot)
    assert seen.invoice["payload"] == "plan:m" and seen.buttons[0]["pay"] is True

    link = await bot.create_invoice_link(title="Подписка", description="30 дней", payload="sub",
                                         currency="XTR", prices=[LabeledPrice(label="m", amount=99)],
                                         subscription_period=2592000)
    assert fake_telegram.bot(bot).invoice_links[link]["subscription_period"] == 2592000
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_PERIOD_INVALID"):
        await bot.create_invoice_link(title="t", description="d", payload="p", currency="XTR",
                                      prices=[LabeledPrice(label="m", amount=1)],
                                      subscription_period=86400)
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(1001, title="t", description="d", payload="p", currency="RUB",
                               prices=[LabeledPrice(label="m", amount=100)])
    # A provider token works only in the bot @BotFather issued it for.
    fake_telegram.add_bot("555001:OTHER-token", "other_bot")
    others = fake_telegram.issue_provider_token("other_bot")
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(1001, title="t", description="d", payload="p", currency="RUB", provider_token=others,
                               prices=[LabeledPrice(label="m", amount=100)])
    own = fake_telegram.issue_provider_token(bot)
    card = await bot.send_invoice(1001, title="t", description="d", payload="p", currency="RUB", provider_token=own,
                                  prices=[LabeledPrice(label="m", amount=100)])
    assert card.invoice.currency == "RUB"

    fake_telegram.push_update(bot, {"pre_checkout_query": {
        "id": "pcq1", "from": alice.as_api(), "currency": "XTR", "total_amount": 250,
        "invoice_payload": "plan:m"}})
    assert await bot.answer_pre_checkout_query("pcq1", ok=True)
    assert fake_telegram.bot(bot).pre_checkout_answers["pcq1"] == {"ok": True}

    fake_telegram.push_update(bot, {"message": {
        "message_id": 99, "date": 0, "chat": alice.chat.as_api(), "from": alice.as_api(),
        "successful_payment": {"currency": "XTR", "total_amount": 250, "invoice_payload": "plan:m",
                               "telegram_payment_charge_id": "ch1",
                               "provider_payment_charge_id": ""}}})
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].message.successful_payment.telegram_payment_charge_id == "ch1"
    assert await bot.refund_star_payment(1001, "ch1")
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(1001, "ch1")
    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(1001, "nope")


async def test_chat_action(fake_telegram, bot, alice):
    await alice.send(bot, "/start")
    assert await bot.send_chat_action(1001, "typing")
    assert fake_telegram.calls_to("sendChatAction", chat_id=1001, action="typing")
