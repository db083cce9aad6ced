"""The days a student studied, in their own zone: what the streak is counted from.

A day counts when the student completed a block or took a quiz or a diagnostic on it, as a
local date in their IANA zone (with the offset in force at that instant, so DST is handled).
Those dates are kept as a rollup, one StudyDay row per day, so the streak reads a few hundred
rows at most instead of every block and every answer the student ever recorded.

The rollup is rebuilt from the history, not patched: after a save that can change it (a block
completed or changed since, a quiz or diagnostic recorded; coalesced to once per request), and
by the first read that finds it incomplete: built for another zone (the student moved), never
built (rows written in bulk), or marked incomplete by a deletion. Rebuilds of one student take
turns on their user row, so the last one reads every write committed before it.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import TruncDate

from mastery.models import EvidenceSource, PerformanceRecord
from scheduling.models import StudyDay, StudyTask, TaskStatus
from scheduling.work import user_zone

# Sources of PerformanceRecords that count as a day of study for streaks.
STREAK_EVIDENCE_SOURCES = (EvidenceSource.QUIZ, EvidenceSource.DIAGNOSTIC)


def _days_from_history(user, tz) -> set[date]:
    task_days = (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.COMPLETED, actual_end__isnull=False)
        .annotate(day=TruncDate("actual_end", tzinfo=tz))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    quiz_days = (
        PerformanceRecord.objects.for_user(user)
        .filter(source__in=STREAK_EVIDENCE_SOURCES)
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    # One round trip: UNION also drops the dates both kinds of evidence share.
    return set(task_days.union(quiz_days))


def _take_turn(user_id) -> None:
    """Wait for (then block) any other rebuild or retirement of this student's days, until the
    surrounding transaction ends."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user_id)
        .values_list("pk", flat=True)
    )


def study_days_rebuild(*, user) -> set[date]:
    """The student's study days in their current zone, recounted from the history and stored."""
    tz = user_zone(user)
    with transaction.atomic():
        _take_turn(user.pk)
        days = _days_from_history(user, tz)
        StudyDay.objects.filter(user=user).delete()
        StudyDay.objects.bulk_create(
            [StudyDay(user=user, zone=tz.key, day=day) for day in sorted(days)]
            + [StudyDay(user=user, zone=tz.key, day=None)]
        )
    return days


def study_days_refresh(*, user_id) -> None:
    """After a block or a quiz was saved: the days recounted now, for the next page."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        study_days_rebuild(user=user)


def study_days_forget(*, user_id) -> None:
    """After a block or a quiz was deleted: the rollup is marked incomplete, and the next read
    rebuilds it. Nothing is written besides, so this is safe inside the cascade of a course's
    or an account's deletion, where a rebuild would insert rows the cascade does not expect."""
    with transaction.atomic():
        _take_turn(user_id)
        StudyDay.objects.filter(user_id=user_id, day__isnull=True).delete()


def study_days(user) -> set[date]:
    """The student's study days as local dates in their zone: one indexed read of the rollup,
    or a rebuild when it was not built for this zone."""
    zone = user_zone(user).key
    rows = list(StudyDay.objects.for_user(user).filter(zone=zone).values_list("day", flat=True))
    if None in rows:
        return {day for day in rows if day is not None}
    return study_days_rebuild(user=user)


def counts_toward_streak(instance) -> bool:
    """Whether a saved or deleted row can move a study day: a block with an end (completed, or
    completed once and changed since) or a quiz or diagnostic record."""
    if isinstance(instance, StudyTask):
        return instance.actual_end is not None
    return getattr(instance, "source", None) in STREAK_EVIDENCE_SOURCES
