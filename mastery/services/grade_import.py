"""The grade import: a term's grade history, all rows or none, with a report per row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts import hygiene
from accounts.errors import ApplicationError
from accounts.timezones import user_zone
from courses.models import Assessment, AssessmentType, Course, Topic
from courses.quotas import check_import_allowance
from courses.services import (
    assessment_create,
    assessment_topic_question_counts_fill,
    assessment_update,
    default_weight_for,
)
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.selectors import record_topic_ids
from mastery.services.recompute import _enqueue_recompute
from mastery.services.validation import (
    DEFAULT_MAX_SCORE,
    _canonical_uuid,
    _completed_at_errors,
    _is_whole,
    _lock_user,
    _score_errors,
)

# Bounds a request's work and its transaction; a term's grade history is far smaller.
MAX_IMPORT_ROWS = hygiene.import_max_rows()
TIME_SPENT_RANGE = hygiene.integer_range(PerformanceRecord._meta.get_field("time_spent_min"))

ASSESSMENT_NAME_MAX_LENGTH = Assessment._meta.get_field("name").max_length

# A grade dated by day only is placed at local noon: the middle of the day keeps it on that
# calendar day in the learner's zone and after a same-day morning diagnostic.
IMPORTED_GRADE_LOCAL_TIME = time(12, 0)

# The model's own default duration, for imported grades that do not say how long they took.
DEFAULT_TIME_SPENT_MIN = Assessment._meta.get_field("estimated_duration_min").default

# An imported assessment's type, guessed from its name; anything else is an assignment.
IMPORT_TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("final", AssessmentType.FINAL),
    ("midterm", AssessmentType.MIDTERM),
    ("mid-term", AssessmentType.MIDTERM),
    ("exam", AssessmentType.MIDTERM),
    ("quiz", AssessmentType.QUIZ),
    ("project", AssessmentType.PROJECT),
)


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
    question_counts: dict[str, int] = field(default_factory=dict)


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
        report.add_error(
            "topics", "Must be a list of topic names or ids, or an object of their question counts."
        )
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
    for field_name, message in hygiene.row_problems(
        dict(raw), integers={"time_spent_min": TIME_SPENT_RANGE}
    ):
        report.add_error(field_name, message)
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

    raw_topics = raw.get("topics")
    question_counts: dict[str, int] = {}
    if isinstance(raw_topics, Mapping):
        # {topic: question count}: how many of the assessment's questions covered each topic
        # (seed 000's AssessmentTopic.question_count).
        topic_ids = []
        for key, count in raw_topics.items():
            if not _is_whole(count) or count < 1:
                report.add_error("topics", f"{key}: the question count must be a whole number.")
            for topic_id in _resolve_topics(
                [key], by_id=topics_by_id, by_name=topics_by_name, report=report
            ):
                if topic_id not in topic_ids:
                    topic_ids.append(topic_id)
                if _is_whole(count) and count >= 1:
                    question_counts[topic_id] = int(count)
    else:
        topic_ids = _resolve_topics(
            raw_topics, by_id=topics_by_id, by_name=topics_by_name, report=report
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
        question_counts=question_counts,
    )


def _create_import_assessment(*, course: Course, planned: _PlannedAssessment) -> Assessment:
    # A grade history names no weights. At 0% its grades counted for nothing in the grade
    # planner; the type's typical weight, within what the course has left (so the total stays
    # at or under 100), counts them, and is marked estimated for the student to confirm.
    room = 100.0 - Course.objects.get(pk=course.pk).weights_total
    assessment = assessment_create(
        course=course,
        name=planned.name,
        type=planned.type,
        weight_percent=default_weight_for(planned.type, room_percent=room),
        due_date=planned.due_date,
        max_score=planned.max_score,
        is_completed=True,
        topic_ids=planned.topic_ids,
    )
    assessment.created_from_import = True
    assessment.weight_is_estimated = True
    assessment.save(update_fields=["created_from_import", "weight_is_estimated", "updated_at"])
    return assessment


def grades_import(
    *, user, course: Course, grades: Sequence[Any], dry_run: bool = False
) -> GradeImportReport:
    """Import a grade history all-or-nothing, with a report per row.

    Rows are [{assessment_name, score, max_score, date, topics, time_spent_min?}]. Assessments
    match by name within the course (case-insensitive) or are created flagged
    created_from_import, with an estimated weight by type. `topics` (names or ids of the
    course) becomes the map of a new (or unmapped) assessment; a mapped assessment's map is
    the evidence map, so a topic outside it is a row error. Any row error: nothing is written.
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
            assessment_topic_question_counts_fill(assessment=assessment, counts=row.question_counts)
            row.report.assessment_id = str(assessment.pk)
            row.report.record_id = str(record.pk)
            row.report.action = "created"
            touched_topics.update(record_topic_ids(record))
        # Past-dated evidence lands inside the fold, so these topics take the full fold.
        _enqueue_recompute(user_id=user.pk, topic_ids=touched_topics)
