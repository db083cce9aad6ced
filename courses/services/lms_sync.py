"""Courses and assessments read from an LMS's API (Canvas, Moodle), keyed by the LMS's ids.

The integrations layer reads the LMS and calls these inside its own transaction, so an import
is all or nothing. Unlike the iCalendar feed, the API carries weights: the LMS is the source of
truth for the weights of the assessments it created, so a re-import first sets them aside
(zero) and then writes the new ones; otherwise moving 20% from one assignment to another could
pass through a total above 100% and be refused half-way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from courses import quotas
from courses.models import Assessment, Course
from courses.services.assessments import _assessment_create, _assessment_update
from courses.services.common import _lock_course, _send_assessment_changed
from courses.services.courses import course_create

LMS_SYNCED_FIELDS = ("name", "type", "due_date", "max_score", "weight_percent")


@dataclass(frozen=True)
class LmsAssessmentItem:
    external_uid: str
    name: str
    type: str
    due_date: datetime
    max_score: float
    weight_percent: float


@dataclass
class LmsAssessmentsOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Gone from the LMS since the last sync (flagged), and back after being gone (restored).
    removed: int = 0
    restored: int = 0
    # external_uid -> the assessment, for the grades that follow.
    by_uid: dict[str, Assessment] | None = None


def lms_course_get_or_create(
    *, user, code: str, name: str, semester: str, start_date: date, end_date: date
) -> tuple[Course, bool]:
    """The student's active course with this code (case and spacing aside), or a new one.

    When several active courses share the code (two semesters), the newest is the LMS's."""
    wanted = " ".join(code.split()).casefold()
    for course in Course.objects.for_user(user).active().order_by("-start_date", "-created_at"):
        if " ".join(course.code.split()).casefold() == wanted:
            return course, False
    course = course_create(
        user=user,
        name=name,
        code=code,
        semester=semester,
        start_date=start_date,
        end_date=end_date,
    )
    return course, True


def lms_assessments_sync(
    *,
    course: Course,
    items: list[LmsAssessmentItem],
    source_prefix: str = "",
    listed_uids: Iterable[str] = (),
    now: datetime | None = None,
) -> LmsAssessmentsOutcome:
    """Create or update the course's assessments from the LMS; call inside a transaction.

    Assessments the student added by hand keep their weights; the LMS's are rewritten.
    With `source_prefix` (the external_uid prefix of this LMS course), an assessment of that
    source that the LMS no longer lists (`listed_uids`: every item it lists, dated or not) is
    flagged `removed_in_source_at` instead of deleted: its grades and the student's evidence
    stay, but it is no longer planned for and its weight is set aside. Listed again, it is
    restored."""
    now = now or timezone.now()
    course = _lock_course(course)
    existing = {
        assessment.external_uid: assessment
        for assessment in Assessment.objects.filter(
            course=course, external_uid__in=[item.external_uid for item in items]
        )
    }
    adding = sum(1 for item in items if item.external_uid not in existing)
    quotas.check_assessment_quota(user=course.user_id, adding=adding, field="credentials")
    # Set aside only for the weight checks below: every one of these rows is written again in
    # this transaction, and those whose values end up changed are named in the one event.
    Assessment.objects.filter(pk__in=[a.pk for a in existing.values()]).update(weight_percent=0)
    outcome = LmsAssessmentsOutcome(by_uid={})
    changed_ids: list = []
    if source_prefix:
        listed = set(listed_uids) | set(existing)
        gone = [
            assessment
            for assessment in Assessment.objects.filter(
                course=course,
                external_uid__startswith=source_prefix,
                removed_in_source_at__isnull=True,
            )
            if assessment.external_uid not in listed
        ]
        for assessment in gone:
            # Its weight is the LMS's and the LMS no longer counts it: set aside, so the
            # weights of what is still listed sum to 100 again.
            assessment.removed_in_source_at = now
            assessment.weight_percent = 0
            assessment.save(update_fields=["removed_in_source_at", "weight_percent", "updated_at"])
            changed_ids.append(assessment.pk)
        outcome.removed = len(gone)
    for item in items:
        current = existing.get(item.external_uid)
        values = {
            "name": item.name,
            "type": item.type,
            "due_date": item.due_date,
            "max_score": item.max_score,
            "weight_percent": item.weight_percent,
        }
        if current is None:
            assessment = _assessment_create(
                course=course,
                external_uid=item.external_uid,
                created_from_import=True,
                **values,
            )
            outcome.created += 1
            changed_ids.append(assessment.pk)
        else:
            is_unchanged = (
                all(
                    getattr(current, field) == values[field]
                    for field in LMS_SYNCED_FIELDS
                    if field != "weight_percent"
                )
                and abs(current.weight_percent - item.weight_percent) < 1e-6
            )
            is_restored = current.removed_in_source_at is not None
            if is_restored:
                current.removed_in_source_at = None
                outcome.restored += 1
                is_unchanged = False
            # The weight was zeroed above in the database; write it back even when unchanged.
            assessment = _assessment_update(assessment=current, course=course, fields=values)
            if is_unchanged:
                outcome.unchanged += 1
            else:
                outcome.updated += 1
                changed_ids.append(assessment.pk)
        outcome.by_uid[item.external_uid] = assessment
    _send_assessment_changed(user_id=course.user_id, assessment_ids=changed_ids)
    return outcome
