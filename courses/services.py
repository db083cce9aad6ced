"""Every write to courses, topics and assessments, and the course and LMS imports.

Business rules live here and raise ApplicationError (HTTP 400 in the API, form errors in
pages). Scheduling learns about changed assessments through `assessment_changed`, sent on
commit so a rolled-back write never triggers a replan.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.errors import ApplicationError
from courses import quotas
from courses.feeds import feed_max_bytes
from courses.imports import (
    MAX_CSV_BYTES,
    CalendarEvent,
    CsvRow,
    assessment_type_for,
    course_code_pattern,
    decode_upload,
    parse_courses_csv,
    parse_lms_calendar,
)
from courses.models import (
    WEIGHTS_TOLERANCE,
    Assessment,
    AssessmentTopic,
    AssessmentType,
    Course,
    Difficulty,
    Topic,
)
from courses.signals import assessment_changed
from courses.validation import resource_links_errors

COURSE_FIELDS = (
    "name",
    "code",
    "instructor_name",
    "credit_hours",
    "semester",
    "start_date",
    "end_date",
    "description",
    "color",
    "is_archived",
)
TOPIC_FIELDS = (
    "name",
    "description",
    "estimated_difficulty",
    "prerequisite_topic_ids",
    "resource_links",
    "order_index",
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


# --- helpers ------------------------------------------------------------------------------


def _validate_fields(instance, *, exclude: Iterable[str] = ()) -> None:
    """Field-level model validation (ranges, choices, lengths) as one ApplicationError.

    Constraints that need the database are checked by the services themselves, with messages
    that say which row is in the way.
    """
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise ApplicationError("Invalid input.", field_errors=exc.message_dict) from exc


def _unknown_fields(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(unknown)}.")


def _send_assessment_changed(*, user_id, assessment_ids: Iterable) -> None:
    """Tell the layers above, after commit, which assessments changed (ids as strings: the
    receivers hand them to Celery, which serializes JSON)."""
    ids = sorted({str(assessment_id) for assessment_id in assessment_ids})
    if not ids:
        return
    user_id = str(user_id)
    transaction.on_commit(
        lambda: assessment_changed.send(sender=Assessment, user_id=user_id, assessment_ids=ids)
    )


def _lock_course(course: Course) -> Course:
    """Row lock on the course: serializes weight checks and prerequisite-graph edits."""
    return Course.objects.select_for_update().get(pk=course.pk)


# --- courses ------------------------------------------------------------------------------


def _check_course_rules(course: Course) -> None:
    _validate_fields(course, exclude=["user"])
    duplicate = (
        Course.objects.for_user(course.user)
        .filter(code=course.code, semester=course.semester)
        .exclude(pk=course.pk)
        .exists()
    )
    if duplicate:
        raise ApplicationError(
            "You already have this course in this semester.",
            field_errors={
                "code": [f"{course.code} already exists in {course.semester}."],
            },
        )


def _save_course(course: Course) -> Course:
    try:
        with transaction.atomic():
            course.save()
    except IntegrityError as exc:
        # A concurrent request created the same (code, semester) between check and insert.
        raise ApplicationError(
            "You already have this course in this semester.",
            field_errors={"code": [f"{course.code} already exists in {course.semester}."]},
        ) from exc
    return course


@transaction.atomic
def course_create(
    *,
    user,
    name: str,
    code: str,
    semester: str,
    start_date: date,
    end_date: date,
    instructor_name: str = "",
    credit_hours: float = 3.0,
    description: str = "",
    color: str = "#3366cc",
    is_archived: bool = False,
) -> Course:
    course = Course(
        user=user,
        name=name.strip(),
        code=code.strip(),
        semester=semester.strip(),
        start_date=start_date,
        end_date=end_date,
        instructor_name=(instructor_name or "").strip(),
        credit_hours=credit_hours,
        description=description or "",
        color=color,
        is_archived=is_archived,
    )
    quotas.check_course_quota(user=user)
    _check_course_rules(course)
    return _save_course(course)


@transaction.atomic
def course_update(*, course: Course, **fields: Any) -> Course:
    _unknown_fields(fields, COURSE_FIELDS)
    for field, value in fields.items():
        if field in ("name", "code", "semester", "instructor_name") and isinstance(value, str):
            value = value.strip()
        setattr(course, field, value)
    _check_course_rules(course)
    return _save_course(course)


def course_target_grade_set(*, course: Course, target_grade: float | None) -> Course:
    """The grade the student aims for; the plan gives the course's work more weight for it."""
    if target_grade is not None and not 0 <= target_grade <= 100:
        raise ApplicationError(
            "The target grade must be from 0 to 100 percent.",
            field_errors={"target_grade": ["Must be from 0 to 100."]},
        )
    with transaction.atomic():
        course.target_grade = None if target_grade is None else float(target_grade)
        course.save(update_fields=["target_grade", "updated_at"])
        # Grading intent changed: the plan is rebuilt like after a weight change.
        _send_assessment_changed(
            user_id=course.user_id,
            assessment_ids=list(course.assessments.values_list("id", flat=True)),
        )
    return course


