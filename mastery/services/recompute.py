"""The mastery fold: durable recompute requests, the full fold and its fast path.

Mastery of a topic is a deterministic fold of the engine over the user's evidence for it in
fold order (completed_at, created_at, id), so a recompute is idempotent and a grade imported
late, dated in the past, lands where it belongs. The newest evidence takes a fast path (one
`engine.update` on the stored state) only when that provably equals the full fold.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction

from accounts.failed_tasks import failed_task_record
from accounts.models import UserPreferences
from accounts.tasking import intent_enqueue
from accounts.timezones import user_zone
from courses.models import AssessmentTopic, Topic
from mastery import engine
from mastery.card_selectors import student_parameters
from mastery.models import (
    EVIDENCE_COLUMNS,
    EvidenceSource,
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.selectors import (
    fold_key,
    record_observation,
    topic_evidence,
    with_assessment_map,
)
from mastery.services.rollups import course_mastery_days_refresh
from mastery.signals import mastery_changed

logger = logging.getLogger(__name__)

# Errors a retry can fix: a lost connection, a lock timeout, the task's own time limit.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, SoftTimeLimitExceeded)

# Stored state columns that define "mastery moved" for the layers above: scheduling replans
# on a changed score or confidence, and on a changed review date (review tasks move).
MOVED_FIELDS = ("mastery_score", "confidence_interval", "trend", "next_review_date")


def _enqueue_recompute(
    *,
    user_id,
    topic_ids: Iterable[str],
    new_record_id: uuid.UUID | None = None,
    topics_checked: bool = False,
) -> None:
    """After commit, so the worker sees the rows and a rollback enqueues nothing.

    `topics_checked`: the caller has just found every topic among the student's own (a new
    record's validated breakdown), so they are not looked up again."""
    ids = sorted({str(topic_id) for topic_id in topic_ids})
    if not ids:
        return
    from mastery.tasks import recompute_topics  # the task module imports this one

    # A breakdown may still name a topic deleted since; a request row for it would break the
    # foreign key, and there is nothing left to fold.
    existing = (
        ids
        if topics_checked
        else Topic.objects.filter(pk__in=ids, course__user_id=user_id).values_list("pk", flat=True)
    )
    # Written in the caller's transaction: if the publish is lost, the sweep finds these.
    record_key = str(new_record_id) if new_record_id is not None else None
    intent_enqueue(
        rows=(MasteryRecomputeRequest(user_id=user_id, topic_id=topic_id) for topic_id in existing),
        task=recompute_topics,
        args=(str(user_id), ids, record_key),
        queued_already=recompute_queued_already,
    )


# A student's recompute that is queued and has not started: evidence that commits meanwhile
# publishes nothing, because that recompute reads every pending request when it starts. The
# lifetime bounds how long a lost publish holds the next one back (its rows wait for the
# pending sweep, as any lost publish's do).
RECOMPUTE_QUEUED_KEY = "mastery:recompute-queued:{user_id}"
RECOMPUTE_QUEUED_TTL_S = 30


def recompute_queued_already(rows: list[MasteryRecomputeRequest]) -> bool:
    """After commit: marks a recompute of the student as queued, or answers True when one
    already is (and so nothing more need be published).

    A burst of evidence for one student (a script posting grades) then publishes one recompute,
    not one per record. Only a shared (Redis) cache can say so across processes; without one,
    and when the cache cannot answer, every request publishes.
    """
    if not rows or not hasattr(cache, "lock"):
        return False
    key = RECOMPUTE_QUEUED_KEY.format(user_id=rows[0].user_id)
    # add() is None when Redis failed (the backend ignores its errors): publish then.
    return cache.add(key, 1, timeout=RECOMPUTE_QUEUED_TTL_S) is False


def recompute_topics_started(*, user_id, topic_ids: Iterable) -> list[str]:
    """At a queued recompute's start: these topics and every other one of the student's with
    a pending request (evidence that joined this recompute instead of publishing its own).

    The mark is cleared before the requests are read, so evidence committed after the read
    finds no mark and publishes a recompute of its own.
    """
    cache.delete(RECOMPUTE_QUEUED_KEY.format(user_id=user_id))
    pending = MasteryRecomputeRequest.objects.filter(user_id=user_id).values_list(
        "topic_id", flat=True
    )
    return sorted({str(topic_id) for topic_id in topic_ids} | {str(t) for t in pending})


