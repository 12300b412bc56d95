"""Pure parts of the conversation: the prompt with its trimmed history, and weekly schedules."""

from datetime import UTC, datetime

from llm.prompt import Turn, build_messages, trim_history
from llm.schedule import next_occurrence, parse_weekly


def test_history_is_trimmed_to_the_token_budget_newest_kept():
    turns = [Turn("user" if i % 2 == 0 else "assistant", f"message {i}", tokens=100) for i in range(20)]
    kept = trim_history(turns, budget=450)
    assert [t.text for t in kept] == ["message 16", "message 17", "message 18", "message 19"]
    assert kept[0].role == "user"


def test_messages_carry_the_system_and_scenario_prompts():
    messages = build_messages("You are Vera.", "Run the contracting meeting.", "[END]", [Turn("user", "hi")])
    assert messages[0]["role"] == "system"
    assert "You are Vera." in messages[0]["content"] and "contracting" in messages[0]["content"]
    assert "[END]" in messages[0]["content"]
    assert messages[1:] == [{"role": "user", "content": "hi"}]


def test_weekly_occurrence_in_the_clients_time_zone():
    assert parse_weekly("пн,чт 19:00") == ([0, 3], "19:00")
    assert parse_weekly("mon thu 7:30") == ([0, 3], "07:30")
    assert parse_weekly("sometimes") is None
    monday_noon_utc = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
    # Monday 19:00 Moscow is 16:00 UTC the same day; in Vladivostok (UTC+10) it is Thursday's.
    assert next_occurrence([0, 3], "19:00", "Europe/Moscow", monday_noon_utc) == datetime(2025, 1, 6, 16, 0, tzinfo=UTC)
    assert (next_occurrence([0, 3], "19:00", "Asia/Vladivostok", monday_noon_utc)
            == datetime(2025, 1, 9, 9, 0, tzinfo=UTC))
