"""Assessments, their topic map and the course's weight total, one by one or as a whole schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum

from accounts.errors import ApplicationError
from courses import quotas
from courses.models import (
    WEIGHTS_TOLERANCE,
    Assessment,
    AssessmentTopic,
    AssessmentType,
    Course,
    Topic,
)
from courses.services.common import (
    _lock_course,
    _normalize_topic_ids,
    _send_assessment_changed,
    _unknown_fields,
    _validate_fields,
)

ASSESSMENT_FIELDS = (
    "name",
    "type",
    "weight_percent",
    "due_date",
    "estimated_duration_min",
    "max_score",
    "description",
    "is_completed",
)

# Fields a PUT of the whole schema may carry besides the topic map.
SCHEMA_ITEM_FIELDS = (*ASSESSMENT_FIELDS, "id", "topic_ids", "topic_weights")

MAX_WEIGHT_PERCENT = 100.0


def _check_weights_total(*, course: Course, weight_percent: float, excluding=None) -> None:
    others = Assessment.objects.filter(course=course)
    if excluding is not None:
        others = others.exclude(pk=excluding)
    current = others.aggregate(total=Sum("weight_percent"))["total"] or 0.0
    total = current + float(weight_percent)
    if total > MAX_WEIGHT_PERCENT + WEIGHTS_TOLERANCE:
        message = (
            f"The course's assessment weights would total {total:g}%; they may not exceed 100% "
            f"({current:g}% is already used)."
        )
        raise ApplicationError(message, field_errors={"weight_percent": [message]})


def _topic_map(
    *, course: Course, topic_ids: Sequence, topic_weights: Mapping | None
) -> list[tuple[str, float | None]]:
    """Validated (topic id, weight in assessment) pairs for an assessment of `course`."""
    ids = _normalize_topic_ids(topic_ids, field="topic_ids")
    known = {
        str(pk)
        for pk in Topic.objects.filter(course=course, pk__in=ids).values_list("pk", flat=True)
    }
    for topic_id in ids:
        if topic_id not in known:
            message = f"{topic_id} is not a topic of this course."
            raise ApplicationError(message, field_errors={"topic_ids": [message]})
    weights: dict[str, float | None] = {}
    for raw_id, weight in (topic_weights or {}).items():
        (topic_id,) = _normalize_topic_ids([raw_id], field="topic_weights")
        if topic_id not in ids:
            message = f"{topic_id} has a weight but is not in topic_ids."
            raise ApplicationError(message, field_errors={"topic_weights": [message]})
        if weight is not None:
            try:
                weight = float(weight)
            except (TypeError, ValueError) as exc:
                message = f"The weight of {topic_id} must be a number."
                raise ApplicationError(message, field_errors={"topic_weights": [message]}) from exc
            if not 0 <= weight <= MAX_WEIGHT_PERCENT:
                message = f"The weight of {topic_id} must be between 0 and 100."
                raise ApplicationError(message, field_errors={"topic_weights": [message]})
        weights[topic_id] = weight
    total = sum(weight for weight in weights.values() if weight is not None)
    if total > MAX_WEIGHT_PERCENT + WEIGHTS_TOLERANCE:
        message = f"The topic weights total {total:g}%; they may not exceed 100%."
        raise ApplicationError(message, field_errors={"topic_weights": [message]})
    return [(topic_id, weights.get(topic_id)) for topic_id in ids]


def _replace_topic_map(assessment: Assessment, pairs: list[tuple[str, float | None]]) -> None:
    AssessmentTopic.objects.filter(assessment=assessment).delete()
    AssessmentTopic.objects.bulk_create(
        AssessmentTopic(assessment=assessment, topic_id=topic_id, weight_in_assessment=weight)
        for topic_id, weight in pairs
    )


def _assessment_create(
    *,
    course: Course,
    name: str,
    type: str,
    weight_percent: float,
    due_date: datetime,
    estimated_duration_min: int = 60,
    max_score: float = 100.0,
    description: str = "",
    is_completed: bool = False,
    topic_ids: Sequence = (),
    topic_weights: Mapping | None = None,
    external_uid: str = "",
    created_from_import: bool = False,
    weight_is_estimated: bool = False,
) -> Assessment:
    """Create without notifying; callers hold the course lock and send one event."""
    assessment = Assessment(
        course=course,
        name=(name or "").strip(),
        type=type,
        weight_percent=weight_percent,
        due_date=due_date,
        estimated_duration_min=estimated_duration_min,
        max_score=max_score,
        description=description or "",
        is_completed=is_completed,
        external_uid=external_uid,
        created_from_import=created_from_import,
        weight_is_estimated=weight_is_estimated,
    )
    _validate_fields(assessment, exclude=["course"])
    quotas.check_assessment_quota(user=course.user_id)
    pairs = _topic_map(course=course, topic_ids=topic_ids, topic_weights=topic_weights)
    _check_weights_total(course=course, weight_percent=weight_percent)
    assessment.save()
    _replace_topic_map(assessment, pairs)
    return assessment


def _assessment_update(
    *, assessment: Assessment, course: Course, fields: Mapping[str, Any]
) -> Assessment:
    fields = dict(fields)
    topic_ids = fields.pop("topic_ids", None)
    topic_weights = fields.pop("topic_weights", None)
    _unknown_fields(fields, (*ASSESSMENT_FIELDS, "external_uid"))
    for field, value in fields.items():
        if field == "name" and isinstance(value, str):
            value = value.strip()
        setattr(assessment, field, value)
    _validate_fields(assessment, exclude=["course"])
    pairs = None
    if topic_ids is not None:
        pairs = _topic_map(course=course, topic_ids=topic_ids, topic_weights=topic_weights)
    elif topic_weights is not None:
        current_ids = list(assessment.assessment_topics.values_list("topic_id", flat=True))
        pairs = _topic_map(course=course, topic_ids=current_ids, topic_weights=topic_weights)
    if "weight_percent" in fields:
        _check_weights_total(
            course=course, weight_percent=assessment.weight_percent, excluding=assessment.pk
        )
        # A weight the student set is no longer our guess.
        assessment.weight_is_estimated = False
    assessment.save()
    if pairs is not None:
        _replace_topic_map(assessment, pairs)
    return assessment


@transaction.atomic
def assessment_create(
    *,
    course: Course,
    name: str,
    type: str,
    weight_percent: float,
    due_date: datetime,
    estimated_duration_min: int = 60,
    max_score: float = 100.0,
    description: str = "",
    is_completed: bool = False,
    topic_ids: Sequence = (),
    topic_weights: Mapping | None = None,
) -> Assessment:
    course = _lock_course(course)
    assessment = _assessment_create(
        course=course,
        name=name,
        type=type,
        weight_percent=weight_percent,
        due_date=due_date,
        estimated_duration_min=estimated_duration_min,
        max_score=max_score,
        description=description,
        is_completed=is_completed,
        topic_ids=topic_ids,
        topic_weights=topic_weights,
    )
    _send_assessment_changed(user_id=course.user_id, assessment_ids=[assessment.pk])
    return assessment


@transaction.atomic
def assessment_update(*, assessment: Assessment, **fields: Any) -> Assessment:
    """Update fields; `topic_ids` (with optional `topic_weights`) replaces the topic map."""
    course = _lock_course(assessment.course)
    assessment = _assessment_update(assessment=assessment, course=course, fields=fields)
    _send_assessment_changed(user_id=course.user_id, assessment_ids=[assessment.pk])
    return assessment


@transaction.atomic
def assessment_weight_confirm(
    *, assessment: Assessment, weight_percent: float | None = None
) -> Assessment:
    """The student confirms an estimated weight as it is, or fixes it; either clears the flag."""
    course = _lock_course(assessment.course)
    fields: dict[str, Any] = {}
    if weight_percent is not None:
        fields["weight_percent"] = weight_percent
    assessment = _assessment_update(assessment=assessment, course=course, fields=fields)
    if assessment.weight_is_estimated:
        assessment.weight_is_estimated = False
        assessment.save(update_fields=["weight_is_estimated", "updated_at"])
    _send_assessment_changed(user_id=course.user_id, assessment_ids=[assessment.pk])
    return assessment


@transaction.atomic
def assessment_delete(*, assessment: Assessment) -> None:
    course = _lock_course(assessment.course)
    assessment_id = assessment.pk
    assessment.delete()
    _send_assessment_changed(user_id=course.user_id, assessment_ids=[assessment_id])


def _schema_item_errors(items: Sequence[Mapping[str, Any]], existing) -> dict[str, list[str]]:
    errors: list[str] = []
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    existing_ids = {str(assessment.pk) for assessment in existing}
    for position, item in enumerate(items, start=1):
        unknown = sorted(set(item) - set(SCHEMA_ITEM_FIELDS))
        if unknown:
            errors.append(f"Item {position}: unknown field(s) {', '.join(unknown)}.")
        name = str(item.get("name") or "").strip()
        if not name:
            errors.append(f"Item {position}: a name is required.")
        elif name.casefold() in seen_names:
            errors.append(f"Item {position}: the name {name} appears twice.")
        seen_names.add(name.casefold())
        if item.get("id"):
            item_id = str(item["id"])
            if item_id not in existing_ids:
                errors.append(f"Item {position}: {item_id} is not an assessment of this course.")
            elif item_id in seen_ids:
                errors.append(f"Item {position}: the id {item_id} appears twice.")
            seen_ids.add(item_id)
    return {"assessments": errors} if errors else {}


def assessment_topic_question_counts_fill(
    *, assessment: Assessment, counts: Mapping[str, int]
) -> list[str]:
    """Seed 000's AssessmentTopic.question_count, from evidence that counts the questions.

    `counts` maps topic ids to how many questions of the assessment covered that topic (a
    quiz's per-topic breakdown, an import's counts). Only a count not yet known is filled: it
    describes the assessment, so the first measurement of it stands, and one set by hand is
    never overwritten. Topics the assessment does not cover are ignored. Returns the ids of the
    topics filled.
    """
    wanted = {
        str(topic_id): int(count)
        for topic_id, count in counts.items()
        if isinstance(count, int) and not isinstance(count, bool) and count > 0
    }
    if not wanted:
        return []
    filled: list[str] = []
    rows = AssessmentTopic.objects.filter(
        assessment=assessment, question_count__isnull=True, topic_id__in=list(wanted)
    )
    for row in rows:
        AssessmentTopic.objects.filter(pk=row.pk, question_count__isnull=True).update(
            question_count=wanted[str(row.topic_id)]
        )
        filled.append(str(row.topic_id))
    return sorted(filled)


@transaction.atomic
def assessment_schema_replace(
    *, course: Course, items: Sequence[Mapping[str, Any]]
) -> list[Assessment]:
    """Replace the course's whole assessment schema in one transaction.

    Items match existing assessments by id, else by name (case-insensitively); matched ones are
    updated, unmatched existing ones deleted, the rest created. The weights must total 100.
    """
    course = _lock_course(course)
    existing = list(Assessment.objects.filter(course=course))
    field_errors = _schema_item_errors(items, existing)
    if field_errors:
        raise ApplicationError("The assessment schema is invalid.", field_errors=field_errors)
    try:
        total = sum(float(item.get("weight_percent", 0)) for item in items)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            "Weights must be numbers.", field_errors={"weight_percent": ["Must be a number."]}
        ) from exc
    if abs(total - MAX_WEIGHT_PERCENT) > WEIGHTS_TOLERANCE:
        message = f"The weights total {total:g}%; a full schema must total exactly 100%."
        raise ApplicationError(message, field_errors={"weight_percent": [message]})

    by_id = {str(assessment.pk): assessment for assessment in existing}
    by_name = {assessment.name.strip().casefold(): assessment for assessment in existing}
    matched: dict[int, Assessment] = {}
    claimed: set = set()
    for position, item in enumerate(items):
        target = by_id.get(str(item.get("id"))) if item.get("id") else None
        if target is None:
            candidate = by_name.get(str(item["name"]).strip().casefold())
            if (
                candidate is not None
                and candidate.pk not in claimed
                and not any(
                    str(other.get("id")) == str(candidate.pk) for other in items if other.get("id")
                )
            ):
                target = candidate
        if target is not None:
            matched[position] = target
            claimed.add(target.pk)

    removed = [assessment for assessment in existing if assessment.pk not in claimed]
    removed_ids = [assessment.pk for assessment in removed]
    # Deletions first, so freed weight is available to the updated and created rows.
    Assessment.objects.filter(pk__in=removed_ids).delete()
    # Zero every kept weight, then apply the new ones; the total was checked above, and the
    # per-row check then sees only rows already written in this transaction.
    Assessment.objects.filter(pk__in=claimed).update(weight_percent=0)

    results: list[Assessment] = []
    for position, item in enumerate(items):
        fields = {key: value for key, value in item.items() if key != "id"}
        target = matched.get(position)
        try:
            if target is not None:
                target.weight_percent = 0
                results.append(_assessment_update(assessment=target, course=course, fields=fields))
            else:
                fields.setdefault("type", AssessmentType.ASSIGNMENT)
                results.append(_assessment_create(course=course, **fields))
        except ApplicationError as exc:
            exc.message = f"Item {position + 1}: {exc.message}"
            raise
        except TypeError as exc:
            message = f"Item {position + 1}: name, type, weight_percent and due_date are required."
            raise ApplicationError(message, field_errors={"assessments": [message]}) from exc
    _send_assessment_changed(
        user_id=course.user_id,
        assessment_ids=[*removed_ids, *(assessment.pk for assessment in results)],
    )
    return results
