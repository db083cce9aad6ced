"""When to send, in the student's own time: quiet hours and the daily send slots. Pure: no
Django, only zoneinfo, so DST and midnight are property-testable.

Slots. Beat runs the daily sweep every `slot` minutes, at the slot boundaries in UTC, and the
time a student picks is on a grid of the same step. A chosen wall time on a local date is due at
its first instant: the first occurrence when the clocks go back (01:30 on the autumn night is
sent once, at the first 01:30), and, when the clocks skip it, the instant the old offset gives
(02:30 on the spring night is sent at 03:30, an hour after the jump). A run at `t` sends every
time whose instant lies in (t - slot, t], so a 07:00 choice goes out by the run at 07:00 local
on either side of a change. Zones are grouped into buckets of equal (times, local date), each
one filter on the time column in the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class LocalWindow:
    """The grid times of one local date due in a slot."""

    times: frozenset[time]
    local_date: date

    def contains(self, moment: time) -> bool:
        return moment in self.times


def slot_end(now: datetime, slot_minutes: int) -> datetime:
    """The slot boundary at or before `now` (UTC-aligned; every zone offset in use is a
    multiple of 15 minutes, so a boundary is on the quarter hour in every zone too)."""
    minutes = now.hour * 60 + now.minute
    floor = minutes - minutes % slot_minutes
    return now.replace(hour=floor // 60, minute=floor % 60, second=0, microsecond=0)


def first_instant(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """When `moment` on `day` first happens in `zone` (fold=0: see the module text)."""
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


# No zone moves its clocks by more than an hour; two hours of candidates either side is ample.
CANDIDATE_MARGIN = timedelta(hours=2)


def windows_for_zone(zone: ZoneInfo, *, end: datetime, slot_minutes: int) -> list[LocalWindow]:
    """The grid times due in `zone` in the slot (end - slot, end], per local date."""
    start = end - timedelta(minutes=slot_minutes)
    wall = (start.astimezone(zone) - CANDIDATE_MARGIN).replace(tzinfo=None)
    wall -= timedelta(minutes=wall.minute % slot_minutes, seconds=wall.second)
    wall = wall.replace(microsecond=0)
    last = (end.astimezone(zone) + CANDIDATE_MARGIN).replace(tzinfo=None)
    due: dict[date, set[time]] = defaultdict(set)
    while wall <= last:
        if start < first_instant(wall.date(), wall.time(), zone) <= end:
            due[wall.date()].add(wall.time())
        wall += timedelta(minutes=slot_minutes)
    return [LocalWindow(frozenset(times), day) for day, times in sorted(due.items())]


def zone_buckets(
    zone_names: Iterable[str], *, end: datetime, slot_minutes: int
) -> dict[LocalWindow, list[str]]:
    """Zones grouped by their local window for this slot; zones with no window are left out."""
    buckets: dict[LocalWindow, list[str]] = defaultdict(list)
    for name in sorted(set(zone_names)):
        for window in windows_for_zone(ZoneInfo(name), end=end, slot_minutes=slot_minutes):
            buckets[window].append(name)
    return dict(buckets)


def _wall(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """`moment` on `day` in `zone` as an aware instant; a wall time skipped by DST moves on
    by the jump (fold=0 gives the pre-transition offset, which lands after the gap)."""
    naive = datetime.combine(day, moment)
    aware = naive.replace(tzinfo=zone)
    # Round trip through UTC normalises a nonexistent wall time.
    return aware.astimezone(UTC).astimezone(zone)


def quiet_until(
    moment: datetime, *, start: time | None, end: time | None, zone: ZoneInfo
) -> datetime | None:
    """The end of the quiet hours `moment` falls in, or None when it falls in none.

    Quiet hours are local wall times; start after end spans midnight (22:00 to 07:00).
    """
    if start is None or end is None or start == end:
        return None
    local = moment.astimezone(zone)
    now_time = local.time()
    if start < end:
        if start <= now_time < end:
            return _wall(local.date(), end, zone)
        return None
    # Across midnight: quiet from `start` to midnight, and from midnight to `end`.
    if now_time >= start:
        return _wall(local.date() + timedelta(days=1), end, zone)
    if now_time < end:
        return _wall(local.date(), end, zone)
    return None
