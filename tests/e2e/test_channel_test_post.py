"""A test post that Telegram does not answer (5xx) must not disconnect the channel: only a 400/403
means the bot may not post there, as in the outbox."""

from models import ChannelStatus, PartnerChannel
from tests.e2e.harness import make_settings, running_platform, tracker_token
from tests.e2e.test_channels import BOT, setup_partner, tg  # noqa: F401 (tg is a fixture)


async def test_a_test_post_that_telegram_does_not_answer_keeps_the_channel(tg, database_url, tmp_path):
    token = tracker_token(76)
    tg.add_bot(token, BOT, "Vera")
    author, sasha = tg.user(1076, "Anna"), tg.user(3076, "Sasha", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await setup_partner(tg, author, sasha, token)
        chat = tg.create_channel("Sasha news", sasha)
        await tg.add_bot_to_channel(chat, BOT, by=sasha)
        await sasha.wait_for_text(BOT, "Channel “Sasha news” is connected to Vera")
        await sasha.send(BOT, "/partner")
        main = await sasha.wait_for_message(BOT, lambda m: "📣 My channels" in str(m.keyboard))
        await sasha.click(main, "📣 My channels")
        listing = await sasha.wait_for_text(BOT, "Your event channels")
        await sasha.click(listing, "🟢 Sasha news")
        card = await sasha.wait_for_text(BOT, "Tap an event")
        tg.fail_next("sendMessage", 500, bot=BOT, chat_id=chat.id)
        await sasha.click(card, "🧪 Test post")
        await sasha.wait_for_text(BOT, "The channel stays connected")
        assert (await PartnerChannel.get(chat_id=chat.id)).status == ChannelStatus.CONNECTED
        await sasha.click(card, "🧪 Test post")
        await tg.wait_for_channel_post(chat, BOT, "✅ Test post from Vera")
