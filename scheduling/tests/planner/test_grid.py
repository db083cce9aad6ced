"""Free time: local wall time across DST, RFC 5545 gaps and folds, busy time and its buffer.

No database: the planner is plain Python.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from scheduling.planner import (
    Interval,
    free_intervals,
)
from scheduling.tests.planner.helpers import (
    EVENINGS,
    MONDAY,
    NEW_YORK,
    local,
    utc,
)

# -- Free time and DST --------------------------------------------------------------------


def test_evening_window_keeps_local_wall_time_across_us_spring_forward():
    intervals = free_intervals(
        EVENINGS,
        timezone=NEW_YORK,
        start=local(date(2026, 3, 7), 0),
        end=local(date(2026, 3, 10), 0),
    )
    spans = [(i.start, i.end) for i in intervals]
    # Saturday, still EST (UTC-5): 18:00-22:00 local is 23:00-03:00 UTC.
    assert (utc(2026, 3, 7, 23), utc(2026, 3, 8, 3)) in spans
    # Monday after the change, EDT (UTC-4): 22:00-02:00 UTC.
    assert (utc(2026, 3, 9, 22), utc(2026, 3, 10, 2)) in spans
    # Sunday, the day of the change, is already EDT in the evening.
    assert (utc(2026, 3, 8, 22), utc(2026, 3, 9, 2)) in spans


def test_london_and_kolkata_evenings_in_utc():
    london = free_intervals(
        {
            "saturday": [{"start": "18:00", "end": "22:00"}],
            "monday": [{"start": "18:00", "end": "22:00"}],
        },
        timezone="Europe/London",
        start=utc(2026, 10, 24, 0),
        end=utc(2026, 10, 27, 0),
    )
    # BST (UTC+1) on the Saturday before the EU change, GMT on the Monday after.
    assert [(i.start, i.end) for i in london] == [
        (utc(2026, 10, 24, 17), utc(2026, 10, 24, 21)),
        (utc(2026, 10, 26, 18), utc(2026, 10, 26, 22)),
    ]
    kolkata = free_intervals(
        {"monday": [{"start": "18:00", "end": "22:00"}]},
        timezone="Asia/Kolkata",
        start=utc(2026, 3, 1, 0),
        end=utc(2026, 3, 3, 0),
    )
    assert [(i.start, i.end) for i in kolkata] == [
        (utc(2026, 3, 2, 12, 30), utc(2026, 3, 2, 16, 30))
    ]


def test_nonexistent_and_ambiguous_hours_follow_rfc5545():
    gap_day = {"sunday": [{"start": "02:00", "end": "03:00"}, {"start": "01:00", "end": "04:00"}]}
    spring = free_intervals(
        gap_day,
        timezone=NEW_YORK,
        start=local(date(2026, 3, 8), 0),
        end=local(date(2026, 3, 9), 0),
    )
    # 02:00-03:00 does not exist that night: it is read as 03:00 EDT - 03:00 EDT (empty);
    # 01:00-04:00 is 01:00 EST - 04:00 EDT, two real hours.
    assert [(i.start, i.end) for i in spring] == [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]
    fall = free_intervals(
        {"sunday": [{"start": "01:00", "end": "02:00"}]},
        timezone=NEW_YORK,
        start=local(date(2026, 11, 1), 0),
        end=local(date(2026, 11, 2), 0),
    )
    # 01:00 occurs twice; the first occurrence (EDT) is meant, so the window is two hours.
    assert [(i.start, i.end) for i in fall] == [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 7))]


def test_free_intervals_subtract_busy_with_buffer_and_clip_to_band_and_midnight():
    intervals = free_intervals(
        {"monday": [{"start": "20:00", "end": "02:00"}]},
        timezone=NEW_YORK,
        start=local(MONDAY, 0),
        end=local(MONDAY + timedelta(days=2), 0),
        busy=[Interval(local(MONDAY, 21), local(MONDAY, 21, 30))],
        buffer_min=15,
        earliest_start=time(8),
        latest_end=time(1),
    )
    assert [(i.start, i.end) for i in intervals] == [
        (local(MONDAY, 20), local(MONDAY, 20, 45)),
        (local(MONDAY, 21, 30), local(MONDAY + timedelta(days=1), 0)),
        (local(MONDAY + timedelta(days=1), 0), local(MONDAY + timedelta(days=1), 1)),
    ]
