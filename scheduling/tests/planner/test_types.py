"""The request dataclasses refuse what cannot be planned.

No database: the planner is plain Python.
"""

from __future__ import annotations

from datetime import datetime, time

import pytest

from scheduling.planner import (
    PlanInputError,
    WeeklyWindow,
    parse_weekly_availability,
)
from scheduling.tests.planner.helpers import (
    MONDAY,
    request_for,
    task,
)


def test_inputs_are_validated():
    with pytest.raises(PlanInputError):
        task("a", 60, MONDAY, MONDAY, deadline=datetime(2026, 3, 9))  # naive
    with pytest.raises(PlanInputError):
        request_for([], MONDAY, timezone="Mars/Olympus_Mons")
    with pytest.raises(PlanInputError):
        parse_weekly_availability({"moonday": [{"start": "18:00", "end": "22:00"}]})
    with pytest.raises(PlanInputError):
        request_for([task("a", 60, MONDAY, MONDAY), task("a", 30, MONDAY, MONDAY)], MONDAY)
    windows = parse_weekly_availability({"Friday": [{"start": "19:00", "end": "24:00"}]})
    assert windows == (WeeklyWindow(4, time(19), time(0)),)
