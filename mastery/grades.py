"""The grade planner: the weighted grade so far, the score each remaining assessment needs for
a target, and the grade the current mastery predicts.

The target is the course's own `target_grade`, which the planner also uses to favour that
course's work.

"Remaining" means still ahead: not completed, not yet due, no score. A completed or past
assessment without a score is listed apart ("record its score"); until its score is recorded
it counts in neither the grade so far nor the score needed on what remains, since no score
the student can still earn changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import Assessment, Course
from courses.services import course_target_grade_set
from mastery.models import MasteryRecord, PerformanceRecord

PERCENT = 100.0


@dataclass
class AssessmentGrade:
    assessment: Assessment
    percent: float | None = None
    # For remaining assessments: what current mastery predicts, and what the target needs.
    predicted_percent: float | None = None
    needed_percent: float | None = None

    @property
    def is_graded(self) -> bool:
        return self.percent is not None

    @property
    def needed_points(self) -> float | None:
        if self.needed_percent is None:
            return None
        return round(self.needed_percent / PERCENT * self.assessment.max_score, 1)


@dataclass
class GradePlan:
    course: Course
    target_percent: float | None
    graded: list[AssessmentGrade] = field(default_factory=list)
    remaining: list[AssessmentGrade] = field(default_factory=list)
    # Completed or past, with no score recorded yet.
    unscored: list[AssessmentGrade] = field(default_factory=list)
    current_percent: float | None = None
    graded_weight: float = 0.0
    remaining_weight: float = 0.0
    needed_percent: float | None = None
    predicted_percent: float | None = None

    @property
    def target_is_reachable(self) -> bool | None:
        if self.needed_percent is None:
            return None
        return self.needed_percent <= PERCENT

    @property
    def target_is_secured(self) -> bool:
        return self.needed_percent is not None and self.needed_percent <= 0


def target_for(*, user, course: Course) -> float | None:
    return course.target_grade


def grade_target_set(*, user, course: Course, target_percent: float | None) -> Course:
    """Set (or clear, with None) the course's target grade in percent."""
    if course.user_id != user.pk:
        raise ApplicationError("Course not found.", field_errors={"course": ["Not found."]})
    try:
        return course_target_grade_set(course=course, target_grade=target_percent)
    except ApplicationError as exc:
        raise ApplicationError(
            exc.message, field_errors={"target_percent": exc.field_errors["target_grade"]}
        ) from exc


def _latest_percent_by_assessment(user, courses: list[Course]) -> dict:
    """The latest attempt counts: a retake replaces the earlier score."""
    latest = {}
    records = (
        PerformanceRecord.objects.for_user(user)
        .filter(course__in=courses, assessment__isnull=False)
        .order_by("completed_at", "attempt_number")
        .values_list("assessment_id", "percentage")
    )
    for assessment_id, percentage in records:
        latest[assessment_id] = percentage
    return latest


def _predicted_percent(assessment: Assessment, mastery: dict) -> float | None:
    """Mean mastery of the assessment's topics, weighted by their share of it."""
    total = weight_sum = 0.0
    for link in assessment.assessment_topics.all():
        score = mastery.get(link.topic_id)
        if score is None:
            continue
        weight = link.weight_in_assessment or 1.0
        total += score * weight
        weight_sum += weight
    return round(total / weight_sum, 1) if weight_sum else None


def grade_plan_for(*, user, course: Course, now: datetime | None = None) -> GradePlan:
    return grade_plans_for(user=user, courses=[course], now=now)[0]


def grade_plans_for(*, user, courses, now: datetime | None = None) -> list[GradePlan]:
    """One plan per course, in the given order, in four queries whatever the number of courses
    (the grades index lists every active course)."""
    now = now or timezone.now()
    courses = list(courses)
    scores = _latest_percent_by_assessment(user, courses)
    mastery = dict(
        MasteryRecord.objects.for_user(user)
        .filter(topic__course__in=courses)
        .values_list("topic_id", "mastery_score")
    )
    assessments_by_course: dict = {course.pk: [] for course in courses}
    assessments = (
        Assessment.objects.for_user(user)
        .filter(course__in=courses)
        .prefetch_related("assessment_topics")
        .order_by("due_date", "name")
    )
    for assessment in assessments:
        assessments_by_course[assessment.course_id].append(assessment)
    return [
        _grade_plan(
            user=user,
            course=course,
            assessments=assessments_by_course[course.pk],
            scores=scores,
            mastery=mastery,
            now=now,
        )
        for course in courses
    ]


def _grade_plan(*, user, course: Course, assessments, scores, mastery, now) -> GradePlan:
    plan = GradePlan(course=course, target_percent=target_for(user=user, course=course))
    earned = 0.0
    for assessment in assessments:
        row = AssessmentGrade(assessment=assessment, percent=scores.get(assessment.pk))
        if row.is_graded:
            plan.graded.append(row)
            plan.graded_weight += assessment.weight_percent
            earned += assessment.weight_percent * row.percent
        elif assessment.is_completed or assessment.due_date < now:
            plan.unscored.append(row)
        else:
            row.predicted_percent = _predicted_percent(assessment, mastery)
            plan.remaining.append(row)
            plan.remaining_weight += assessment.weight_percent
    if plan.graded_weight:
        plan.current_percent = round(earned / plan.graded_weight, 1)
    total_weight = plan.graded_weight + plan.remaining_weight
    if plan.target_percent is not None and plan.remaining_weight:
        # One score on every remaining assessment: (target × all weight − earned) / remaining.
        plan.needed_percent = round(
            (plan.target_percent * total_weight - earned) / plan.remaining_weight, 1
        )
        for row in plan.remaining:
            row.needed_percent = max(0.0, plan.needed_percent)
    predicted_weight, predicted_earned = plan.graded_weight, earned
    for row in plan.remaining:
        if row.predicted_percent is not None:
            predicted_weight += row.assessment.weight_percent
            predicted_earned += row.assessment.weight_percent * row.predicted_percent
    if predicted_weight and predicted_weight > plan.graded_weight:
        plan.predicted_percent = round(predicted_earned / predicted_weight, 1)
    return plan