def enqueue_recompute_for_user(*, user_id) -> None:
    """Every topic the student has evidence on: a rule of the fold itself changed."""
    topic_ids = MasteryRecord.objects.filter(user_id=user_id).values_list("topic_id", flat=True)
    with transaction.atomic():
        _enqueue_recompute(user_id=user_id, topic_ids=topic_ids)


def enqueue_recompute_for_assessments(*, user_id, assessment_ids: Iterable) -> None:
    """Recompute every topic a changed assessment maps now, or was graded on before."""
    ids = [str(assessment_id) for assessment_id in assessment_ids]
    mapped = AssessmentTopic.objects.filter(
        assessment_id__in=ids, assessment__course__user_id=user_id
    ).values_list("topic_id", flat=True)
    observed = MasteryObservation.objects.filter(
        user_id=user_id, performance_record__assessment_id__in=ids
    ).values_list("topic_id", flat=True)
    with transaction.atomic():
        _enqueue_recompute(user_id=user_id, topic_ids={*mapped, *observed})


@dataclass(frozen=True)
class MasteryRecomputeResult:
    """The stored record after the fold (None: no evidence), and whether it moved."""

    topic_id: str
    record: MasteryRecord | None
    has_moved: bool
    used_fast_path: bool


def _state_from_row(row: MasteryRecord) -> engine.MasteryState:
    return engine.MasteryState.from_storage(
        mastery_score=row.mastery_score,
        confidence_interval=row.confidence_interval,
        trend=row.trend,
        review_interval_days=row.review_interval_days,
        next_review_date=row.next_review_date,
        last_practiced_at=row.last_practiced_at,
        practice_count=row.practice_count,
        quiz_count=row.quiz_count,
        memory=row.memory,
    )


def _evidence_columns(steps: Iterable[tuple], *, start: dict | None = None) -> dict[str, Any]:
    """What the folded steps rest on, as MasteryRecord's evidence columns. `steps` are
    (record, observation) pairs; `start` holds the counts of steps folded before them.

    A self-rating counts as one; any other step adds its answers, or counts as a grade when it
    came without item counts (an imported grade folds with question_count 0)."""
    columns = dict(start) if start else dict.fromkeys(EVIDENCE_COLUMNS[:3], 0)
    columns.setdefault("evidence_last_at", None)
    for record, observation in steps:
        if record.source == EvidenceSource.SELF_RATING:
            columns["evidence_self_ratings"] += 1
        elif observation.question_count:
            columns["evidence_answers"] += observation.question_count
        else:
            columns["evidence_grades"] += 1
        last_at = columns["evidence_last_at"]
        if last_at is None or observation.observed_at > last_at:
            columns["evidence_last_at"] = observation.observed_at
    return columns


def _state_columns(
    state: engine.MasteryState, observation_count: int, evidence: dict[str, Any]
) -> dict[str, Any]:
    return {
        **evidence,
        "mastery_score": state.mastery_score,
        "confidence_interval": state.confidence_interval,
        "trend": state.trend,
        "review_interval_days": state.review_interval_days,
        "next_review_date": state.next_review_date,
        "last_practiced_at": state.last_practiced_at,
        "practice_count": state.practice_count,
        "quiz_count": state.quiz_count,
        "memory": state.to_memory_dict(),
        "observation_count": observation_count,
    }


def _moved_snapshot(row: MasteryRecord | None) -> tuple | None:
    return None if row is None else tuple(getattr(row, name) for name in MOVED_FIELDS)


def _observation_row(
    *,
    user,
    topic: Topic,
    record: PerformanceRecord,
    sequence: int,
    observation: engine.Observation,
    before: engine.MasteryState | None,
    after: engine.MasteryState,
) -> MasteryObservation:
    return MasteryObservation(
        user=user,
        topic=topic,
        performance_record=record,
        sequence=sequence,
        observed_at=observation.observed_at,
        kind=observation.kind,
        score_percent=observation.score_percent,
        question_count=observation.question_count,
        alpha=after.last_alpha,
        mastery_before=None if before is None else before.mastery_score,
        mastery_after=after.mastery_score,
        confidence_after=after.confidence_interval,
        trend_after=after.trend,
    )


