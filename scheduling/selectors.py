"""Composed reads of the scheduling layer: the schedule, next tasks, the week, streaks."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from courses.models import Topic
from scheduling import planner, rules, streaks
from scheduling.models import BusyInterval, PlanSnapshot, StudyTask, TaskStatus
from scheduling.work import local_midnight, user_zone

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How many prioritized tasks `next` shows by default.
NEXT_TASKS_LIMIT = 10
# Redis only caches busy time (PostgreSQL holds it): a lost key costs one indexed query.
BUSY_CACHE_KEY = "busy:{user_id}"
# Writes delete the key on commit; the expiry bounds how long a missed delete could matter.
BUSY_CACHE_SECONDS = 60 * 60


def busy_intervals_for(
    user_id, *, start: datetime | None = None, end: datetime | None = None
) -> list[planner.Interval]:
    """The student's busy time in time order, optionally only what overlaps [start, end).

    Reads the cached copy when there is one; PostgreSQL otherwise (and refills the cache).
    """
    key = BUSY_CACHE_KEY.format(user_id=user_id)
    intervals = _busy_from_cache(cache.get(key))
    if intervals is None:
        rows = BusyInterval.objects.for_user(user_id).order_by("start", "end", "id")
        intervals = [planner.Interval(s, e) for s, e in rows.values_list("start", "end")]
        cached = [[i.start.isoformat(), i.end.isoformat()] for i in intervals]
        cache.set(key, cached, timeout=BUSY_CACHE_SECONDS)
    if start is not None:
        intervals = [i for i in intervals if i.end > start]
    if end is not None:
        intervals = [i for i in intervals if i.start < end]
    return sorted(intervals, key=lambda i: (i.start, i.end))


def _busy_from_cache(cached) -> list[planner.Interval] | None:
    """The cached copy, or None (a miss) when there is none or it cannot be read back."""
    if not isinstance(cached, list):
        return None
    try:
        return [
            planner.Interval(datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in cached
        ]
    except (TypeError, ValueError):
        return None


def busy_fingerprint(intervals: list[planner.Interval]) -> str:
    """A digest of busy time: a plan remembers the one it used, a sweep compares."""
    payload = json.dumps([[i.start.isoformat(), i.end.isoformat()] for i in intervals])
    return hashlib.sha256(payload.encode()).hexdigest()


def busy_fingerprints_by_user(user_ids) -> dict[str, str]:
    """`busy_fingerprint` of each user's busy time, in one query (the hourly sweep)."""
    by_user: dict[str, list[planner.Interval]] = {str(pk): [] for pk in user_ids}
    rows = (
        BusyInterval.objects.filter(user_id__in=list(user_ids))
        .order_by("user_id", "start", "end", "id")
        .values_list("user_id", "start", "end")
    )
    for user_id, start, end in rows:
        by_user[str(user_id)].append(planner.Interval(start, end))
    return {
        user_id: busy_fingerprint(sorted(items, key=lambda i: (i.start, i.end)))
        for user_id, items in by_user.items()
    }


def tasks_for(user) -> QuerySet[StudyTask]:
    return StudyTask.objects.for_user(user).select_related("course", "assessment")


def schedule_between(user, start: datetime, end: datetime) -> QuerySet[StudyTask]:
    """Blocks overlapping [start, end), in time order."""
    return (
        tasks_for(user)
        .filter(scheduled_start__isnull=False)
        .scheduled_between(start, end)
        .order_by("scheduled_start", "id")
    )


def unscheduled_for(user) -> QuerySet[StudyTask]:
    return tasks_for(user).filter(status=TaskStatus.PENDING).order_by("-priority_score", "id")


# The pages list this many blocks that did not fit, the most urgent first. A student whose
# courses hold far more work than their free time has thousands: listed whole, each with its
# forms, they made the today page megabytes long.
UNSCHEDULED_SHOWN = 20


@dataclass(frozen=True)
class UnscheduledWork:
    shown: list[StudyTask]
    count: int
    minutes: int

    @property
    def hidden(self) -> int:
        return self.count - len(self.shown)


def unscheduled_work(user, *, shown: int = UNSCHEDULED_SHOWN) -> UnscheduledWork:
    """The most urgent blocks that did not fit, with the count and minutes of all of them, in
    one query. The totals are uncorrelated subqueries, computed once over the narrow rows: a
    window over the listed rows would join and sort every one of thousands before the limit,
    where the list itself stops after `shown` rows of the priority index."""
    pending = (
        StudyTask.objects.for_user(user).filter(status=TaskStatus.PENDING).order_by().values("user")
    )
    rows = list(
        unscheduled_for(user).annotate(
            all_count=Subquery(pending.annotate(count=Count("id")).values("count")),
            all_minutes=Subquery(
                pending.annotate(minutes=Sum("estimated_duration_min")).values("minutes")
            ),
        )[:shown]
    )
    if not rows:
        return UnscheduledWork(shown=[], count=0, minutes=0)
    return UnscheduledWork(shown=rows, count=rows[0].all_count, minutes=rows[0].all_minutes or 0)


