from aiogram.fsm.state import State, StatesGroup


class PartnerSG(StatesGroup):
    """The partner cabinet of a tracker bot (issue 5)."""

    main = State()
    links = State()
    link = State()
    new_link = State()
    rename = State()
    earnings = State()
    network = State()
    howto = State()
    api = State()  # API tokens (issue 18)
    statement = State()  # settled periods, paged, and their CSV (issue 17)


class PayoutsSG(StatesGroup):
    """Balance and payouts in the partner cabinet: withdraw (amount, method, destination, confirm),
    my requests (issue 7)."""

    main = State()
    amount = State()
    method = State()
    destination = State()
    bank = State()
    card = State()  # add a card in the Mini App (YooKassa's payout widget)
    confirm = State()
    history = State()


class ChannelsSG(StatesGroup):
    """The partner's event channels in the cabinet: the list, one channel's settings (issue 7)."""

    main = State()
    channel = State()


class PrivateEventsSG(StatesGroup):
    """Which events the tracker bot sends to the partner's private chat (issue 17)."""

    main = State()
