"""Every write of evidence and mastery: performance records, the grade import, the mastery fold.

Evidence is written here and, on commit, the `mastery` queue recomputes the topics it touches.
Mastery of a topic is a deterministic fold of the engine over the user's evidence for it in
fold order (completed_at, created_at, id), so a recompute is idempotent and a grade imported
late, dated in the past, lands where it belongs. The newest evidence takes a fast path (one
`engine.update` on the stored state) only when that provably equals the full fold.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.errors import ApplicationError
from accounts.tasking import enqueue_on_commit
from courses.models import Assessment, AssessmentTopic, AssessmentType, Course, Difficulty, Topic
from courses.quotas import check_import_allowance
from courses.services import assessment_create, assessment_update
from mastery import engine
from mastery.models import (
    EvidenceSource,
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.selectors import (
    SELF_RATING_MAX,
    SELF_RATING_MIN,
    fold_key,
    record_observation,
    record_topic_ids,
    topic_evidence,
    user_zone,
    with_assessment_map,
)
from mastery.signals import mastery_changed

# Devices disagree about the time by a little; a record "completed" a few minutes ahead of the
# server clock is clock skew, not a future grade.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Bounds a request's work and its transaction; a term's grade history is far smaller.
MAX_IMPORT_ROWS = 1000
# A quiz with more items than this is a data error, and the JSON is stored on every record.
MAX_QUESTION_DATA_ITEMS = 1000
ASSESSMENT_NAME_MAX_LENGTH = Assessment._meta.get_field("name").max_length
# A grade dated by day only is placed at local noon: the middle of the day keeps it on that
# calendar day in the learner's zone and after a same-day morning diagnostic.
IMPORTED_GRADE_LOCAL_TIME = time(12, 0)
# The model's own default duration, for imported grades that do not say how long they took.
DEFAULT_TIME_SPENT_MIN = Assessment._meta.get_field("estimated_duration_min").default
DEFAULT_MAX_SCORE = 100.0
# Stored state columns that define "mastery moved" for the layers above: scheduling replans
# on a changed score or confidence, and on a changed review date (review tasks move).
MOVED_FIELDS = ("mastery_score", "confidence_interval", "trend", "next_review_date")
# An imported assessment's type, guessed from its name; anything else is an assignment.
IMPORT_TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("final", AssessmentType.FINAL),
    ("midterm", AssessmentType.MIDTERM),
    ("mid-term", AssessmentType.MIDTERM),
    ("exam", AssessmentType.MIDTERM),
    ("quiz", AssessmentType.QUIZ),
    ("project", AssessmentType.PROJECT),
)
QUESTION_DIFFICULTIES = frozenset(Difficulty.values)


# --- validation ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _canonical_uuid(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw)))
    except (TypeError, ValueError, AttributeError):
        return None


def _breakdown_errors(
    breakdown: Any, *, course: Course
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Messages, and the breakdown keyed by canonical topic id when it is valid."""
    if not isinstance(breakdown, Mapping):
        return ["Must be an object keyed by topic id."], {}
    errors: list[str] = []
    normalized: dict[str, dict[str, Any]] = {}
    for raw_key, entry in breakdown.items():
        key = _canonical_uuid(raw_key)
        if key is None:
            errors.append(f"{raw_key}: not a topic id.")
            continue
        if key in normalized:
            errors.append(f"{raw_key}: the topic is listed twice.")
            continue
        if not isinstance(entry, Mapping):
            errors.append(f"{raw_key}: must be an object with correct, total and time_min.")
            continue
        correct, total = entry.get("correct"), entry.get("total")
        time_min = entry.get("time_min", 0)
        if not _is_whole(total) or total < 1:
            errors.append(f"{raw_key}: total must be a whole number of at least 1.")
        elif not _is_whole(correct) or not 0 <= correct <= total:
            errors.append(f"{raw_key}: correct must be a whole number from 0 to total.")
        if not _is_number(time_min) or time_min < 0:
            errors.append(f"{raw_key}: time_min must be a number of at least 0.")
        normalized[key] = {**entry, "correct": correct, "total": total}
    if normalized:
        known = {
            str(pk)
            for pk in Topic.objects.filter(course=course, pk__in=list(normalized)).values_list(
                "pk", flat=True
            )
        }
        errors.extend(
            f"{key}: not a topic of this course." for key in normalized if key not in known
        )
    return errors, normalized


