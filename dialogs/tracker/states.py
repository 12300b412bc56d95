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
