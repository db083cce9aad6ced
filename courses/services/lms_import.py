"""The LMS calendar (iCalendar) import: deadlines become assessments, keyed by UID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from courses import quotas
from courses.feeds import feed_max_bytes
from courses.imports import (
    CalendarEvent,
    assessment_type_for,
    course_code_pattern,
    decode_upload,
    parse_lms_calendar,
)
from courses.models import Assessment, Course
from courses.services.assessments import _assessment_create, _assessment_update
from courses.services.common import _send_assessment_changed

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