def _observation_identity(row: MasteryObservation) -> tuple:
    return (
        row.sequence,
        row.performance_record_id,
        row.observed_at,
        row.kind,
        row.score_percent,
        row.question_count,
        row.alpha,
        row.mastery_before,
        row.mastery_after,
        row.confidence_after,
        row.trend_after,
    )


def _sync_observations(*, user, topic: Topic, rows: list[MasteryObservation]) -> None:
    """Rewrite history only from the first step that changed, so a repeat writes nothing."""
    existing = list(MasteryObservation.objects.filter(user=user, topic=topic).order_by("sequence"))
    first_change = next(
        (
            index
            for index, (old, new) in enumerate(zip(existing, rows, strict=False))
            if _observation_identity(old) != _observation_identity(new)
        ),
        min(len(existing), len(rows)),
    )
    if first_change < len(existing):
        MasteryObservation.objects.filter(
            user=user, topic=topic, sequence__gte=existing[first_change].sequence
        ).delete()
    MasteryObservation.objects.bulk_create(rows[first_change:])


def _save_state(
    *, user, topic: Topic, row: MasteryRecord | None, columns: dict[str, Any]
) -> MasteryRecord:
    if row is None:
        return MasteryRecord.objects.create(user=user, topic=topic, **columns)
    if any(getattr(row, name) != value for name, value in columns.items()):
        for name, value in columns.items():
            setattr(row, name, value)
        row.save()
    return row


def _shortest_interval(user) -> int:
    """The student's shortest review interval; read only, so a recompute never creates the
    preferences row (a student without one has the default of 1 day)."""
    value = (
        UserPreferences.objects.for_user(user)
        .order_by("-created_at")
        .values_list("min_review_interval_days", flat=True)
        .first()
    )
    return value or engine.INTERVAL_MIN_DAYS


def _full_fold(*, user, topic: Topic, row: MasteryRecord | None) -> MasteryRecord | None:
    zone = user_zone(user)
    records = list(with_assessment_map(topic_evidence(user=user, topic=topic)))
    steps = [
        (record, observation)
        for record in records
        if (observation := record_observation(record, topic=topic, zone=zone)) is not None
    ]
    states = engine.replay(
        (observation for _, observation in steps),
        min_interval_days=_shortest_interval(user),
        parameters=student_parameters(user=user),
    )
    history = [
        _observation_row(
            user=user,
            topic=topic,
            record=record,
            sequence=index + 1,
            observation=observation,
            before=states[index - 1] if index else None,
            after=states[index],
        )
        for index, (record, observation) in enumerate(steps)
    ]
    _sync_observations(user=user, topic=topic, rows=history)
    if not states:
        if row is not None:
            row.delete()
        return None
    return _save_state(
        user=user,
        topic=topic,
        row=row,
        columns=_state_columns(states[-1], len(states), _evidence_columns(steps)),
    )


def _fast_path(*, user, topic: Topic, row: MasteryRecord, new_record_id) -> MasteryRecord | None:
    """One engine.update on the stored state, or None when that might differ from the fold.

    Safe when the new record sorts after the last folded step and the stored state folded
    every other piece of evidence: the evidence count is exactly one more than the steps
    folded, and the new record was not among them (it sorts after the last one).
    """
    if row.observation_count == 0:
        return None
    last_step = (
        MasteryObservation.objects.filter(user=user, topic=topic, sequence=row.observation_count)
        .select_related("performance_record")
        .first()
    )
    evidence = topic_evidence(user=user, topic=topic)
    record = with_assessment_map(evidence.filter(pk=new_record_id)).first()
    if last_step is None or record is None:
        return None
    if fold_key(record) <= fold_key(last_step.performance_record):
        return None
    if evidence.count() != row.observation_count + 1:
        return None
    observation = record_observation(record, topic=topic, zone=user_zone(user))
    if observation is None:
        return None
    before = _state_from_row(row)
    after = engine.update(
        before,
        observation,
        min_interval_days=_shortest_interval(user),
        parameters=student_parameters(user=user),
    )
    sequence = row.observation_count + 1
    _observation_row(
        user=user,
        topic=topic,
        record=record,
        sequence=sequence,
        observation=observation,
        before=before,
        after=after,
    ).save()
    evidence = _evidence_columns(
        [(record, observation)],
        start={name: getattr(row, name) for name in EVIDENCE_COLUMNS},
    )
    return _save_state(
        user=user, topic=topic, row=row, columns=_state_columns(after, sequence, evidence)
    )


