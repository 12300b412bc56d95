""""My partner programs" in the platform bot, end to end: a partner of two trackers sees both with
their own figures, the balance once, and a link that opens each tracker's cabinet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import PlanKind, Tracker
from referral import create_link, record_start
from tests.e2e.harness import make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.e2e.test_referral import PLATFORM, PRICE, pay, rub, share, shown, tg  # noqa: F401  (tg: the fixture)

VERA, OLGA = "vera_prog_bot", "olga_prog_bot"


async def open_programs(person):
    await person.send(PLATFORM, "/start")
    menu = await person.wait_for_message(PLATFORM, lambda m: ["🤝 Мои партнёрские программы"] in m.keyboard)
    await person.click(menu, "🤝 Мои партнёрские программы")
    return await shown(person, "🤝 Мои партнёрские программы", PLATFORM)


async def test_a_partner_of_two_trackers_sees_both(tg, database_url, tmp_path):  # noqa: F811
    tg.add_bot(tracker_token(81), VERA, "Vera")
    tg.add_bot(tracker_token(82), OLGA, "Olga")
    anna = tg.user(1081, "Anna", language_code="ru")
    olga = tg.user(1082, "Olga", language_code="ru")
    sasha = tg.user(3081, "Sasha", language_code="ru")
    clients = [tg.user(4080 + i, f"Client{i}", language_code="ru") for i in range(4)]
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        # Sasha, with nothing yet: a sentence and no programs.
        empty = await open_programs(sasha)
        assert "Вы пока не продвигаете ни одного трекера" in empty.plain
        assert f"Доступно к выплате: {rub(0)}" in empty.plain

        await create_tracker(anna, tracker_token(81), VERA)
        await create_tracker(olga, tracker_token(82), OLGA)
        vera, olga_tracker = await Tracker.get(username=VERA), await Tracker.get(username=OLGA)
        for tracker in (vera, olga_tracker):
            await set_price(tracker.id, PlanKind.MONTH, PRICE)
        # Sasha becomes a partner of both through their authors' "become my partner" links, and
        # brings one client to Vera and two to Olga, who pay a month that has ended; a third
        # client of Olga's pays now: that period is still open (a forecast, not earnings yet).
        for tracker in (vera, olga_tracker):
            recruit = await create_link(tracker.id, tracker.author_id, makes_partner=True)
            assert (await record_start(tracker.id, sasha.id, recruit.code)).became_partner
        vera_code = (await create_link(vera.id, sasha.id, "TG")).code
        olga_code = (await create_link(olga_tracker.id, sasha.id, "YT")).code
        ended = datetime.now(UTC) - timedelta(days=40)
        for n, (tracker, code, client, paid_at) in enumerate([
            (vera, vera_code, clients[0], ended), (olga_tracker, olga_code, clients[1], ended),
            (olga_tracker, olga_code, clients[2], ended), (olga_tracker, olga_code, clients[3], datetime.now(UTC)),
        ]):
            await record_start(tracker.id, client.id, code)
            await pay(tracker, client, n, paid_at)
        assert (await settle_due_periods(now=datetime.now(UTC))).periods == 3

        screen = await open_programs(sasha)
        vera_part, olga_part = (screen.plain.split(f"(@{bot})")[1].split("Кабинет:")[0] for bot in (VERA, OLGA))
        assert f"Заработано: {rub(share('l1'))}, ожидается: {rub(0)}" in vera_part
        assert f"Заработано: {rub(2 * share('l1'))}, ожидается: {rub(share('l1'))}" in olga_part
        assert "Ссылок-приглашений: 1" in vera_part and "Ссылок-приглашений: 1" in olga_part
        # Biggest earnings first; each with the link that opens its cabinet.
        assert screen.plain.index(OLGA) < screen.plain.index(VERA)
        assert f"https://t.me/{VERA}?start=partner" in screen.plain
        assert f"https://t.me/{OLGA}?start=partner" in screen.plain
        # The balance over both, once.
        assert screen.plain.count("Доступно к выплате") == 1
        assert f"Начислено: {rub(3 * share('l1'))}" in screen.plain
        assert f"Доступно к выплате: {rub(3 * share('l1'))}" in screen.plain
        assert ["💸 Баланс и выплаты"] in screen.keyboard

        # The link opens the tracker's cabinet with that tracker's figures.
        await sasha.send(OLGA, "/start partner")
        cabinet = await shown(sasha, "Кабинет партнёра — Olga", OLGA)
        assert f"Заработано в этом трекере: {rub(2 * share('l1'))}" in cabinet.plain
        assert f"Ожидается с оплаченных, ещё не закрытых периодов: {rub(share('l1'))}" in cabinet.plain
        # Someone who may not invite there gets the greeting instead.
        await clients[0].send(OLGA, "/start partner")
        await clients[0].wait_for_text(OLGA, "Здравствуйте")

        # The authors see their own tracker among their programs (they have links there).
        anna_screen = await open_programs(anna)
        assert f"{VERA}) — ваш трекер" in anna_screen.plain and OLGA not in anna_screen.plain

