from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.ranges import range_errors
from accounts.tests.factories import UserPreferencesFactory
from accounts.validators import STUDY_DAY_MESSAGE

DAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("end", "may_end_at_start", "expected"),
    [
        (DAY + timedelta(days=1), False, {}),
        (DAY, False, {"end": ["backwards"]}),
        (DAY, True, {}),
        (DAY - timedelta(days=1), True, {"end": ["backwards"]}),
        (DAY + timedelta(days=7), True, {}),
        (DAY + timedelta(days=8), True, {"end": ["too long"]}),
        (None, False, {}),
    ],
)
def test_a_range_runs_forward_and_is_not_too_long(end, may_end_at_start, expected):
    errors = range_errors(
        DAY,
        end,
        field="end",
        order_message="backwards",
        may_end_at_start=may_end_at_start,
        longest=timedelta(days=7),
        length_message="too long",
    )
    assert errors == expected


@pytest.mark.django_db
@pytest.mark.parametrize("latest", [time(8, 0), time(7, 0)])
def test_a_study_day_must_end_after_it_starts(latest):
    preferences = UserPreferencesFactory()
    preferences.earliest_start_time, preferences.latest_end_time = time(8, 0), latest
    with pytest.raises(ValidationError) as excinfo:
        preferences.full_clean()
    assert excinfo.value.message_dict["latest_end_time"] == [STUDY_DAY_MESSAGE]
