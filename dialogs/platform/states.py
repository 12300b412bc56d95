from aiogram.fsm.state import State, StatesGroup


class TrackersSG(StatesGroup):
    """The author's list of trackers and "New tracker"."""

    main = State()
    new_token = State()


class TrackerSG(StatesGroup):
    """One tracker's card and its settings."""

    card = State()
    edit_name = State()
    edit_description = State()
    replace_token = State()
    confirm_delete = State()
    confirm_pause = State()  # keep the clients' Stars subscriptions or cancel them
    dashboard = State()  # the author's figures (billing.dashboard)


class PlansSG(StatesGroup):
    """A tracker's plans and prices (issue 4)."""

    main = State()
    price = State()
    card = State()


class AiSG(StatesGroup):
    """A tracker's AI: system prompt, model, free messages, mJ limit, scenarios, the test chat."""

    panel = State()
    prompt = State()
    model = State()
    free = State()
    limit = State()
    new_scenario = State()
    scenario = State()
    scenario_prompt = State()
    scenario_when = State()
    scenario_end = State()
    test_chat = State()
    test_result = State()


class PartnersSG(StatesGroup):
    """A tracker's partners, the author's own referral earnings and "become my partner" links (issue 5)."""

    main = State()
    new_link = State()


class AdminSG(StatesGroup):
    """The platform admin's menu: mJ rate, model prices, commission, events, totals, export (issue 7)."""

    menu = State()
    rate = State()
    rate_new = State()
    prices = State()
    price = State()
    price_new = State()
    commission = State()
    commission_new = State()
    costs = State()  # the LLM cost settings (billing.policy)
    events = State()
    totals = State()


class AdminDebtsSG(StatesGroup):
    """What authors owe for money they collected themselves; recording a repayment."""

    list = State()
    amount = State()


class AdminHoldsSG(StatesGroup):
    """Partners flagged for fraud: their held shares released or forfeited (billing.holds)."""

    list = State()
    partner = State()


class AdminPayoutsSG(StatesGroup):
    """The platform admin's payout queue: approve (YooKassa or by hand), mark paid, reject (issue 7)."""

    queue = State()
    payout = State()
    reference = State()
    reject_reason = State()



class ProgramsSG(StatesGroup):
    """"My partner programs": every tracker the person promotes, with earnings, and the balance."""

    main = State()
