"""The pure timing rules: the daily slot windows in every zone across DST, and quiet hours."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from journey.notifications.timing import quiet_until, slot_end, windows_for_zone, zone_buckets

SLOT = 15
ZONES = [
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "UTC",
]
GRID = [time(h, m) for h in range(24) for m in range(0, 60, SLOT)]


def sends_on(zone_name: str, choice: time, day_start: datetime, days: int) -> list[datetime]:
    """Every slot end (UTC) in the period at which `choice` is inside the zone's window."""
    zone = ZoneInfo(zone_name)
    hits = []
    end = day_start
    while end < day_start + timedelta(days=days):
        end += timedelta(minutes=SLOT)
        if any(w.contains(choice) for w in windows_for_zone(zone, end=end, slot_minutes=SLOT)):
            hits.append(end)
    return hits


@settings(max_examples=40, deadline=None)
@given(zone_name=st.sampled_from(ZONES), choice=st.sampled_from(GRID))
def test_every_grid_time_is_sent_once_per_local_day_across_the_dst_weeks(zone_name, choice):
    zone = ZoneInfo(zone_name)
    # Two weeks around the US and EU spring changes (and Sydney's autumn one a few weeks on).
    start = datetime(2027, 3, 10, tzinfo=UTC)
    hits = sends_on(zone_name, choice, start, 14)
    local_dates = [hit.astimezone(zone).date() for hit in hits]
    # Never twice on one local day.
    assert len(local_dates) == len(set(local_dates))
    # Every full local day in the period gets it (the first and last may be cut by the period).
    first, last = (
        start.astimezone(zone).date(),
        (start + timedelta(days=14)).astimezone(zone).date(),
    )
    for offset in range(1, (last - first).days):
        assert first + timedelta(days=offset) in local_dates
    # At the chosen wall time, unless DST skipped it (then at the first moment after the gap).
    for hit in hits:
        local = hit.astimezone(zone)
        if local.time() != choice:
            assert local.time() > choice and (local - timedelta(hours=1)).time() <= choice


def test_chicago_seven_am_in_utc_on_both_sides_of_the_change():
    hits = sends_on("America/Chicago", time(7, 0), datetime(2027, 3, 13, tzinfo=UTC), 3)
    assert hits == [
        datetime(2027, 3, 13, 13, 0, tzinfo=UTC),
        datetime(2027, 3, 14, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
    ]


def test_a_time_in_the_skipped_hour_goes_an_hour_later():
    hits = sends_on("America/Chicago", time(2, 30), datetime(2027, 3, 14, 6, tzinfo=UTC), 1)
    assert hits[0].astimezone(ZoneInfo("America/Chicago")).time() == time(3, 30)


def test_the_repeated_hour_in_autumn_sends_once():
    hits = sends_on("America/Chicago", time(1, 30), datetime(2027, 11, 7, 4, tzinfo=UTC), 1)
    assert len(hits) == 1


def test_buckets_group_zones_with_the_same_window():
    end = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    buckets = zone_buckets(
        ["America/Chicago", "America/Winnipeg", "UTC"], end=end, slot_minutes=SLOT
    )
    by_zone = {name: window for window, names in buckets.items() for name in names}
    assert by_zone["America/Chicago"] == by_zone["America/Winnipeg"]
    assert by_zone["America/Chicago"].times == {time(7, 0)}
    assert by_zone["UTC"].times == {time(12, 0)}


def test_slot_end_floors_to_the_grid():
    assert slot_end(datetime(2027, 3, 15, 12, 14, 59, tzinfo=UTC), SLOT) == datetime(
        2027, 3, 15, 12, 0, tzinfo=UTC
    )


def test_quiet_hours_across_midnight_and_dst():
    chicago = ZoneInfo("America/Chicago")
    evening = datetime(2027, 3, 13, 23, 0, tzinfo=chicago)
    # The night the clocks go forward: quiet until 07:00 CDT, an hour less of real time.
    assert quiet_until(evening, start=time(22, 0), end=time(7, 0), zone=chicago) == datetime(
        2027, 3, 14, 7, 0, tzinfo=chicago
    )
    morning = datetime(2027, 3, 14, 6, 59, tzinfo=chicago)
    assert quiet_until(morning, start=time(22, 0), end=time(7, 0), zone=chicago) is not None
    day = datetime(2027, 3, 14, 7, 0, tzinfo=chicago)
    assert quiet_until(day, start=time(22, 0), end=time(7, 0), zone=chicago) is None
    # Same-day quiet hours.
    lunch = datetime(2027, 3, 14, 12, 30, tzinfo=chicago)
    assert quiet_until(lunch, start=time(12, 0), end=time(13, 0), zone=chicago) == datetime(
        2027, 3, 14, 13, 0, tzinfo=chicago
    )
    assert quiet_until(lunch, start=None, end=None, zone=chicago) is None
