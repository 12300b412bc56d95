"""The admin types dates the way the screens show them ("01.12.2026 09:00"), or in ISO."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from billing.admin import AdminInputError
from dialogs.platform.admin.handlers import parse_when

MSK = "Europe/Moscow"


def test_a_date_as_the_screens_write_it_or_in_iso():
    expected = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo(MSK))
    assert parse_when(["01.12.2026", "09:00"], MSK) == expected == parse_when(["2026-12-01", "09:00"], MSK)
    assert parse_when(["01.12.2026"], MSK) == expected.replace(hour=0)
    assert parse_when([], MSK) is None


@pytest.mark.parametrize("words", [["32.12.2026"], ["2026-13-01"], ["01.12.26"], ["01.12.2026", "25:00"]])
def test_an_unreadable_date_is_refused_with_the_locale_sentence(words):
    with pytest.raises(AdminInputError) as refused:
        parse_when(words, MSK)
    assert refused.value.key == "admin-bad-date"