def course_archive(*, course: Course, is_archived: bool = True) -> Course:
    return course_update(course=course, is_archived=is_archived)


@transaction.atomic
def course_delete(*, course: Course) -> None:
    assessment_ids = list(course.assessments.values_list("id", flat=True))
    user_id = course.user_id
    course.delete()
    _send_assessment_changed(user_id=user_id, assessment_ids=assessment_ids)


# --- topics and the prerequisite graph ----------------------------------------------------


def _normalize_topic_ids(raw_ids: Iterable, *, field: str) -> list[str]:
    normalized: list[str] = []
    for raw in raw_ids or []:
        try:
            topic_id = str(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise ApplicationError(
                f"{raw!s} is not a topic id.", field_errors={field: [f"{raw!s} is not a topic id."]}
            ) from exc
        if topic_id not in normalized:
            normalized.append(topic_id)
    return normalized


def _find_cycle(graph: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """A path start → … → start through prerequisite edges, if the graph has one.

    Every other topic was already acyclic, so any new cycle must pass through `start`.
    """
    path: list[str] = [start]
    on_path = {start}
    visited: set[str] = set()

    def visit(node: str) -> list[str] | None:
        for neighbour in graph.get(node, ()):
            if neighbour == start:
                return [*path, start]
            if neighbour in on_path or neighbour in visited:
                continue
            path.append(neighbour)
            on_path.add(neighbour)
            found = visit(neighbour)
            if found:
                return found
            path.pop()
            on_path.discard(neighbour)
            visited.add(neighbour)
        return None

    return visit(start)


def _check_prerequisites(*, topic: Topic, course: Course) -> None:
    """Ids must be topics of the same course (and so of the same user); no cycles."""
    field = "prerequisite_topic_ids"
    if not isinstance(topic.prerequisite_topic_ids, list | tuple):
        raise ApplicationError(
            "Prerequisites must be a list.", field_errors={field: ["Must be a list of topic ids."]}
        )
    prerequisite_ids = _normalize_topic_ids(topic.prerequisite_topic_ids, field=field)
    topic.prerequisite_topic_ids = prerequisite_ids
    course_topics = {
        str(topic_id): (name, prerequisites)
        for topic_id, name, prerequisites in Topic.objects.filter(course=course).values_list(
            "id", "name", "prerequisite_topic_ids"
        )
    }
    this_id = str(topic.pk)
    for prerequisite_id in prerequisite_ids:
        if prerequisite_id == this_id:
            message = f"A topic cannot be its own prerequisite ({topic.name} → {topic.name})."
            raise ApplicationError(message, field_errors={field: [message]})
        if prerequisite_id not in course_topics:
            message = f"{prerequisite_id} is not a topic of this course."
            raise ApplicationError(message, field_errors={field: [message]})
    graph = {topic_id: list(prereqs or []) for topic_id, (_, prereqs) in course_topics.items()}
    graph[this_id] = prerequisite_ids
    cycle = _find_cycle(graph, this_id)
    if cycle:
        names = {topic_id: name for topic_id, (name, _) in course_topics.items()}
        names[this_id] = topic.name
        described = " → ".join(names.get(node, node) for node in cycle)
        message = f"These prerequisites would form a cycle: {described}."
        raise ApplicationError(message, field_errors={field: [message]})


def _check_topic(topic: Topic, course: Course) -> None:
    _validate_fields(topic, exclude=["course", "prerequisite_topic_ids", "resource_links"])
    link_errors = resource_links_errors(topic.resource_links)
    if link_errors:
        raise ApplicationError(
            "Invalid resource links.", field_errors={"resource_links": link_errors}
        )
    _check_prerequisites(topic=topic, course=course)


@transaction.atomic
def topic_create(
    *,
    course: Course,
    name: str,
    description: str = "",
    estimated_difficulty: str = Difficulty.MEDIUM,
    prerequisite_topic_ids: Sequence = (),
    resource_links: Sequence = (),
    order_index: int | None = None,
) -> Topic:
    course = _lock_course(course)
    if order_index is None:
        # New topics go last unless the caller places them.
        last = course.topics.order_by("-order_index").values_list("order_index", flat=True).first()
        order_index = 0 if last is None else last + 1
    topic = Topic(
        course=course,
        name=name.strip(),
        description=description or "",
        estimated_difficulty=estimated_difficulty,
        prerequisite_topic_ids=list(prerequisite_topic_ids or []),
        resource_links=list(resource_links or []),
        order_index=order_index,
    )
    _check_topic(topic, course)
    topic.save()
    return topic


@transaction.atomic
def topic_update(*, topic: Topic, **fields: Any) -> Topic:
    _unknown_fields(fields, TOPIC_FIELDS)
    course = _lock_course(topic.course)
    for field, value in fields.items():
        if field == "name" and isinstance(value, str):
            value = value.strip()
        if field in ("prerequisite_topic_ids", "resource_links") and isinstance(value, tuple):
            value = list(value)
        setattr(topic, field, value)
    _check_topic(topic, course)
    topic.save()
    return topic


@transaction.atomic
def topic_delete(*, topic: Topic) -> None:
    course = _lock_course(topic.course)
    topic_id = str(topic.pk)
    assessment_ids = list(
        AssessmentTopic.objects.filter(topic=topic).values_list("assessment_id", flat=True)
    )
    # Keep the graph closed: no topic may point at one that no longer exists.
    for dependant in Topic.objects.filter(course=course).exclude(pk=topic.pk):
        if topic_id in (dependant.prerequisite_topic_ids or []):
            dependant.prerequisite_topic_ids = [
                prereq for prereq in dependant.prerequisite_topic_ids if prereq != topic_id
            ]
            dependant.save(update_fields=["prerequisite_topic_ids", "updated_at"])
    topic.delete()
    _send_assessment_changed(user_id=course.user_id, assessment_ids=assessment_ids)


# --- assessments --------------------------------------------------------------------------


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


# --- CSV import of courses ----------------------------------------------------------------


@dataclass
class ImportRowReport:
    line: int
    action: str
    values: dict[str, Any]
    errors: list[dict[str, str]] = dataclasses.field(default_factory=list)
    course_id: str | None = None


@dataclass
class CsvImportReport:
    dry_run: bool
    rows: list[ImportRowReport]
    applied: bool = False

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    @property
    def counts(self) -> dict[str, int]:
        actions = (CSV_ACTION_CREATE, CSV_ACTION_UPDATE, CSV_ACTION_UNCHANGED)
        counts = {action: self.count(action) for action in actions}
        counts[CSV_ACTION_ERROR] = sum(1 for row in self.rows if row.errors)
        return counts

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"line": row.line, **error} for row in self.rows for error in row.errors]


