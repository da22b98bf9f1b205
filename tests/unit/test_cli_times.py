"""The ops commands send the API the times it takes: a ``--from`` without an offset means UTC."""

from paygate.cli.payments import utc_time


def test_naive_times_are_sent_as_utc():
    assert utc_time("2024-01-15T10:31:00") == "2024-01-15T10:31:00Z"
    assert utc_time("2024-01-15 10:31:00.5") == "2024-01-15T10:31:00.5Z"


def test_other_values_go_as_typed():
    for value in (None, "2024-01-15", "2024-01-15T10:31:00+05:30", "yesterday"):
        assert utc_time(value) == value
