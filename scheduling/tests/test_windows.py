"""The API's planning and schedule windows: in order, and at most MAX_WINDOW_DAYS long."""

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.api.serializers import (
    MAX_WINDOW_DAYS,
    GenerateInputSerializer,
    ScheduleQuerySerializer,
)

FIRST_DAY = date(2026, 12, 1)
START = datetime(2026, 12, 1, tzinfo=UTC)
TOO_LONG = f"The window can be at most {MAX_WINDOW_DAYS} days."


@pytest.mark.parametrize(
    ("days_after", "error"),
    [
        (0, None),  # one day: both dates are included
        (MAX_WINDOW_DAYS - 1, None),
        (MAX_WINDOW_DAYS, TOO_LONG),
        (-1, "Must not be before start_date."),
    ],
)
def test_a_planning_window_counts_both_days(days_after, error):
    last_day = FIRST_DAY + timedelta(days=days_after)
    serializer = GenerateInputSerializer(
        data={"start_date": FIRST_DAY.isoformat(), "end_date": last_day.isoformat()}
    )
    assert serializer.is_valid() is (error is None)
    assert serializer.errors == ({} if error is None else {"end_date": [error]})


@pytest.mark.parametrize(
    ("length", "error"),
    [
        (timedelta(minutes=1), None),
        (timedelta(days=MAX_WINDOW_DAYS), None),
        (timedelta(days=MAX_WINDOW_DAYS, minutes=1), TOO_LONG),
        (timedelta(0), "Must be after start."),
    ],
)
def test_a_schedule_window_ends_after_it_starts(length, error):
    serializer = ScheduleQuerySerializer(
        data={"start": START.isoformat(), "end": (START + length).isoformat()},
        context={"tz": UTC},
    )
    assert serializer.is_valid() is (error is None)
    assert serializer.errors == ({} if error is None else {"end": [error]})
