"""Courses: create, update, the target grade, archive and delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from accounts.errors import ApplicationError
from courses import quotas
from courses.models import Course
from courses.services.common import _send_assessment_changed, _unknown_fields, _validate_fields

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