def next_tasks(
    user,
    now: datetime | None = None,
    *,
    horizon_days: int | None = None,
    max_tasks: int | None = None,
) -> QuerySet[StudyTask]:
    """Open work by priority: blocks not yet over, and work still waiting for a slot.

    With `horizon_days`, a block must start before now + that many days; work waiting for a
    slot (pending) and work under way stay, as they are due whenever a slot comes. With
    `max_tasks`, only that many of the highest priority.
    """
    now = now or timezone.now()
    scheduled = Q(status=TaskStatus.SCHEDULED, scheduled_end__gt=now)
    if horizon_days is not None:
        scheduled &= Q(scheduled_start__lt=now + timedelta(days=horizon_days))
    tasks = (
        tasks_for(user)
        .filter(scheduled | Q(status=TaskStatus.PENDING) | Q(status=TaskStatus.IN_PROGRESS))
        .order_by("-priority_score", "scheduled_start", "id")
    )
    if max_tasks is not None:
        # A sliced queryset cannot be filtered further; paging still slices it.
        tasks = tasks.filter(pk__in=list(tasks.values_list("pk", flat=True)[:max_tasks]))
        tasks = tasks.order_by("-priority_score", "scheduled_start", "id")
    return tasks


def first_topic_names(user, tasks) -> dict[str, str]:
    """Names of each task's first topic, keyed by topic id, in one query."""
    ids = {str(task.topic_ids[0]) for task in tasks if task.topic_ids}
    if not ids:
        return {}
    return {
        str(pk): name
        for pk, name in Topic.objects.for_user(user).filter(pk__in=ids).values_list("pk", "name")
    }


def daily_breakdown(tasks, tz) -> list[dict]:
    """Planned hours and block count per local day."""
    minutes: dict[date, int] = defaultdict(int)
    counts: dict[date, int] = defaultdict(int)
    for task in tasks:
        if task.scheduled_start is None or task.scheduled_end is None:
            continue
        day = task.scheduled_start.astimezone(tz).date()
        minutes[day] += int((task.scheduled_end - task.scheduled_start).total_seconds() // 60)
        counts[day] += 1
    return [
        {"date": day, "hours": round(minutes[day] / 60, 2), "task_count": counts[day]}
        for day in sorted(minutes)
    ]


def snapshot_for(user) -> PlanSnapshot | None:
    return PlanSnapshot.objects.for_user(user).for_pages().first()


# -- Streak -----------------------------------------------------------------------------------


def streak_for(user, now: datetime | None = None) -> rules.Streak:
    """The streak over the student's study days (scheduling.streaks), counted up to their
    local today."""
    now = now or timezone.now()
    return rules.streak(streaks.study_days(user), now.astimezone(user_zone(user)).date())


# -- Week view --------------------------------------------------------------------------------


@dataclass
class Slot:
    start: datetime
    end: datetime
    label: str = ""


@dataclass
class DayColumn:
    date: date
    is_today: bool
    tasks: list[StudyTask] = field(default_factory=list)
    busy: list[Slot] = field(default_factory=list)
    availability: list[Slot] = field(default_factory=list)

    @property
    def planned_minutes(self) -> int:
        return sum(
            int((t.scheduled_end - t.scheduled_start).total_seconds() // 60) for t in self.tasks
        )


@dataclass
class WeekView:
    start: date
    days: list[DayColumn]
    tz_name: str

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.start + timedelta(days=7)


def week_start_for(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _parse_hhmm(value) -> time | None:
    try:
        hours, minutes = str(value).split(":")
        if (int(hours), int(minutes)) == (24, 0):
            return time(23, 59)
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return None


def day_view(user, *, first: date, days: int, preferences, now: datetime | None = None):
    """Columns for `days` local days from `first`: blocks, busy time and availability."""
    now = now or timezone.now()
    tz = user_zone(user)
    start = local_midnight(first, tz)
    end = local_midnight(first + timedelta(days=days), tz)
    tasks = list(schedule_between(user, start, end))
    busy = busy_intervals_for(user.pk, start=start, end=end)
    today = now.astimezone(tz).date()
    columns = []
    availability = preferences.weekly_availability or {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        column = DayColumn(date=day, is_today=day == today)
        day_start = local_midnight(day, tz)
        day_end = local_midnight(day + timedelta(days=1), tz)
        column.tasks = [t for t in tasks if day_start <= t.scheduled_start < day_end]
        column.busy = [
            Slot(max(b.start, day_start), min(b.end, day_end), "Busy")
            for b in busy
            if b.start < day_end and b.end > day_start
        ]
        for window in availability.get(WEEKDAY_NAMES[day.weekday()], []) or []:
            opens, closes = _parse_hhmm(window.get("start")), _parse_hhmm(window.get("end"))
            if opens and closes:
                column.availability.append(
                    Slot(
                        datetime.combine(day, opens, tzinfo=tz),
                        datetime.combine(day, closes, tzinfo=tz),
                        "Available",
                    )
                )
        columns.append(column)
    return columns


def week_view(user, *, week_of: date, preferences, now: datetime | None = None) -> WeekView:
    first = week_start_for(week_of)
    days = day_view(user, first=first, days=7, preferences=preferences, now=now)
    return WeekView(start=first, days=days, tz_name=user_zone(user).key)