CSV_ACTION_CREATE = "create"
CSV_ACTION_UPDATE = "update"
CSV_ACTION_UNCHANGED = "unchanged"
CSV_ACTION_ERROR = "error"


def _csv_course_fields(row: CsvRow) -> dict[str, Any]:
    return {
        "name": row.values["name"],
        "start_date": row.start_date,
        "end_date": row.end_date,
        "instructor_name": row.values["instructor"],
    }


def courses_import_csv(*, user, content: bytes | str, dry_run: bool = False) -> CsvImportReport:
    """Import courses from CSV, all or nothing.

    Courses match on (code, semester), so importing the same file again changes nothing. If any
    row is bad nothing is written and every bad row is reported; `dry_run` reports what would
    happen without writing.
    """
    text = decode_upload(content, max_bytes=MAX_CSV_BYTES, what="CSV file")
    rows = parse_courses_csv(text)
    existing = {
        (course.code, course.semester): course
        for course in Course.objects.for_user(user).filter(
            code__in={row.values["code"] for row in rows}
        )
    }
    reports: list[ImportRowReport] = []
    for row in rows:
        values = {
            "name": row.values["name"],
            "code": row.values["code"],
            "semester": row.values["semester"],
            "start_date": row.start_date,
            "end_date": row.end_date,
            "instructor": row.values["instructor"],
        }
        report = ImportRowReport(line=row.line, action=CSV_ACTION_ERROR, values=values)
        report.errors = list(row.errors)
        if not row.errors:
            course = existing.get((row.values["code"], row.values["semester"]))
            if course is None:
                report.action = CSV_ACTION_CREATE
            else:
                report.course_id = str(course.pk)
                wanted = _csv_course_fields(row)
                changed = any(getattr(course, key) != value for key, value in wanted.items())
                report.action = CSV_ACTION_UPDATE if changed else CSV_ACTION_UNCHANGED
        reports.append(report)
    result = CsvImportReport(dry_run=dry_run, rows=reports)
    if dry_run or result.has_errors:
        return result
    creates = sum(report.action == CSV_ACTION_CREATE for report in reports)
    quotas.check_course_quota(user=user, adding=creates, field="file")
    quotas.check_import_allowance(user=user)

    row_by_line = {row.line: row for row in rows}
    try:
        with transaction.atomic():
            for report in reports:
                row = row_by_line[report.line]
                try:
                    if report.action == CSV_ACTION_CREATE:
                        course = course_create(
                            user=user,
                            code=row.values["code"],
                            semester=row.values["semester"],
                            **_csv_course_fields(row),
                        )
                        report.course_id = str(course.pk)
                    elif report.action == CSV_ACTION_UPDATE:
                        course = existing[(row.values["code"], row.values["semester"])]
                        course_update(course=course, **_csv_course_fields(row))
                except ApplicationError as exc:
                    for field_name, messages in (
                        exc.field_errors or {"file": [exc.message]}
                    ).items():
                        report.errors.extend(
                            {"field": field_name, "message": message} for message in messages
                        )
                    raise
    except ApplicationError:
        # The row's errors are on the report; the transaction rolled every other row back.
        for report in reports:
            if report.action == CSV_ACTION_CREATE and not report.errors:
                report.course_id = None
        return result
    result.applied = True
    return result


