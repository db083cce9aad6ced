"""When to send, in the student's own time: quiet hours and the daily send slots. Pure: no
Django, only zoneinfo, so DST and midnight are property-testable.

Slots. Beat runs the daily sweep every `slot` minutes, at the slot boundaries in UTC. A run at
instant `t` sends to every student whose chosen local time lies in the wall-clock window
(local(t - slot), local(t)]: a 07:00 choice goes out by the run at 07:00 local. Students are
grouped by timezone: every zone whose window is the same is one bucket, one filter on the
time column. A DST jump is handled by the window itself: on the spring-forward night the
window that crosses 02:00 is (01:45, 03:00] wall time, so a time inside the skipped hour is
sent at 03:00; on the fall-back night the window that crosses the repeated hour runs
backwards and is empty, so no time is sent twice (the (user, kind, local date) key would stop
it anyway).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class LocalWindow:
    """Times of day in (after, upto]; `upto` of None means "to the end of the day"."""

    after: time | None  # None: from midnight included
    upto: time | None
    local_date: date

    def contains(self, moment: time) -> bool:
        lower_ok = self.after is None or moment > self.after
        upper_ok = self.upto is None or moment <= self.upto
        return lower_ok and upper_ok


def slot_end(now: datetime, slot_minutes: int) -> datetime:
    """The slot boundary at or before `now` (UTC-aligned; every zone offset in use is a
    multiple of 15 minutes, so a boundary is on the quarter hour in every zone too)."""
    minutes = now.hour * 60 + now.minute
    floor = minutes - minutes % slot_minutes
    return now.replace(hour=floor // 60, minute=floor % 60, second=0, microsecond=0)


def windows_for_zone(zone: ZoneInfo, *, end: datetime, slot_minutes: int) -> list[LocalWindow]:
    """The local wall-clock windows of the slot ending at `end` in `zone` (0, 1 or 2)."""
    start_local = (end - timedelta(minutes=slot_minutes)).astimezone(zone)
    end_local = end.astimezone(zone)
    start_wall = start_local.replace(tzinfo=None)
    end_wall = end_local.replace(tzinfo=None)
    if end_wall <= start_wall:
        # The clocks went back: these wall times were already covered.
        return []
    if start_wall.date() == end_wall.date():
        return [LocalWindow(start_local.time(), end_local.time(), end_local.date())]
    # Across midnight: the end of one day, then the start of the next (00:00 belongs to the
    # day it starts).
    return [
        LocalWindow(start_local.time(), None, start_local.date()),
        LocalWindow(None, end_local.time(), end_local.date()),
    ]


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
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


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