def _question_data_errors(question_data: Any) -> list[str]:
    if not isinstance(question_data, list):
        return ["Must be a list of questions."]
    if len(question_data) > MAX_QUESTION_DATA_ITEMS:
        return [f"At most {MAX_QUESTION_DATA_ITEMS} questions."]
    errors = []
    for index, item in enumerate(question_data):
        if not isinstance(item, Mapping):
            errors.append(f"[{index}]: must be an object.")
            continue
        question_id = item.get("question_id")
        has_question_id = isinstance(question_id, int | str) and not isinstance(question_id, bool)
        if not has_question_id or not str(question_id).strip():
            errors.append(f"[{index}]: question_id is required (a string).")
        if not isinstance(item.get("correct"), bool):
            errors.append(f"[{index}]: correct must be true or false.")
        time_sec = item.get("time_sec")
        if not _is_number(time_sec) or time_sec < 0:
            errors.append(f"[{index}]: time_sec must be a number of at least 0.")
        if item.get("difficulty") not in QUESTION_DIFFICULTIES:
            allowed = ", ".join(sorted(QUESTION_DIFFICULTIES))
            errors.append(f"[{index}]: difficulty must be one of {allowed}.")
    return errors


def _score_errors(*, score: Any, max_score: Any) -> dict[str, list[str]]:
    if not _is_number(max_score) or max_score <= 0:
        return {"max_score": ["The maximum score must be a number above 0."]}
    if not _is_number(score) or not 0 <= score <= max_score:
        return {"score": [f"The score must be between 0 and the maximum score ({max_score:g})."]}
    return {}


def _completed_at_errors(completed_at: Any, *, now: datetime) -> dict[str, list[str]]:
    if not isinstance(completed_at, datetime) or timezone.is_naive(completed_at):
        return {"completed_at": ["A date and time with a time zone is required."]}
    if completed_at > now + MAX_CLOCK_SKEW:
        return {"completed_at": ["The completion time cannot be in the future."]}
    return {}


