"""The dashboard's read model, composed from the selectors of the layers below."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.services import preferences_get_current
from courses.models import Assessment, Course
from mastery import quiz_selectors
from mastery.models import MasteryRecord
from planner.models import OnboardingProgress
from scheduling import rules, selectors
from scheduling.models import DailyCheckIn, StudyTask, TaskStatus
from scheduling.work import local_midnight, user_zone

# Enough rows to see what is coming without turning the dashboard into a list page.
DEADLINES_SHOWN = 6
REVIEWS_SHOWN = 6
# Below this P(ready) an exam is flagged even when the plan has time to spare for it.
READINESS_AT_RISK = 0.6
SECONDS_PER_MINUTE = 60
# The blocks the plan counts as this week's planned study (skipped and missed are not).
PLANNED_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)


@dataclass
class Deadline:
    assessment: Assessment
    p_ready_now: float | None = None
    p_ready_planned: float | None = None
    is_at_risk: bool = False
    summary: str = ""
    suggestions: list[dict] = field(default_factory=list)

    @property
    def p_ready_percent(self) -> int | None:
        value = self.p_ready_planned if self.p_ready_planned is not None else self.p_ready_now
        return None if value is None else round(value * 100)


@dataclass
class CourseWeek:
    course: Course
    planned_min: int = 0
    done_min: int = 0

    @property
    def share_percent(self) -> int:
        if not self.planned_min:
            return 0
        return min(100, round(self.done_min / self.planned_min * 100))


@dataclass
class Dashboard:
    today: date
    tz_name: str
    today_tasks: list[StudyTask]
    focus_task: StudyTask | None
    deadlines: list[Deadline]
    reviews: list[MasteryRecord]
    reviews_due_count: int
    streak: rules.Streak
    week: list[CourseWeek]
    checkin: DailyCheckIn | None
    setup: OnboardingProgress | None
    has_courses: bool
    has_plan: bool
    block_length_min: int
    break_length_min: int

    @property
    def shows_setup_banner(self) -> bool:
        return self.setup is not None and not self.setup.is_complete

    @property
    def week_planned_min(self) -> int:
        return sum(row.planned_min for row in self.week)

    @property
    def week_done_min(self) -> int:
        return sum(row.done_min for row in self.week)


def minutes_between(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None or end <= start:
        return 0
    return round((end - start).total_seconds() / SECONDS_PER_MINUTE)


def focus_task_of(tasks: list[StudyTask], now: datetime) -> StudyTask | None:
    """The block running now, else the next one still to come today, else none."""
    running = [t for t in tasks if t.status == TaskStatus.IN_PROGRESS]
    if running:
        return running[0]
    upcoming = [
        t
        for t in tasks
        if t.status == TaskStatus.SCHEDULED and t.scheduled_end and t.scheduled_end > now
    ]
    return upcoming[0] if upcoming else None


def deadlines_for(user, now: datetime, snapshot) -> list[Deadline]:
    readiness = {row["assessment_id"]: row for row in (snapshot.readiness if snapshot else [])}
    cushions = {row["assessment_id"]: row for row in (snapshot.cushions if snapshot else [])}
    rows = []
    upcoming = Assessment.objects.for_user(user).upcoming(now).select_related("course")
    for assessment in upcoming.filter(course__is_archived=False)[:DEADLINES_SHOWN]:
        key = str(assessment.pk)
        ready, cushion = readiness.get(key, {}), cushions.get(key, {})
        row = Deadline(
            assessment=assessment,
            p_ready_now=ready.get("p_ready_now"),
            p_ready_planned=ready.get("p_ready_planned"),
            summary=cushion.get("summary", ""),
            suggestions=list(cushion.get("suggestions", [])),
        )
        low_readiness = row.p_ready_planned is not None and row.p_ready_planned < READINESS_AT_RISK
        row.is_at_risk = bool(cushion.get("is_at_risk")) or low_readiness
        if low_readiness and not row.summary:
            row.summary = (
                f"Predicted readiness is {row.p_ready_percent}%: practise its weakest topics "
                "or add study time before the due date."
            )
        rows.append(row)
    return rows


def week_by_course(user, *, today: date, tz) -> list[CourseWeek]:
    """This local week's planned and done minutes per course (Monday to Sunday)."""
    first = selectors.week_start_for(today)
    start, end = local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz)
    rows: dict = {}
    tasks = (
        selectors.schedule_between(user, start, end)
        .filter(status__in=PLANNED_STATUSES)
        .select_related("course")
    )
    per_course: dict = defaultdict(lambda: [0, 0])
    for task in tasks:
        rows.setdefault(task.course_id, task.course)
        per_course[task.course_id][0] += minutes_between(task.scheduled_start, task.scheduled_end)
        if task.status == TaskStatus.COMPLETED:
            per_course[task.course_id][1] += minutes_between(task.actual_start, task.actual_end)
    return [
        CourseWeek(course=course, planned_min=per_course[pk][0], done_min=per_course[pk][1])
        for pk, course in sorted(rows.items(), key=lambda item: item[1].code)
    ]


def dashboard_for(user, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    tz = user_zone(user)
    today = now.astimezone(tz).date()
    day_start, day_end = local_midnight(today, tz), local_midnight(today + timedelta(days=1), tz)
    today_tasks = list(selectors.schedule_between(user, day_start, day_end))
    in_progress = list(selectors.tasks_for(user).filter(status=TaskStatus.IN_PROGRESS))
    # A block started yesterday evening and still running belongs on today's dashboard too.
    for task in in_progress:
        if all(task.pk != other.pk for other in today_tasks):
            today_tasks.insert(0, task)
    reviews = quiz_selectors.reviews_due(user=user, on_date=today)
    preferences = preferences_get_current(user=user)
    snapshot = selectors.snapshot_for(user)
    focus = focus_task_of(today_tasks, now)
    if focus is None:
        # Nothing left today: show the next block of the plan, so the plan is never hidden.
        focus = (
            selectors.tasks_for(user)
            .filter(status=TaskStatus.SCHEDULED, scheduled_start__gte=now)
            .order_by("scheduled_start", "id")
            .first()
        )
    return Dashboard(
        today=today,
        tz_name=tz.key,
        today_tasks=today_tasks,
        focus_task=focus,
        deadlines=deadlines_for(user, now, snapshot),
        reviews=list(reviews[:REVIEWS_SHOWN]),
        reviews_due_count=reviews.count(),
        streak=selectors.streak_for(user, now=now),
        week=week_by_course(user, today=today, tz=tz),
        checkin=DailyCheckIn.objects.for_user(user).filter(date=today).first(),
        setup=OnboardingProgress.objects.for_user(user).first(),
        has_courses=Course.objects.for_user(user).exists(),
        has_plan=snapshot is not None,
        block_length_min=preferences.preferred_block_length_min,
        break_length_min=preferences.break_length_min,
    )
