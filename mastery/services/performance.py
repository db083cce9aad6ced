"""Performance records: create (graded or self-rated), update and delete.

Every write recomputes the topics it touches, on commit, through the mastery queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import Assessment, Course, Topic
from courses.services import assessment_topic_question_counts_fill, assessment_update
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.selectors import SELF_RATING_MAX, SELF_RATING_MIN, record_topic_ids
from mastery.services.recompute import _enqueue_recompute
from mastery.services.validation import (
    DEFAULT_MAX_SCORE,
    _is_number,
    _is_whole,
    _lock_user,
    _performance_errors,
)


def performance_record_create(
    *,
    user,
    course: Course,
    score: float,
    time_spent_min: int,
    assessment: Assessment | None = None,
    max_score: float | None = None,
    completed_at: datetime | None = None,
    topic_breakdown: Mapping[str, Any] | None = None,
    question_data: Sequence[Mapping[str, Any]] | None = None,
    source: str = EvidenceSource.API,
) -> PerformanceRecord:
    """Validate, save with the next attempt number, and recompute its topics on commit."""
    now = timezone.now()
    if max_score is None:
        max_score = assessment.max_score if assessment is not None else DEFAULT_MAX_SCORE
    completed_at = completed_at or now
    errors, breakdown = _performance_errors(
        user=user,
        course=course,
        assessment=assessment,
        score=score,
        max_score=max_score,
        time_spent_min=time_spent_min,
        completed_at=completed_at,
        topic_breakdown=topic_breakdown or {},
        question_data=list(question_data or []),
        now=now,
    )
    if errors:
        raise ApplicationError("The performance record is invalid.", field_errors=errors)
    with transaction.atomic():
        if assessment is not None:
            # Only a retake has a number to take: practice is always attempt 1, so practice
            # records arriving together for one student never wait on each other.
            _lock_user(user)
        record = PerformanceRecord.objects.create(
            user=user,
            course=course,
            assessment=assessment,
            score=float(score),
            max_score=float(max_score),
            time_spent_min=int(time_spent_min),
            completed_at=completed_at,
            topic_breakdown=breakdown,
            question_data=list(question_data or []),
            source=source,
        )
        if assessment is not None:
            assessment_topic_question_counts_fill(
                assessment=assessment, counts=question_counts(record)
            )
        _enqueue_recompute(
            user_id=user.pk,
            topic_ids=record_topic_ids(record),
            new_record_id=record.pk,
            # The breakdown's topics were just found in the student's course above.
            topics_checked=bool(breakdown),
        )
    return record


def question_counts(record: PerformanceRecord) -> dict[str, int]:
    """How many questions of the record covered each topic, where the record says so: its
    per-topic breakdown (`total`), or its question list when the assessment has one topic."""
    if record.topic_breakdown:
        return {
            str(topic_id): int(entry["total"])
            for topic_id, entry in record.topic_breakdown.items()
            if _is_whole(entry.get("total"))
        }
    if record.question_data and record.assessment_id is not None:
        topic_ids = list(record.assessment.assessment_topics.values_list("topic_id", flat=True)[:2])
        if len(topic_ids) == 1:
            return {str(topic_ids[0]): len(record.question_data)}
    return {}


def performance_record_create_self_rating(
    *,
    user,
    course: Course,
    topics: Sequence[Topic],
    rating: int,
    time_spent_min: int,
    completed_at: datetime | None = None,
) -> PerformanceRecord:
    """A study task's self-rating of understanding (1 to 5) as weak review evidence."""
    if not _is_whole(rating) or not SELF_RATING_MIN <= rating <= SELF_RATING_MAX:
        message = f"The rating must be a whole number from {SELF_RATING_MIN} to {SELF_RATING_MAX}."
        raise ApplicationError(message, field_errors={"rating": [message]})
    if not topics:
        raise ApplicationError(
            "Rate at least one topic.", field_errors={"topics": ["Rate at least one topic."]}
        )
    time_per_topic = (time_spent_min / len(topics)) if _is_number(time_spent_min) else 0
    breakdown = {
        str(topic.pk): {
            "correct": int(rating),
            "total": SELF_RATING_MAX,
            "time_min": time_per_topic,
        }
        for topic in topics
    }
    return performance_record_create(
        user=user,
        course=course,
        score=float(rating),
        max_score=float(SELF_RATING_MAX),
        time_spent_min=time_spent_min,
        completed_at=completed_at,
        topic_breakdown=breakdown,
        source=EvidenceSource.SELF_RATING,
    )


UPDATABLE_FIELDS = (
    "assessment",
    "score",
    "max_score",
    "time_spent_min",
    "completed_at",
    "topic_breakdown",
    "question_data",
)


def performance_record_update(*, record: PerformanceRecord, **fields: Any) -> PerformanceRecord:
    """Change a record; the topics it touched before and after are fully recomputed."""
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(unknown)}.")
    values = {name: getattr(record, name) for name in UPDATABLE_FIELDS} | fields
    errors, breakdown = _performance_errors(
        user=record.user,
        course=record.course,
        now=timezone.now(),
        **values,
    )
    if errors:
        raise ApplicationError("The performance record is invalid.", field_errors=errors)
    with transaction.atomic():
        _lock_user(record.user)
        record = PerformanceRecord.objects.select_for_update().get(pk=record.pk)
        topics_before = record_topic_ids(record)
        assessment_changed = values["assessment"] != record.assessment
        for name, value in values.items():
            setattr(record, name, value)
        record.score = float(record.score)
        record.max_score = float(record.max_score)
        record.topic_breakdown = breakdown
        if assessment_changed:
            record.attempt_number = record.next_attempt_number()
        record.save()
        _enqueue_recompute(
            user_id=record.user_id, topic_ids=[*topics_before, *record_topic_ids(record)]
        )
    return record


def performance_record_delete(*, record: PerformanceRecord) -> None:
    with transaction.atomic():
        topic_ids = record_topic_ids(record)
        user_id = record.user_id
        record.delete()
        _enqueue_recompute(user_id=user_id, topic_ids=topic_ids)


def assessment_score_record(
    *,
    user,
    assessment: Assessment,
    score: float,
    max_score: float | None = None,
    completed_at: datetime | None = None,
    time_spent_min: int | None = None,
    source: str = EvidenceSource.MANUAL,
) -> PerformanceRecord:
    """Record a score on one of the student's assessments, at any time, and mark it completed.

    A score entered after the due date happened on the due date, not now: that is where the
    mastery fold should place the evidence. The record and the completion are one write.
    """
    if assessment.course.user_id != user.pk:
        raise ApplicationError(
            "Not one of your assessments.", field_errors={"assessment": ["Not found."]}
        )
    now = timezone.now()
    if completed_at is None:
        completed_at = min(now, assessment.due_date)
    if time_spent_min is None:
        time_spent_min = max(1, assessment.estimated_duration_min)
    with transaction.atomic():
        record = performance_record_create(
            user=user,
            course=assessment.course,
            assessment=assessment,
            score=score,
            max_score=max_score,
            completed_at=completed_at,
            time_spent_min=time_spent_min,
            source=source,
        )
        if not assessment.is_completed:
            assessment_update(assessment=assessment, is_completed=True)
    return record
