"""The daily mastery rollup behind the stats page's "mastery over time" chart.

Each row is a course's mean mastery at the end of one local day with evidence: the mean over
the course's evidenced topics of each one's latest `mastery_after` by then. The recompute
refreshes the rows of the courses it folded, once per batch, so a page never folds the whole
history; a refresh that finds the rows already right writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.db import transaction

from accounts.timezones import user_zone
from courses.models import Course
from mastery.models import CourseMasteryDay, MasteryObservation

# Means are stored as the chart shows them: one decimal place.
MEAN_DECIMALS = 1


def _history_steps(user, course_ids: set[str]) -> Iterable[tuple]:
    """The stored history of these courses as (course, topic, observed at, mastery after), in
    the order the rollup walks it."""
    return (
        MasteryObservation.objects.for_user(user)
        .filter(topic__course_id__in=course_ids)
        .order_by("observed_at", "sequence")
        .values_list("topic__course_id", "topic_id", "observed_at", "mastery_after")
        .iterator(chunk_size=5000)
    )


def _days_from_steps(user, steps: Iterable[tuple]) -> dict[tuple[str, object], tuple[float, int]]:
    """{(course id, local day): (mean mastery, evidenced topics)} from history steps in order."""
    zone = user_zone(user)
    latest: dict[str, dict] = {}
    totals: dict[str, float] = {}
    days: dict[tuple[str, object], tuple[float, int]] = {}
    for course_id, topic_id, observed_at, mastery in steps:
        course_key = str(course_id)
        topics = latest.setdefault(course_key, {})
        # A running total, so each step costs O(1) whatever the course's topic count.
        totals[course_key] = totals.get(course_key, 0.0) + mastery - topics.get(topic_id, 0.0)
        topics[topic_id] = mastery
        day = observed_at.astimezone(zone).date()
        days[(course_key, day)] = (
            round(totals[course_key] / len(topics), MEAN_DECIMALS),
            len(topics),
        )
    return days


def course_mastery_days_refresh(
    *, user, course_ids: Iterable, steps: Iterable[tuple] | None = None
) -> int:
    """Bring the rollup rows of these courses in line with their history; returns rows written.

    `steps` is the whole history of these courses when the caller already holds it (a bulk
    fold of all their topics), as (course, topic, observed at, sequence, mastery after) in any
    order; without it the stored history is read.
    """
    ids = {str(course_id) for course_id in course_ids}
    if not ids:
        return 0
    with transaction.atomic():
        # Two recomputes of one course's topics may finish together; each would read the other's
        # day as missing and both insert it. The lock makes the second wait, then read the
        # history both wrote. NO KEY: other writes that only reference the course go on.
        list(
            Course.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return _refresh_locked(user=user, ids=ids, steps=steps)


def _refresh_locked(*, user, ids: set[str], steps: Iterable[tuple] | None) -> int:
    if steps is None:
        ordered = _history_steps(user, ids)
    else:
        # The stored history's order: by instant, then by sequence (sorted is stable). The
        # key is in UTC: datetimes that share one tzinfo compare without asking each offset.
        ordered = (
            (course_id, topic_id, observed_at, mastery)
            for course_id, topic_id, observed_at, _, mastery in sorted(
                steps, key=lambda step: (step[2].astimezone(UTC), step[3])
            )
        )
    wanted = _days_from_steps(user, ordered)
    stored = {
        (str(course_id), day): (pk, mean, count)
        for pk, course_id, day, mean, count in CourseMasteryDay.objects.for_user(user)
        .filter(course_id__in=ids)
        .values_list("pk", "course_id", "day", "mean_mastery", "topic_count")
    }
    stale = [pk for key, (pk, mean, count) in stored.items() if wanted.get(key) != (mean, count)]
    if stale:
        CourseMasteryDay.objects.filter(pk__in=stale).delete()
    fresh = [
        CourseMasteryDay(
            user=user, course_id=course_id, day=day, mean_mastery=mean, topic_count=count
        )
        for (course_id, day), (mean, count) in wanted.items()
        if stored.get((course_id, day), (None, None, None))[1:] != (mean, count)
    ]
    CourseMasteryDay.objects.bulk_create(fresh, batch_size=1000)
    return len(stale) + len(fresh)


def course_mastery_days_rebuild(*, user) -> int:
    """Every course of the user (the rebuild command, and after a change of time zone)."""
    return course_mastery_days_refresh(
        user=user, course_ids=Course.objects.for_user(user).values_list("pk", flat=True)
    )
