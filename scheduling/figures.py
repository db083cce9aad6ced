"""The figures a student sees on more than one page, from one selector.

The dashboard, the week, today and at-risk pages and the stats page each show some of: the
minutes studied this week, the reviews due today, how many assessments are at risk and each
assessment's readiness. They all take them from `figures_for`, so two pages can never disagree
about the same number (each page marks them with `data-figure` attributes, and a test renders
the pages for one student and compares them).

Definitions:
- minutes done this week: completed blocks (their actual time) and quizzes taken in the app,
  by when they ended, in the student's local week (Monday to Sunday);
- reviews due: topics whose review falls on or before the student's local today;
- at risk: an upcoming assessment of an active course whose plan cushion says so, whose
  planned readiness is below READINESS_AT_RISK, or that has neither planned study nor any
  readiness to show;
- readiness: P(ready) with the planned study, else now, from the latest plan, in percent.

Two queries (one row of scalar subqueries, and the upcoming assessments), plus the plan
snapshot when the caller has not read it already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from courses.models import Assessment, AssessmentTopic
from mastery.models import MasteryRecord, PerformanceRecord
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus
from scheduling.stats import SECONDS_PER_MINUTE, STUDY_EVIDENCE_SOURCES
from scheduling.work import local_midnight, user_zone

# Below this P(ready) an exam is flagged even when the plan has time to spare for it.
READINESS_AT_RISK = 0.6
# The blocks the plan counts as planned study for an assessment (skipped and missed are not).
PLANNED_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)
# An argument the caller did not give (None is a real snapshot value: no plan yet).
NOT_READ = object()


@dataclass
class AssessmentRisk:
    assessment: Assessment
    p_ready_now: float | None
    p_ready_planned: float | None
    cushion: dict
    has_planned_study: bool
    is_low_readiness: bool
    is_unplanned: bool

    @property
    def p_ready_percent(self) -> int | None:
        value = self.p_ready_planned if self.p_ready_planned is not None else self.p_ready_now
        return None if value is None else round(value * 100)

    @property
    def is_at_risk(self) -> bool:
        return bool(self.cushion.get("is_at_risk")) or self.is_low_readiness or self.is_unplanned


@dataclass
class Figures:
    today: date
    week_start: date
    minutes_done_week: int
    reviews_due: int
    snapshot: PlanSnapshot | None
    # Upcoming assessments of active courses, soonest first.
    upcoming: list[AssessmentRisk] = field(default_factory=list)

    @property
    def at_risk(self) -> list[AssessmentRisk]:
        return [row for row in self.upcoming if row.is_at_risk]

    @property
    def at_risk_count(self) -> int:
        return len(self.at_risk)

    @property
    def at_risk_ids(self) -> set[str]:
        return {str(row.assessment.pk) for row in self.at_risk}

    @property
    def readiness_percent(self) -> dict[str, int]:
        return {
            str(row.assessment.pk): row.p_ready_percent
            for row in self.upcoming
            if row.p_ready_percent is not None
        }


def _scalar(queryset, output_field) -> Coalesce:
    """A one-number subquery over the outer user's rows, 0 when there are none."""
    return Coalesce(Subquery(queryset, output_field=output_field), 0, output_field=output_field)


