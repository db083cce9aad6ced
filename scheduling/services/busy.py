"""Busy time pulled from the student's calendars, stored in PostgreSQL.

A pull replaces one source's rows inside the window it asked about, in one transaction, so a
reader never sees half a calendar. Redis only caches what `selectors.busy_intervals_for`
reads; the key is dropped after commit, and a flushed cache costs one query, not a calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction

from accounts.errors import ApplicationError
from accounts.page_cache import student_pages_invalidate
from scheduling import planner
from scheduling.models import BusyInterval, PlanSnapshot
from scheduling.selectors import BUSY_CACHE_KEY, busy_fingerprint
from scheduling.services.plan import plan_replan_enqueue

# The source `busy_intervals_set` writes when a caller names none (the Google freeBusy pull).
DEFAULT_BUSY_SOURCE = "google"
# "All time" for a replace that is not limited to a window.
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _clean(intervals) -> list[tuple[datetime, datetime, str, str]]:
    """(start, end, external_id, label) in time order; empty intervals are dropped."""
    cleaned = []
    for item in intervals:
        start, end = item[0], item[1]
        external_id = str(item[2]) if len(item) > 2 and item[2] else ""
        label = str(item[3]) if len(item) > 3 and item[3] else ""
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise ApplicationError("Busy time needs start and end datetimes.")
        if start.tzinfo is None or end.tzinfo is None:
            raise ApplicationError("Busy time needs timezone-aware datetimes.")
        if end > start:
            cleaned.append((start, end, external_id[:255], label[:200]))
    return sorted(cleaned, key=lambda row: (row[0], row[1], row[2]))


def busy_intervals_replace(
    *,
    user,
    source: str,
    intervals,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> bool:
    """Replace `source`'s busy time of `user` in [window_start, window_end) with `intervals`.

    `intervals` are (start, end) pairs, optionally (start, end, external_id, label). Rows of
    the source that overlap the window are deleted, as are the source's rows that ended before
    it (the planner never looks back); rows of other sources are untouched. Intervals that do
    not overlap the window are ignored. Replans after commit when the busy time the planner
    sees changed; returns whether it did.
    """
    source = (source or "").strip()[:200]
    if not source:
        raise ApplicationError("Busy time needs a source.")
    lo = window_start or _EARLIEST
    hi = window_end or _LATEST
    if hi <= lo:
        raise ApplicationError("The busy-time window ends before it starts.")
    rows = [row for row in _clean(intervals) if row[0] < hi and row[1] > lo]
    with transaction.atomic():
        mine = BusyInterval.objects.for_user(user).filter(source=source)
        (mine.overlapping(lo, hi) | mine.filter(end__lte=lo)).delete()
        BusyInterval.objects.bulk_create(
            BusyInterval(user=user, source=source, start=s, end=e, external_id=x, label=label)
            for s, e, x, label in rows
        )
        key = BUSY_CACHE_KEY.format(user_id=user.pk)
        cache.delete(key)
        # The week page shows busy time; bulk writes send no row signals to retire it.
        student_pages_invalidate(user_id=user.pk)
        # A reader between the delete above and the commit may cache the old rows again.
        transaction.on_commit(lambda: cache.delete(key))
        transaction.on_commit(lambda: student_pages_invalidate(user_id=user.pk))
        fingerprint = busy_fingerprint(_committed_view(user))
        snapshot = PlanSnapshot.objects.filter(user=user).first()
        if snapshot is not None and snapshot.busy_fingerprint == fingerprint:
            return False
        plan_replan_enqueue(user_id=user.pk, reason="busy_changed")
    return True


def _committed_view(user):
    """This transaction's busy rows, read from PostgreSQL (the cache may be stale until commit)."""
    return [
        planner.Interval(start, end)
        for start, end in BusyInterval.objects.for_user(user)
        .order_by("start", "end", "id")
        .values_list("start", "end")
    ]


def busy_intervals_set(*, user, intervals, source: str = DEFAULT_BUSY_SOURCE) -> bool:
    """All of `source`'s busy time for `user` (replaces everything that source had).

    Kept for callers that pull a whole calendar at once; see `busy_intervals_replace`.
    """
    return busy_intervals_replace(user=user, source=source, intervals=intervals)