def _performance_errors(
    *,
    user,
    course: Course,
    assessment: Assessment | None,
    score: Any,
    max_score: Any,
    time_spent_min: Any,
    completed_at: Any,
    topic_breakdown: Any,
    question_data: Any,
    now: datetime,
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    errors: dict[str, list[str]] = {}
    if course.user_id != user.pk:
        errors["course"] = ["Not one of your courses."]
        return errors, {}
    if assessment is not None and assessment.course_id != course.pk:
        errors["assessment"] = ["The assessment must belong to the course."]
    errors.update(_score_errors(score=score, max_score=max_score))
    if not _is_whole(time_spent_min) or time_spent_min <= 0:
        errors["time_spent_min"] = ["Time spent must be a whole number of minutes above 0."]
    errors.update(_completed_at_errors(completed_at, now=now))
    breakdown_errors, breakdown = _breakdown_errors(topic_breakdown, course=course)
    if breakdown_errors:
        errors["topic_breakdown"] = breakdown_errors
    question_errors = _question_data_errors(question_data)
    if question_errors:
        errors["question_data"] = question_errors
    return errors, breakdown


def _lock_user(user) -> None:
    """Serializes attempt numbering per user. NO KEY UPDATE still lets other transactions
    insert rows that reference the user (their foreign-key checks take KEY SHARE)."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()


# --- enqueueing ---------------------------------------------------------------------------


def _enqueue_recompute(
    *, user_id, topic_ids: Iterable[str], new_record_id: uuid.UUID | None = None
) -> None:
    """After commit, so the worker sees the rows and a rollback enqueues nothing."""
    ids = sorted({str(topic_id) for topic_id in topic_ids})
    if not ids:
        return
    from mastery.tasks import recompute_topics  # the task module imports this one

    # A breakdown may still name a topic deleted since; a request row for it would break the
    # foreign key, and there is nothing left to fold.
    existing = Topic.objects.filter(pk__in=ids, course__user_id=user_id).values_list(
        "pk", flat=True
    )
    # Written in the caller's transaction: if the publish below is lost, the sweep finds these.
    MasteryRecomputeRequest.objects.bulk_create(
        MasteryRecomputeRequest(user_id=user_id, topic_id=topic_id) for topic_id in existing
    )
    record_key = str(new_record_id) if new_record_id is not None else None
    enqueue_on_commit(recompute_topics, str(user_id), ids, record_key)


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


# --- performance records ------------------------------------------------------------------


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
        _enqueue_recompute(
            user_id=user.pk, topic_ids=record_topic_ids(record), new_record_id=record.pk
        )
    return record


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


# --- the mastery fold ---------------------------------------------------------------------


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


def _state_columns(state: engine.MasteryState, observation_count: int) -> dict[str, Any]:
    return {
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


def _full_fold(*, user, topic: Topic, row: MasteryRecord | None) -> MasteryRecord | None:
    zone = user_zone(user)
    records = list(with_assessment_map(topic_evidence(user=user, topic=topic)))
    steps = [
        (record, observation)
        for record in records
        if (observation := record_observation(record, topic=topic, zone=zone)) is not None
    ]
    states = engine.replay(observation for _, observation in steps)
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
        user=user, topic=topic, row=row, columns=_state_columns(states[-1], len(states))
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
    after = engine.update(before, observation)
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
    return _save_state(user=user, topic=topic, row=row, columns=_state_columns(after, sequence))


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
        and mastery_recompute(
            user=user, topic=topics[topic_id], new_record_id=new_record_id
        ).has_moved
    ]
    if moved:
        user_id = str(user.pk)
        transaction.on_commit(
            lambda: mastery_changed.send(sender=MasteryRecord, user_id=user_id, topic_ids=moved)
        )
    return moved


def mastery_recompute_user(*, user) -> list[str]:
    """Backfill: fold every topic of the user (the command and the admin action use this)."""
    topic_ids = Topic.objects.for_user(user).values_list("pk", flat=True)
    return mastery_recompute_topics(user=user, topic_ids=topic_ids)


# --- grade import -------------------------------------------------------------------------


@dataclass
class GradeRowReport:
    index: int
    action: str
    assessment_name: str = ""
    assessment_action: str = ""
    assessment_id: str | None = None
    record_id: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.index + 1

    def add_error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})


@dataclass
class GradeImportReport:
    course_id: str
    dry_run: bool
    rows: list[GradeRowReport]

    @property
    def is_valid(self) -> bool:
        return all(not row.errors for row in self.rows)

    @property
    def created_count(self) -> int:
        return sum(1 for row in self.rows if row.record_id is not None)


@dataclass
class _PlannedAssessment:
    """An assessment an import will create: the first row naming it sets its fields."""

    name: str
    type: str
    max_score: float
    due_date: datetime
    topic_ids: list[str]
    instance: Assessment | None = None


@dataclass
class _PlannedRow:
    report: GradeRowReport
    score: float
    max_score: float
    time_spent_min: int
    completed_at: datetime
    assessment: Assessment | None = None
    planned_assessment: _PlannedAssessment | None = None
    map_topic_ids: list[str] = field(default_factory=list)


def _import_type(name: str) -> str:
    lowered = name.lower()
    return next(
        (kind for keyword, kind in IMPORT_TYPE_KEYWORDS if keyword in lowered),
        AssessmentType.ASSIGNMENT,
    )


def _parse_import_date(raw: Any, *, zone) -> datetime | None:
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    try:
        moment = parse_datetime(raw)
        day = None if moment else parse_date(raw)
    except ValueError:
        return None
    if moment is not None:
        return timezone.make_aware(moment, zone) if timezone.is_naive(moment) else moment
    if day is not None:
        return datetime.combine(day, IMPORTED_GRADE_LOCAL_TIME, tzinfo=zone)
    return None


def _resolve_topics(
    raw: Any, *, by_id: Mapping[str, Topic], by_name: Mapping[str, list[Topic]], report
) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        report.add_error("topics", "Must be a list of topic names or ids.")
        return []
    resolved: list[str] = []
    for item in raw:
        key = _canonical_uuid(item) if isinstance(item, str) else None
        if key is not None and key in by_id:
            topic_id = key
        elif isinstance(item, str) and len(by_name.get(item.strip().lower(), [])) == 1:
            topic_id = str(by_name[item.strip().lower()][0].pk)
        elif isinstance(item, str) and by_name.get(item.strip().lower()):
            report.add_error("topics", f"{item}: several topics have this name; use its id.")
            continue
        else:
            report.add_error("topics", f"{item}: not a topic of this course.")
            continue
        if topic_id not in resolved:
            resolved.append(topic_id)
    return resolved


def _plan_row(
    index: int,
    raw: Any,
    *,
    user,
    course: Course,
    assessments_by_name: Mapping[str, list[Assessment]],
    planned_assessments: dict[str, _PlannedAssessment],
    topics_by_id: Mapping[str, Topic],
    topics_by_name: Mapping[str, list[Topic]],
    now: datetime,
) -> _PlannedRow | GradeRowReport:
    report = GradeRowReport(index=index, action="invalid")
    if not isinstance(raw, Mapping):
        report.add_error("row", "Each grade must be an object.")
        return report
    name = raw.get("assessment_name")
    if not isinstance(name, str) or not name.strip():
        report.add_error("assessment_name", "The assessment name is required.")
        name = ""
    elif len(name.strip()) > ASSESSMENT_NAME_MAX_LENGTH:
        report.add_error("assessment_name", f"At most {ASSESSMENT_NAME_MAX_LENGTH} characters.")
    name = name.strip()
    report.assessment_name = name
    matches = assessments_by_name.get(name.lower(), []) if name else []
    if len(matches) > 1:
        report.add_error("assessment_name", "Several assessments of this course have this name.")
    matched = matches[0] if len(matches) == 1 else None
    planned = planned_assessments.get(name.lower()) if name and not matches else None

    topic_ids = _resolve_topics(
        raw.get("topics"), by_id=topics_by_id, by_name=topics_by_name, report=report
    )
    default_max = matched.max_score if matched else planned.max_score if planned else None
    max_score = raw.get("max_score", default_max or DEFAULT_MAX_SCORE)
    for field_name, messages in _score_errors(score=raw.get("score"), max_score=max_score).items():
        for message in messages:
            report.add_error(field_name, message)
    completed_at = _parse_import_date(raw.get("date"), zone=user_zone(user))
    if completed_at is None:
        report.add_error("date", "Use an ISO date (2025-09-30) or date and time.")
    else:
        for message in _completed_at_errors(completed_at, now=now).get("completed_at", []):
            report.add_error("date", message)
    default_minutes = matched.estimated_duration_min if matched else DEFAULT_TIME_SPENT_MIN
    time_spent_min = raw.get("time_spent_min", default_minutes)
    if not _is_whole(time_spent_min) or time_spent_min <= 0:
        report.add_error("time_spent_min", "Time spent must be a whole number of minutes above 0.")

    map_topic_ids: list[str] = []
    if matched is not None:
        mapped = {str(row.topic_id) for row in matched.assessment_topics.all()}
        if mapped:
            outside = [topic_id for topic_id in topic_ids if topic_id not in mapped]
            for topic_id in outside:
                report.add_error(
                    "topics",
                    f"{topics_by_id[topic_id].name} is not mapped to {matched.name}; change the "
                    "assessment's topics first.",
                )
        else:
            map_topic_ids = topic_ids
    elif planned is not None:
        outside = [topic_id for topic_id in topic_ids if topic_id not in planned.topic_ids]
        for topic_id in outside:
            report.add_error(
                "topics",
                f"{topics_by_id[topic_id].name} is not among the topics an earlier row gave "
                f"{planned.name}.",
            )
    if report.errors:
        return report
    if matched is None and planned is None:
        planned = _PlannedAssessment(
            name=name,
            type=_import_type(name),
            max_score=float(max_score),
            due_date=completed_at,
            topic_ids=topic_ids,
        )
        planned_assessments[name.lower()] = planned
        report.assessment_action = "create"
    else:
        report.assessment_action = "match" if matched is not None else "create"
        if matched is not None:
            report.assessment_id = str(matched.pk)
    report.action = "create"
    return _PlannedRow(
        report=report,
        score=float(raw["score"]),
        max_score=float(max_score),
        time_spent_min=int(time_spent_min),
        completed_at=completed_at,
        assessment=matched,
        planned_assessment=planned if matched is None else None,
        map_topic_ids=map_topic_ids,
    )


def _create_import_assessment(*, course: Course, planned: _PlannedAssessment) -> Assessment:
    assessment = assessment_create(
        course=course,
        name=planned.name,
        type=planned.type,
        # Weight 0 keeps the course's weights at or under 100 whatever was imported.
        weight_percent=0.0,
        due_date=planned.due_date,
        max_score=planned.max_score,
        is_completed=True,
        topic_ids=planned.topic_ids,
    )
    assessment.created_from_import = True
    assessment.save(update_fields=["created_from_import", "updated_at"])
    return assessment


def grades_import(
    *, user, course: Course, grades: Sequence[Any], dry_run: bool = False
) -> GradeImportReport:
    """Import a grade history all-or-nothing, with a report per row.

    Rows are [{assessment_name, score, max_score, date, topics, time_spent_min?}]. Assessments
    match by name within the course (case-insensitive) or are created flagged
    created_from_import with weight 0. `topics` (names or ids of the course) becomes the
    map of a new (or unmapped) assessment; a mapped assessment's map is the evidence map, so a
    topic outside it is a row error. Any row error: nothing is written.
    """
    if course.user_id != user.pk:
        raise ApplicationError(
            "Not one of your courses.", field_errors={"course_id": ["Not found."]}
        )
    if not isinstance(grades, Sequence) or isinstance(grades, str | bytes) or not grades:
        raise ApplicationError("No grades to import.", field_errors={"grades": ["Required."]})
    if len(grades) > MAX_IMPORT_ROWS:
        message = f"At most {MAX_IMPORT_ROWS} grades per import."
        raise ApplicationError(message, field_errors={"grades": [message]})
    now = timezone.now()
    assessments_by_name: dict[str, list[Assessment]] = {}
    for assessment in Assessment.objects.filter(course=course).prefetch_related(
        "assessment_topics"
    ):
        assessments_by_name.setdefault(assessment.name.strip().lower(), []).append(assessment)
    topics = list(Topic.objects.filter(course=course))
    topics_by_id = {str(topic.pk): topic for topic in topics}
    topics_by_name: dict[str, list[Topic]] = {}
    for topic in topics:
        topics_by_name.setdefault(topic.name.strip().lower(), []).append(topic)
    planned_assessments: dict[str, _PlannedAssessment] = {}
    planned_rows = [
        _plan_row(
            index,
            raw,
            user=user,
            course=course,
            assessments_by_name=assessments_by_name,
            planned_assessments=planned_assessments,
            topics_by_id=topics_by_id,
            topics_by_name=topics_by_name,
            now=now,
        )
        for index, raw in enumerate(grades)
    ]
    reports = [row.report if isinstance(row, _PlannedRow) else row for row in planned_rows]
    report = GradeImportReport(course_id=str(course.pk), dry_run=dry_run, rows=reports)
    if not report.is_valid:
        for row_report in reports:
            if not row_report.errors:
                row_report.action = "valid"
        return report
    if dry_run:
        for row_report in reports:
            row_report.action = "would_create"
        return report
    check_import_allowance(user=user)
    _write_import(
        user=user, course=course, rows=[r for r in planned_rows if isinstance(r, _PlannedRow)]
    )
    return report


def _write_import(*, user, course: Course, rows: list[_PlannedRow]) -> None:
    touched_topics: set[str] = set()
    with transaction.atomic():
        _lock_user(user)
        for row in rows:
            planned = row.planned_assessment
            if planned is not None and planned.instance is None:
                planned.instance = _create_import_assessment(course=course, planned=planned)
            assessment = row.assessment or planned.instance
            if row.map_topic_ids and not assessment.assessment_topics.exists():
                assessment_update(assessment=assessment, topic_ids=row.map_topic_ids)
            record = PerformanceRecord.objects.create(
                user=user,
                course=course,
                assessment=assessment,
                score=row.score,
                max_score=row.max_score,
                time_spent_min=row.time_spent_min,
                completed_at=row.completed_at,
                source=EvidenceSource.IMPORT,
            )
            row.report.assessment_id = str(assessment.pk)
            row.report.record_id = str(record.pk)
            row.report.action = "created"
            touched_topics.update(record_topic_ids(record))
        # Past-dated evidence lands inside the fold, so these topics take the full fold.
        _enqueue_recompute(user_id=user.pk, topic_ids=touched_topics)
