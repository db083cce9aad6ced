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

from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import Assessment, AssessmentTopic, Course
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


def _predicted_percent(*, user, now: datetime):
    """For an assessment still ahead: the mean mastery of its topics, weighted by their share of
    it (a share left empty or 0 counts 1), over the topics with a mastery score."""
    weight = Case(
        When(Q(weight_in_assessment__isnull=True) | Q(weight_in_assessment=0), then=Value(1.0)),
        default=F("weight_in_assessment"),
        output_field=FloatField(),
    )
    # The score is read by topic id straight from the student's records, not through a join
    # of the topics table (a scan of every topic per assessment).
    score = Subquery(
        MasteryRecord.objects.filter(user=user, topic_id=OuterRef("topic_id")).values(
            "mastery_score"
        )[:1]
    )
    mastered = (
        AssessmentTopic.objects.filter(assessment=OuterRef("pk"))
        .annotate(score=score)
        .filter(score__isnull=False)
        .values("assessment")
        .annotate(percent=Sum(F("score") * weight) / Sum(weight))
        .values("percent")
    )
    return Case(
        When(is_completed=False, due_date__gte=now, then=Subquery(mastered)),
        default=None,
        output_field=FloatField(),
    )


def _latest_percent(*, user):
    """The latest attempt counts: a retake replaces the earlier score."""
    return Subquery(
        PerformanceRecord.objects.for_user(user)
        .filter(assessment=OuterRef("pk"))
        .order_by("-completed_at", "-attempt_number")
        .values("percentage")[:1]
    )


def grade_plan_for(*, user, course: Course, now: datetime | None = None) -> GradePlan:
    return grade_plans_for(user=user, courses=[course], now=now)[0]


def grade_plans_for(*, user, courses, now: datetime | None = None) -> list[GradePlan]:
    """One plan per course, in the given order, in one query whatever the number of courses
    (the grades index lists every active course): each assessment comes with its latest score
    and, while it is ahead, the mastery of its topics, both computed in the database."""
    now = now or timezone.now()
    courses = list(courses)
    assessments_by_course: dict = {course.pk: [] for course in courses}
    assessments = (
        Assessment.objects.for_user(user)
        .filter(course__in=courses)
        .annotate(
            latest_percent=_latest_percent(user=user),
            predicted=_predicted_percent(user=user, now=now),
        )
        .order_by("due_date", "name")
    )
    for assessment in assessments:
        assessments_by_course[assessment.course_id].append(assessment)
    return [
        _grade_plan(user=user, course=course, assessments=assessments_by_course[course.pk], now=now)
        for course in courses
    ]


def _grade_plan(*, user, course: Course, assessments, now) -> GradePlan:
    plan = GradePlan(course=course, target_percent=target_for(user=user, course=course))
    earned = 0.0
    for assessment in assessments:
        row = AssessmentGrade(assessment=assessment, percent=assessment.latest_percent)
        if row.is_graded:
            plan.graded.append(row)
            plan.graded_weight += assessment.weight_percent
            earned += assessment.weight_percent * row.percent
        elif assessment.is_completed or assessment.due_date < now:
            plan.unscored.append(row)
        else:
            if assessment.predicted is not None:
                row.predicted_percent = round(assessment.predicted, 1)
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