def _counts(user, *, week_start: datetime, week_end: datetime, today: date) -> dict:
    """This week's block time, quiz minutes and today's reviews due, in one query."""
    block_time = ExpressionWrapper(F("actual_end") - F("actual_start"), DurationField())
    blocks = (
        StudyTask.objects.filter(
            user=OuterRef("pk"),
            status=TaskStatus.COMPLETED,
            actual_end__gte=week_start,
            actual_end__lt=week_end,
            actual_start__lt=F("actual_end"),
        )
        .order_by()
        .values("user")
        .annotate(total=Sum(block_time))
        .values("total")
    )
    quizzes = (
        PerformanceRecord.objects.filter(
            user=OuterRef("pk"),
            source__in=STUDY_EVIDENCE_SOURCES,
            completed_at__gte=week_start,
            completed_at__lt=week_end,
        )
        .order_by()
        .values("user")
        .annotate(total=Sum("time_spent_min"))
        .values("total")
    )
    reviews = (
        MasteryRecord.objects.filter(user=OuterRef("pk"))
        .due_for_review(today)
        .order_by()
        .values("user")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return (
        User.objects.filter(pk=user.pk)
        .annotate(
            block_time=Subquery(blocks, output_field=DurationField()),
            quiz_minutes=_scalar(quizzes, IntegerField()),
            reviews_due=_scalar(reviews, IntegerField()),
        )
        .values("block_time", "quiz_minutes", "reviews_due")
        .get()
    )


def with_risk_inputs(assessments):
    """Assessments annotated with what `assessment_risk` reads: their topic count and the
    minutes of planned study for each (blocks of the assessment's own student only)."""
    tasks = (
        StudyTask.objects.filter(
            assessment_id=OuterRef("pk"),
            user_id=OuterRef("course__user_id"),
            status__in=PLANNED_STATUSES,
        )
        .order_by()
        .values("assessment_id")
        .annotate(minutes=Sum("estimated_duration_min"))
        .values("minutes")
    )
    # Counted in a subquery of its own, not by joining the topics and grouping: the join
    # multiplied the rows the planned-minutes subquery ran for by the topics per assessment.
    topics = (
        AssessmentTopic.objects.filter(assessment_id=OuterRef("pk"))
        .order_by()
        .values("assessment_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return assessments.annotate(
        topic_count=Coalesce(Subquery(topics, output_field=IntegerField()), 0),
        planned_min=Coalesce(Subquery(tasks, output_field=IntegerField()), 0),
    )


def assessment_risk(assessment, snapshot: PlanSnapshot | None) -> AssessmentRisk:
    """One assessment's readiness and verdict, by the rules every page and message uses.
    `assessment` comes from `with_risk_inputs`."""
    return _risk(
        assessment,
        readiness={row["assessment_id"]: row for row in (snapshot.readiness if snapshot else [])},
        cushions={row["assessment_id"]: row for row in (snapshot.cushions if snapshot else [])},
    )


def _risk(assessment, *, readiness: dict, cushions: dict) -> AssessmentRisk:
    key = str(assessment.pk)
    ready = readiness.get(key, {})
    row = AssessmentRisk(
        assessment=assessment,
        p_ready_now=ready.get("p_ready_now"),
        p_ready_planned=ready.get("p_ready_planned"),
        cushion=cushions.get(key, {}),
        has_planned_study=assessment.planned_min > 0,
        is_low_readiness=False,
        is_unplanned=False,
    )
    row.is_low_readiness = (
        row.p_ready_planned is not None and row.p_ready_planned < READINESS_AT_RISK
    )
    has_no_readiness = row.p_ready_percent == 0 or (
        row.p_ready_percent is None and assessment.topic_count == 0
    )
    # "On track" means study is planned for it; with none, and no readiness to show for it,
    # it is not on track whatever the cushion says.
    row.is_unplanned = not row.has_planned_study and has_no_readiness
    return row


def figures_for(user, *, now: datetime | None = None, snapshot=NOT_READ) -> Figures:
    now = now or timezone.now()
    tz = user_zone(user)
    today = now.astimezone(tz).date()
    week_start = today - timedelta(days=today.weekday())
    counts = _counts(
        user,
        week_start=local_midnight(week_start, tz),
        week_end=local_midnight(week_start + timedelta(days=7), tz),
        today=today,
    )
    block_time = counts["block_time"] or timedelta(0)
    if snapshot is NOT_READ:
        snapshot = PlanSnapshot.objects.for_user(user).for_pages().first()
    readiness = {row["assessment_id"]: row for row in (snapshot.readiness if snapshot else [])}
    cushions = {row["assessment_id"]: row for row in (snapshot.cushions if snapshot else [])}
    upcoming = with_risk_inputs(
        Assessment.objects.for_user(user)
        .upcoming(now)
        .filter(course__is_archived=False)
        .select_related("course")
    )
    return Figures(
        today=today,
        week_start=week_start,
        minutes_done_week=round(block_time.total_seconds() / SECONDS_PER_MINUTE)
        + counts["quiz_minutes"],
        reviews_due=counts["reviews_due"],
        snapshot=snapshot,
        upcoming=[_risk(a, readiness=readiness, cushions=cushions) for a in upcoming],
    )