# --- LMS calendar import --------------------------------------------------------------------

LMS_ACTION_CREATE = "create"
LMS_ACTION_UPDATE = "update"
LMS_ACTION_UNCHANGED = "unchanged"
LMS_ACTION_SKIP = "skip"
LMS_ACTION_ERROR = "error"
# The student sets weights; an imported deadline must not change the course's weight total.
LMS_IMPORTED_WEIGHT_PERCENT = 0.0


@dataclass
class LmsRowReport:
    uid: str
    summary: str
    name: str
    type: str
    due: datetime | None
    action: str
    reason: str = ""
    course_id: str | None = None
    course_code: str = ""
    assessment_id: str | None = None


@dataclass
class LmsImportReport:
    confirmed: bool
    rows: list[LmsRowReport]
    applied: bool = False

    @property
    def has_errors(self) -> bool:
        return any(row.action == LMS_ACTION_ERROR for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        actions = (
            LMS_ACTION_CREATE,
            LMS_ACTION_UPDATE,
            LMS_ACTION_UNCHANGED,
            LMS_ACTION_SKIP,
            LMS_ACTION_ERROR,
        )
        return {action: self.count(action) for action in actions}


def _match_course(event: CalendarEvent, patterns, fallback_course: Course | None):
    """The course whose code appears in Canvas's bracket, the summary or the categories.

    The longest matching code wins ("MATH 2413L" over "MATH 2413"); a tie is ambiguous.
    """
    for haystack in (event.bracket, event.summary, " ".join(event.categories)):
        if not haystack:
            continue
        hits = [(course, pattern) for course, pattern in patterns if pattern.search(haystack)]
        if not hits:
            continue
        longest = max(len(course.code) for course, _ in hits)
        best = [course for course, _ in hits if len(course.code) == longest]
        if len({course.pk for course in best}) > 1:
            codes = ", ".join(sorted({course.code for course in best}))
            return None, f"The event matches more than one course ({codes})."
        return best[0], ""
    if fallback_course is not None:
        return fallback_course, ""
    return None, "No course's code appears in the event; add the course or choose one."


def _lms_plan(*, user, content: bytes | str, fallback_course: Course | None) -> LmsImportReport:
    text = decode_upload(content, max_bytes=feed_max_bytes(), what="calendar file")
    events = parse_lms_calendar(text, timezone_name=getattr(user, "timezone", "UTC"))
    courses = list(Course.objects.for_user(user).active())
    patterns = [(course, course_code_pattern(course.code)) for course in courses if course.code]
    existing = {
        assessment.external_uid: assessment
        for assessment in Assessment.objects.for_user(user)
        .filter(external_uid__in=[event.uid for event in events if event.uid])
        .select_related("course")
    }
    seen_uids: set[str] = set()
    rows: list[LmsRowReport] = []
    for event in events:
        row = LmsRowReport(
            uid=event.uid,
            summary=event.summary,
            name=event.name,
            type=assessment_type_for(event.summary),
            due=event.due,
            action=LMS_ACTION_ERROR,
        )
        rows.append(row)
        if event.error:
            row.reason = event.error
            continue
        if event.uid in seen_uids:
            row.action, row.reason = LMS_ACTION_SKIP, "The same UID appears earlier in the feed."
            continue
        seen_uids.add(event.uid)
        current = existing.get(event.uid)
        if current is not None:
            # Keyed by UID: the assessment stays in its course even if the summary changed.
            course, reason = current.course, ""
        else:
            course, reason = _match_course(event, patterns, fallback_course)
        if course is None:
            row.action, row.reason = LMS_ACTION_SKIP, reason
            continue
        row.course_id, row.course_code = str(course.pk), course.code
        if current is None:
            row.action = LMS_ACTION_CREATE
            continue
        row.assessment_id = str(current.pk)
        unchanged = (
            current.name == row.name and current.type == row.type and current.due_date == row.due
        )
        row.action = LMS_ACTION_UNCHANGED if unchanged else LMS_ACTION_UPDATE
    return LmsImportReport(confirmed=False, rows=rows)


def lms_import_preview(
    *, user, content: bytes | str, fallback_course: Course | None = None
) -> LmsImportReport:
    """What importing this calendar would do, row by row, without writing."""
    return _lms_plan(user=user, content=content, fallback_course=fallback_course)


@transaction.atomic
def lms_import_confirm(
    *, user, content: bytes | str, fallback_course: Course | None = None
) -> LmsImportReport:
    """Apply the calendar: all matched rows or none. Unmatched events are reported as skipped;
    an unreadable event (no UID, no date) is an error that stops the whole import."""
    report = _lms_plan(user=user, content=content, fallback_course=fallback_course)
    report.confirmed = True
    if report.has_errors:
        return report
    creates = sum(row.action == LMS_ACTION_CREATE for row in report.rows)
    quotas.check_assessment_quota(user=user, adding=creates, field="file")
    quotas.check_import_allowance(user=user)
    courses = {
        str(course.pk): course
        for course in Course.objects.select_for_update()
        .filter(pk__in={row.course_id for row in report.rows if row.course_id})
        .order_by("pk")
    }
    existing = {
        str(assessment.pk): assessment
        for assessment in Assessment.objects.filter(
            pk__in=[row.assessment_id for row in report.rows if row.assessment_id]
        )
    }
    changed_ids: list = []
    for row in report.rows:
        if row.action == LMS_ACTION_CREATE:
            assessment = _assessment_create(
                course=courses[row.course_id],
                name=row.name,
                type=row.type,
                weight_percent=LMS_IMPORTED_WEIGHT_PERCENT,
                due_date=row.due,
                external_uid=row.uid,
                created_from_import=True,
            )
            row.assessment_id = str(assessment.pk)
            changed_ids.append(assessment.pk)
        elif row.action == LMS_ACTION_UPDATE:
            assessment = _assessment_update(
                assessment=existing[row.assessment_id],
                course=courses[row.course_id],
                fields={"name": row.name, "type": row.type, "due_date": row.due},
            )
            changed_ids.append(assessment.pk)
    report.applied = True
    _send_assessment_changed(user_id=user.pk, assessment_ids=changed_ids)
    return report
