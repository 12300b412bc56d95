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