def mastery_recompute(*, user, topic: Topic, new_record_id=None) -> MasteryRecomputeResult:
    """Fold the user's evidence for `topic` into its MasteryRecord and history.

    The topic row is locked (FOR NO KEY UPDATE) for the whole fold: a topic belongs to one
    user, so it is the per-(user, topic) row, and unlike the MasteryRecord it always exists
    before the first fold, so there is no insert race. Concurrent recomputes of one topic
    run one after another, each reading all evidence committed before it took the lock.
    `new_record_id` names a just-created record that may take the fast path.
    """
    with transaction.atomic():
        locked = (
            Topic.objects.for_user(user)
            .select_for_update(no_key=True)
            .filter(pk=topic.pk)
            .select_related("course")
            .first()
        )
        if locked is None:
            return MasteryRecomputeResult(
                str(topic.pk), None, has_moved=False, used_fast_path=False
            )
        # Requests committed before this point are answered by this fold: their evidence was
        # committed with them, so every read below sees it. Later ones stay for their own task.
        answered = list(
            MasteryRecomputeRequest.objects.filter(user=user, topic=locked).values_list(
                "pk", flat=True
            )
        )
        row = MasteryRecord.objects.filter(user=user, topic=locked).first()
        before = _moved_snapshot(row)
        result = None
        if row is not None and new_record_id is not None:
            result = _fast_path(user=user, topic=locked, row=row, new_record_id=new_record_id)
        used_fast_path = result is not None
        if result is None:
            result = _full_fold(user=user, topic=locked, row=row)
        if answered:
            MasteryRecomputeRequest.objects.filter(pk__in=answered).delete()
        return MasteryRecomputeResult(
            topic_id=str(locked.pk),
            record=result,
            has_moved=_moved_snapshot(result) != before,
            used_fast_path=used_fast_path,
        )


def mastery_recompute_topics(*, user, topic_ids: Iterable, new_record_id=None) -> list[str]:
    """Recompute several topics (in id order) and announce, on commit, the ones that moved."""
    ids = sorted({str(topic_id) for topic_id in topic_ids})
    topics = {str(topic.pk): topic for topic in Topic.objects.for_user(user).filter(pk__in=ids)}
    moved = [
        topic_id
        for topic_id in ids
        if topic_id in topics
        and _recompute_isolated(user=user, topic=topics[topic_id], new_record_id=new_record_id)
    ]
    # Once per batch, not per topic: the chart's daily means of the courses just folded.
    course_mastery_days_refresh(user=user, course_ids={t.course_id for t in topics.values()})
    if moved:
        user_id = str(user.pk)
        transaction.on_commit(
            lambda: mastery_changed.send(sender=MasteryRecord, user_id=user_id, topic_ids=moved)
        )
    return moved


def _recompute_isolated(*, user, topic: Topic, new_record_id) -> bool:
    """One topic's fold; a deterministic failure is recorded and skipped, not raised.

    Raising would fail the whole task, and its retries and the pending sweep would meet the
    same input again and again (a poison task), holding back every other topic of the batch.
    Transient errors still raise, so the task retries them.
    """
    try:
        return mastery_recompute(user=user, topic=topic, new_record_id=new_record_id).has_moved
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        fold_failure_record(user=user, topic=topic, exc=exc, task_name="mastery.recompute_topic")
        MasteryRecomputeRequest.objects.filter(user=user, topic=topic).delete()
        return False


def fold_failure_record(*, user, topic: Topic, exc: Exception, task_name: str) -> None:
    """A topic whose fold fails for good: kept as a FailedTask for staff, and skipped."""
    failed_task_record(
        task_name=task_name, task_id="", args=[str(user.pk), str(topic.pk)], kwargs={}, exc=exc
    )
    logger.exception("mastery fold failed for one topic; skipped")


def mastery_recompute_user(*, user) -> list[str]:
    """Backfill: fold every topic of the user (the command and the admin action use this),
    in bulk: a fixed number of queries whatever the number of records."""
    from mastery.services.bulk import mastery_recompute_bulk  # bulk builds on this module

    return mastery_recompute_bulk(user=user)
