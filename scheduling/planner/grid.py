"""The time grid: minute arithmetic, DST-correct local days and free time."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner.types import (
    DEFAULT_BUFFER_MIN,
    Interval,
    WeeklyAvailability,
    WeeklyWindow,
    _as_interval,
    _normalize_availability,
    _require_aware,
    _zone,
)

# English month names, not strftime's %b, so reasons do not depend on the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MINUTES_PER_DAY = 24 * 60


# -- Minute arithmetic ----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MINUTE = timedelta(minutes=1)


def _floor_min(value: datetime) -> int:
    return (value - _EPOCH) // _ONE_MINUTE


def _ceil_min(value: datetime) -> int:
    return -((_EPOCH - value) // _ONE_MINUTE)


def _to_datetime(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


def _local_minute(day: date, wall: time, tz: ZoneInfo) -> int:
    # fold=0: first occurrence of an ambiguous time, pre-gap offset for a missing one (RFC 5545).
    return _floor_min(datetime.combine(day, wall, tzinfo=tz))


def _align_up(minute: int, step: int) -> int:
    return -(-minute // step) * step


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(
    spans: list[tuple[int, int]], cuts: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """`spans` (sorted, disjoint) minus the union of `cuts`."""
    cut_list = _merge(cuts)
    if not cut_list:
        return list(spans)
    result: list[tuple[int, int]] = []
    index = 0
    for start, end in spans:
        while index < len(cut_list) and cut_list[index][1] <= start:
            index += 1
        cursor = start
        probe = index
        while probe < len(cut_list) and cut_list[probe][0] < end:
            cut_start, cut_end = cut_list[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def _overlap(spans: list[tuple[int, int]], lo: int, hi: int) -> int:
    return sum(max(0, min(end, hi) - max(start, lo)) for start, end in spans)


def _format_local(minute: int, tz: ZoneInfo) -> str:
    local = _to_datetime(minute).astimezone(tz)
    return f"{_MONTHS[local.month - 1]} {local.day} {local.hour:02d}:{local.minute:02d}"


# -- Free time ------------------------------------------------------------------------------


def _local_midnights(first: date, last: date, tz: ZoneInfo) -> list[tuple[date, int]]:
    """(date, instant of its local midnight) for first..last+1, so each day has an end."""
    days = (last - first).days + 2
    return [
        (first + timedelta(days=offset), _local_minute(first + timedelta(days=offset), time(0), tz))
        for offset in range(days)
    ]


def _daily_spans(
    ranges: Iterable[tuple[int, time, time]], first: date, last: date, tz: ZoneInfo
) -> list[tuple[int, int]]:
    """Weekly (weekday, start, end) wall-time ranges as merged instants over first..last."""
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in ranges:
        by_weekday.setdefault(weekday, []).append((start, end))
    spans: list[tuple[int, int]] = []
    # Start a day early: a window that runs past midnight reaches into `first`.
    day = first - timedelta(days=1)
    while day <= last:
        for start, end in by_weekday.get(day.weekday(), ()):
            end_day = day + timedelta(days=1) if end <= start else day
            start_minute = _local_minute(day, start, tz)
            end_minute = _local_minute(end_day, end, tz)
            if end_minute > start_minute:
                spans.append((start_minute, end_minute))
        day += timedelta(days=1)
    return _merge(spans)


def _free_spans(
    windows: Sequence[WeeklyWindow],
    tz: ZoneInfo,
    start_minute: int,
    end_minute: int,
    busy: Iterable[tuple[int, int]],
    buffer_min: int,
    earliest_start: time | None,
    latest_end: time | None,
) -> list[tuple[int, int]]:
    if end_minute <= start_minute:
        return []
    first = _to_datetime(start_minute).astimezone(tz).date()
    last = _to_datetime(end_minute).astimezone(tz).date()
    available = _daily_spans(((w.weekday, w.start, w.end) for w in windows), first, last, tz)
    if earliest_start is not None or latest_end is not None:
        # An end at or before the start runs to the next day, so a missing latest_end (midnight)
        # means "until the end of the day" and 22:00-02:00 suits a night owl.
        band_start = earliest_start or time(0)
        band_end = latest_end or time(0)
        band = _daily_spans(((wd, band_start, band_end) for wd in range(7)), first, last, tz)
        available = _intersect(available, band)
    available = _intersect(available, [(start_minute, end_minute)])
    available = _subtract(available, ((s - buffer_min, e) for s, e in busy))
    midnights = [minute for _, minute in _local_midnights(first, last, tz)]
    return _split_at(available, midnights)


def _split_at(spans: list[tuple[int, int]], cuts: list[int]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in spans:
        index = bisect.bisect_right(cuts, start)
        cursor = start
        while index < len(cuts) and cuts[index] < end:
            result.append((cursor, cuts[index]))
            cursor = cuts[index]
            index += 1
        result.append((cursor, end))
    return result


def free_intervals(
    availability: WeeklyAvailability,
    *,
    timezone: str | ZoneInfo,
    start: datetime,
    end: datetime,
    busy: Iterable[Interval | tuple[datetime, datetime]] = (),
    buffer_min: int = DEFAULT_BUFFER_MIN,
    earliest_start: time | None = None,
    latest_end: time | None = None,
) -> list[Interval]:
    """Weekly availability in `timezone` over [start, end), minus busy time, as UTC intervals.

    Each busy interval also blocks the `buffer_min` minutes before it. Intervals are sorted,
    disjoint and cut at every local midnight (so each lies within one local day).
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    tz = _zone(timezone)
    busy_spans = []
    for item in busy:
        interval = _as_interval(item)
        busy_spans.append((_floor_min(interval.start), _ceil_min(interval.end)))
    spans = _free_spans(
        _normalize_availability(availability),
        tz,
        _ceil_min(start),
        _floor_min(end),
        busy_spans,
        buffer_min,
        earliest_start,
        latest_end,
    )
    return [Interval(_to_datetime(s), _to_datetime(e)) for s, e in spans]
