"""Composed reads of evidence: which records speak about a topic, and what each one says.

A PerformanceRecord becomes engine observations here, one per topic it covers:

* With a `topic_breakdown`, each listed topic gets correct/total as its score, `total` as its
  question count and its own `time_min`.
* Without one, every topic mapped to the record's assessment gets the record's percentage.
  The weight of a topic in the assessment is its share of the assessment: `weight / sum of
  weights` (a topic with no weight gets an equal part of what the set weights leave of 100, or
  the mean positive weight when nothing is left). The share scales the record's item count
  (`question_data`) into the topic's question count, so a topic that was a small part of a
  quiz counts as few questions and the engine gives it the weak single-question alpha; an
  explicit `AssessmentTopic.question_count` wins. Without any item count the question count is
  0 (unknown) and the engine uses the kind's alpha. The time spent is split by the same share.
  A weight of 0 means the topic was not examined: no observation.
* A self-rating (1 to 5) becomes (rating - 1) / 4 * 100 with one question, so it moves mastery
  with the engine's low single-question alpha.
* A flashcard review is one question, right unless graded Again, and carries the student's own
  FSRS grade (`grade` in its breakdown entry) for the memory model.

Kind: a diagnostic or a self-rating (review) by source, else the assessment's type, else
practice (a record without an assessment).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet

from courses.models import AssessmentTopic, Topic
from mastery import engine
from mastery.models import EvidenceSource, MasteryObservation, PerformanceRecord

SELF_RATING_MIN = 1
SELF_RATING_MAX = 5
PERCENT = 100.0
_GRADES = (engine.GRADE_AGAIN, engine.GRADE_HARD, engine.GRADE_GOOD, engine.GRADE_EASY)

_KIND_BY_SOURCE = {
    EvidenceSource.DIAGNOSTIC: engine.Kind.DIAGNOSTIC,
    EvidenceSource.SELF_RATING: engine.Kind.REVIEW,
    EvidenceSource.FLASHCARD: engine.Kind.FLASHCARD,
}


def local_moment(moment: datetime, zone: ZoneInfo) -> datetime:
    """The learner's wall time with a fixed UTC offset.

    The engine dates reviews by `observed_at.date()`, so it needs local time. A fixed offset,
    not the ZoneInfo itself, because Python subtracts two datetimes that share one tzinfo
    object as wall-clock times: across a DST change the elapsed time would be an hour off,
    and the stored state (read back in UTC) would then disagree with a replay.
    """
    local = moment.astimezone(zone)
    return local.astimezone(dt_timezone(local.utcoffset()))


def fold_key(record: PerformanceRecord) -> tuple[datetime, datetime, str]:
    """The fold order: completed_at, then created_at, then id (matches `topic_evidence`)."""
    return (record.completed_at, record.created_at, str(record.pk))


def topic_evidence(*, user, topic: Topic) -> QuerySet[PerformanceRecord]:
    """Every record of `user` that yields an observation for `topic`, in fold order."""
    topic_key = str(topic.pk)
    examined = AssessmentTopic.objects.filter(
        assessment_id=OuterRef("assessment_id"), topic_id=topic.pk
    ).exclude(weight_in_assessment=0)
    return (
        PerformanceRecord.objects.for_user(user)
        .filter(course_id=topic.course_id)
        .filter(Q(topic_breakdown__has_key=topic_key) | (Q(topic_breakdown={}) & Exists(examined)))
        .order_by("completed_at", "created_at", "id")
    )


def with_assessment_map(queryset: QuerySet[PerformanceRecord]) -> QuerySet[PerformanceRecord]:
    """What `record_observation` reads, fetched in a fixed number of queries."""
    return queryset.select_related("assessment").prefetch_related("assessment__assessment_topics")


def evidence_kind(record: PerformanceRecord) -> str:
    kind = _KIND_BY_SOURCE.get(record.source)
    if kind is not None:
        return kind.value
    if record.assessment is not None:
        return engine.Kind(record.assessment.type).value
    return engine.Kind.PRACTICE.value


def _weight_shares(assessment_topics: Iterable[AssessmentTopic]) -> dict[str, float]:
    rows = list(assessment_topics)
    set_weights = [row.weight_in_assessment for row in rows if row.weight_in_assessment is not None]
    missing = len(rows) - len(set_weights)
    left_over = PERCENT - sum(set_weights)
    positive_weights = [weight for weight in set_weights if weight > 0]
    # Only an explicit 0 excludes a topic, so a missing weight must come out positive.
    if missing and left_over > 0:
        default_weight = left_over / missing
    elif positive_weights:
        default_weight = sum(positive_weights) / len(positive_weights)
    else:
        default_weight = 1.0
    weights = {
        str(row.topic_id): (
            row.weight_in_assessment if row.weight_in_assessment is not None else default_weight
        )
        for row in rows
    }
    total = sum(weights.values())
    if total <= 0:
        return {}
    return {topic_id: weight / total for topic_id, weight in weights.items() if weight > 0}


def _self_rating_percent(rating: float) -> float:
    span = SELF_RATING_MAX - SELF_RATING_MIN
    return max(0.0, min(PERCENT, (rating - SELF_RATING_MIN) / span * PERCENT))


def record_topic_ids(record: PerformanceRecord) -> list[str]:
    """The topics this record is evidence for (sorted ids), the same set `topic_evidence` finds."""
    if record.topic_breakdown:
        return sorted(str(key) for key in record.topic_breakdown)
    if record.assessment_id is None:
        return []
    rows = AssessmentTopic.objects.filter(assessment_id=record.assessment_id)
    return sorted(_weight_shares(rows))


def record_observation(
    record: PerformanceRecord, *, topic: Topic, zone: ZoneInfo
) -> engine.Observation | None:
    """What `record` says about `topic`, or None when it says nothing about it."""
    topic_key = str(topic.pk)
    kind = evidence_kind(record)
    try:
        observed_at = local_moment(record.completed_at, zone)
    except OverflowError:
        # A record from before the date bounds (year 1 west of UTC) has no local time, so the
        # fold cannot order it: it is skipped rather than failing every recompute forever.
        return None
    breakdown = record.topic_breakdown or {}
    recall_grade = None
    if breakdown:
        entry = breakdown.get(topic_key)
        if entry is None:
            return None
        total = int(entry["total"])
        if "time_min" in entry:
            time_min = float(entry["time_min"])
        else:
            all_items = sum(int(item["total"]) for item in breakdown.values())
            time_min = record.time_spent_min * total / all_items
        if record.source == EvidenceSource.SELF_RATING:
            score, question_count = _self_rating_percent(record.score), 1
        else:
            score, question_count = int(entry["correct"]) / total * PERCENT, total
        if record.source == EvidenceSource.FLASHCARD and entry.get("grade") in _GRADES:
            recall_grade = int(entry["grade"])
    else:
        if record.assessment is None:
            return None
        shares = _weight_shares(record.assessment.assessment_topics.all())
        share = shares.get(topic_key)
        if share is None:
            return None
        mapped = next(
            row
            for row in record.assessment.assessment_topics.all()
            if str(row.topic_id) == topic_key
        )
        time_min = record.time_spent_min * share
        if record.source == EvidenceSource.SELF_RATING:
            score, question_count = _self_rating_percent(record.score), 1
        elif mapped.question_count:
            score, question_count = record.percentage, mapped.question_count
        elif record.question_data:
            score = record.percentage
            question_count = max(1, round(len(record.question_data) * share))
        else:
            score, question_count = record.percentage, 0
    return engine.Observation(
        score_percent=score,
        question_count=question_count,
        time_spent_min=time_min,
        difficulty_level=topic.estimated_difficulty,
        kind=kind,
        observed_at=observed_at,
        recall_grade=recall_grade,
    )


def topic_observation_history(*, user, topic: Topic) -> QuerySet[MasteryObservation]:
    """The fold's steps for one topic, oldest first, for charts and audit."""
    return (
        MasteryObservation.objects.for_user(user)
        .filter(topic=topic)
        .select_related("performance_record")
        .order_by("sequence")
    )
