"""The first screen of a tracker bot (`/start`): it greets and sells.

One message: the greeting with the author's description (clients never see the author's "no
description yet" placeholder: they get a neutral line), then
- for a client without a subscription: the plans with their prices, a "Subscribe" button per plan
  and, where the author allows free messages, how many are left (they still come first: writing
  to the bot is free until they run out);
- for a paying client: until when, and the partner cabinet (they may invite and earn);
- the partner cabinet's button for whoever may invite (the author, a payer, a named partner).
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from billing.access import ClientFacts, client_facts
from dialogs.tracker.partner.dialogs import OPEN_CABINET
from handlers.tracker.paywall import BuyPlan
from i18n.catalog import Translator
from i18n.format import count, day, price
from models import Tracker, User
from services.payments import plan_args

# Every command a client can use, in the order /help lists them (bot.app sets the same menu).
CLIENT_COMMANDS = ("start", "help", "subscription", "partner", "meet", "end", "tz")


def help_text(tracker: Tracker, i18n: Translator) -> str:
    lines = [f"/{name} — {i18n(f'cmd-tracker-{name}')}" for name in CLIENT_COMMANDS]
    return i18n("tracker-help", name=tracker.name, commands="\n".join(lines))


def _description(tracker: Tracker, user: User, i18n: Translator) -> str:
    if tracker.description:
        return tracker.description
    if user.id == tracker.author_id:  # a hint for the author only
        return i18n("tracker-no-description")
    return i18n("greeting-neutral")


async def greeting(tracker: Tracker, user: User, i18n: Translator, *, tz: str,
                   facts: ClientFacts | None = None) -> tuple[str, InlineKeyboardMarkup]:
    parts = [i18n("tracker-greeting", name=tracker.name, first_name=user.first_name,
                  description=_description(tracker, user, i18n))]
    rows: list[list[InlineKeyboardButton]] = []
    is_author = user.id == tracker.author_id
    if facts is None:
        facts = await client_facts(tracker, user.id)  # one round trip: access, the subscription, invites, plans
    access = facts.access
    subscribed_until = None if is_author else facts.subscription_ends_at
    if subscribed_until is not None:
        parts.append(i18n("greeting-subscribed", until=day(subscribed_until, tz, lang=i18n.lang)))
    elif not is_author and (plans := facts.plans):
        lines = [i18n("paywall-plan-line", **plan_args(i18n, p.kind.value), price=price(p.price_kopecks, i18n.lang))
                 for p in plans]
        parts.append(i18n("greeting-plans-title") + "\n" + "\n".join(lines))
        if access.free_left > 0:
            parts.append(i18n("greeting-free-first", n=access.free_left, left=count(access.free_left, i18n.lang)))
        rows += [[InlineKeyboardButton(
            text=i18n("greeting-btn-subscribe", **plan_args(i18n, p.kind.value),
                      price=price(p.price_kopecks, i18n.lang)),
            callback_data=BuyPlan(plan=p.kind.value).pack())] for p in plans]
    if facts.may_invite:
        if subscribed_until is not None:
            parts.append(i18n("greeting-cabinet-for-payers"))
        rows.append([InlineKeyboardButton(text=i18n("partner-btn-open"), callback_data=OPEN_CABINET)])
    return "\n\n".join(parts), InlineKeyboardMarkup(inline_keyboard=rows)


async def send_greeting(message: Message, tracker: Tracker, user: User, i18n: Translator, *, tz: str,
                        facts: ClientFacts | None = None) -> None:
    text, markup = await greeting(tracker, user, i18n, tz=tz, facts=facts)
    await message.answer(text, reply_markup=markup if markup.inline_keyboard else None)
