"""The dashboard's read model, composed from the selectors of the layers below.

The panels that cost the most queries and grow with the student's history (deadlines with
readiness, reviews due, streak and this week's hours) are rendered once and cached per student.
The key holds a per-student generation number, so any change that could alter them invalidates
all of them with one increment; it also holds the student's local date and timezone, so a
cached panel never shows yesterday's "today". Today's blocks, the focus timer and the check-in
change by the minute and carry forms, so they are always rendered live.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.page_cache import cache_call, student_generation, student_pages_invalidate
from accounts.services import preferences_get_current
from accounts.timeformat import time_format_of
from courses.models import Assessment, Course
from journey.models import OnboardingProgress
from mastery import quiz_selectors
from mastery.models import MasteryRecord
from scheduling import rules, selectors
from scheduling.figures import PLANNED_STATUSES, Figures, figures_for
from scheduling.models import DailyCheckIn, PlanNotice, PlanSnapshot, StudyTask, TaskStatus
from scheduling.stats import minutes_between
from scheduling.work import local_midnight, user_zone

# Enough rows to see what is coming without turning the dashboard into a list page.
DEADLINES_SHOWN = 6
REVIEWS_SHOWN = 6
# The cached panels, each rendered from its own include with the panel data as `board`.
PANEL_TEMPLATES = {
    "deadlines": "journey/includes/_deadlines.html",
    "reviews": "journey/includes/_reviews.html",
    "progress": "journey/includes/_progress.html",
}
# Bump the version when the cached shape or the panel markup changes, so a deploy never
# serves panels rendered by the previous release.
PANELS_CACHE_VERSION = 2
# The clock (12/24-hour) is in the key: the panels write times in the student's format.
PANELS_KEY = "dashboard:panels:v{version}:{user_id}:{generation}:{today}:{tz_name}:{clock}"
# An argument the caller did not give (None is a real value: no onboarding row).
NOT_READ = object()


@dataclass
class Deadline:
    assessment: Assessment
    p_ready_now: float | None = None
    p_ready_planned: float | None = None
    is_at_risk: bool = False
    has_planned_study: bool = False
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
class TodayBoard:
    """The live part of the dashboard: today's blocks, the focus block and the check-in."""

    today: date
    tz_name: str
    today_tasks: list[StudyTask]
    focus_task: StudyTask | None
    checkin: DailyCheckIn | None
    setup: OnboardingProgress | None
    has_courses: bool
    has_plan: bool
    block_length_min: int
    break_length_min: int
    # Plan changes inside the next 24 hours the student has not dismissed (Module 3).
    notices: list[PlanNotice] = field(default_factory=list)

    @property
    def shows_setup_banner(self) -> bool:
        return self.setup is not None and not self.setup.is_complete


@dataclass
class PanelData:
    """What the cached panels show; they render it under the name `board`."""

    today: date
    deadlines: list[Deadline]
    reviews: list[MasteryRecord]
    reviews_due_count: int
    at_risk_count: int
    minutes_done_week: int
    streak: rules.Streak
    week: list[CourseWeek]
    has_courses: bool
    has_plan: bool

    @property
    def week_planned_min(self) -> int:
        return sum(row.planned_min for row in self.week)

    @property
    def week_done_min(self) -> int:
        return sum(row.done_min for row in self.week)

    @property
    def expires_at(self) -> datetime | None:
        """When the deadline list changes by itself: the first shown assessment falls due."""
        return min((row.assessment.due_date for row in self.deadlines), default=None)


@dataclass
class Dashboard(TodayBoard):
    """The whole read model, live part and panel data together."""

    deadlines: list[Deadline] = field(default_factory=list)
    reviews: list[MasteryRecord] = field(default_factory=list)
    reviews_due_count: int = 0
    at_risk_count: int = 0
    minutes_done_week: int = 0
    streak: rules.Streak | None = None
    week: list[CourseWeek] = field(default_factory=list)

    @property
    def week_planned_min(self) -> int:
        return sum(row.planned_min for row in self.week)

    @property
    def week_done_min(self) -> int:
        return sum(row.done_min for row in self.week)


@dataclass
class Panels:
    """The cached panels as HTML, plus the two facts the live Today panel also needs."""

    html: dict[str, str]
    has_courses: bool
    has_plan: bool
    # When the deadline list changes by itself (the first shown assessment falls due).
    expires_at: datetime | None = None


@dataclass
class DashboardPage:
    board: TodayBoard
    panels: Panels | None


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


def deadlines_for(figures: Figures) -> list[Deadline]:
    """The first upcoming assessments, with the risk verdict the other pages show too."""
    rows = []
    for risk in figures.upcoming[:DEADLINES_SHOWN]:
        cushion = risk.cushion
        row = Deadline(
            assessment=risk.assessment,
            p_ready_now=risk.p_ready_now,
            p_ready_planned=risk.p_ready_planned,
            is_at_risk=risk.is_at_risk,
            has_planned_study=risk.has_planned_study,
            summary=cushion.get("summary", ""),
            suggestions=list(cushion.get("suggestions", [])),
        )
        if risk.is_unplanned and not row.summary:
            row.summary = (
                "No study is planned for it yet: add its topics, check its weight, or add "
                "free time before the due date."
            )
        elif risk.is_low_readiness and not row.summary:
            row.summary = (
                f"Predicted readiness is {row.p_ready_percent}%: practise its weakest topics "
                "or add study time before the due date."
            )
        rows.append(row)
    return rows


def _week_bounds(today: date, tz) -> tuple[datetime, datetime]:
    first = selectors.week_start_for(today)
    return local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz)


def board_rows(user, *, now: datetime, tz, today: date) -> list[StudyTask]:
    """Every block the dashboard shows, in one query: this local week's (today's among them),
    any block still running and the next block of the whole plan."""
    start, end = _week_bounds(today, tz)
    next_block = (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED, scheduled_start__gte=now)
        .order_by("scheduled_start", "id")
        .values("pk")[:1]
    )
    return list(
        selectors.tasks_for(user)
        .filter(
            Q(scheduled_start__lt=end, scheduled_end__gt=start)
            | Q(status=TaskStatus.IN_PROGRESS)
            | Q(pk__in=Subquery(next_block))
        )
        .order_by("scheduled_start", "id")
    )


def _overlaps(task: StudyTask, start: datetime, end: datetime) -> bool:
    return (
        task.scheduled_start is not None
        and task.scheduled_end is not None
        and task.scheduled_start < end
        and task.scheduled_end > start
    )


def week_by_course(rows: list[StudyTask], *, today: date, tz) -> list[CourseWeek]:
    """This local week's planned and done block minutes per course (Monday to Sunday)."""
    start, end = _week_bounds(today, tz)
    courses: dict = {}
    per_course: dict = defaultdict(lambda: [0, 0])
    for task in rows:
        if task.status not in PLANNED_STATUSES or not _overlaps(task, start, end):
            continue
        courses.setdefault(task.course_id, task.course)
        per_course[task.course_id][0] += minutes_between(task.scheduled_start, task.scheduled_end)
        if task.status == TaskStatus.COMPLETED:
            per_course[task.course_id][1] += minutes_between(task.actual_start, task.actual_end)
    return [
        CourseWeek(course=course, planned_min=per_course[pk][0], done_min=per_course[pk][1])
        for pk, course in sorted(courses.items(), key=lambda item: item[1].code)
    ]


def _local_day(user, now: datetime | None):
    now = now or timezone.now()
    tz = user_zone(user)
    return now, tz, now.astimezone(tz).date()


def today_board_for(
    user,
    *,
    now: datetime,
    tz,
    today: date,
    has_courses: bool,
    has_plan: bool,
    setup: OnboardingProgress | object | None = NOT_READ,
    rows: list[StudyTask] | None = None,
) -> TodayBoard:
    """`setup` is the onboarding row when the caller already read it (the home page does);
    `rows` are the blocks from `board_rows` when the caller already read them."""
    day_start, day_end = local_midnight(today, tz), local_midnight(today + timedelta(days=1), tz)
    if rows is None:
        rows = board_rows(user, now=now, tz=tz, today=today)
    today_tasks = [task for task in rows if _overlaps(task, day_start, day_end)]
    # A block started yesterday evening and still running belongs on today's dashboard too.
    for task in rows:
        if task.status == TaskStatus.IN_PROGRESS and all(task.pk != t.pk for t in today_tasks):
            today_tasks.insert(0, task)
    preferences = preferences_get_current(user=user)
    focus = focus_task_of(today_tasks, now)
    if focus is None:
        # Nothing left today: show the next block of the plan, so the plan is never hidden.
        upcoming = [
            task
            for task in rows
            if task.status == TaskStatus.SCHEDULED
            and task.scheduled_start is not None
            and task.scheduled_start >= now
        ]
        focus = min(upcoming, key=lambda task: (task.scheduled_start, task.pk), default=None)
    return TodayBoard(
        today=today,
        tz_name=tz.key,
        today_tasks=today_tasks,
        focus_task=focus,
        checkin=DailyCheckIn.objects.for_user(user).filter(date=today).first(),
        setup=OnboardingProgress.objects.for_user(user).first() if setup is NOT_READ else setup,
        has_courses=has_courses,
        has_plan=has_plan,
        block_length_min=preferences.preferred_block_length_min,
        break_length_min=preferences.break_length_min,
        notices=list(PlanNotice.objects.for_user(user).undismissed()),
    )


def panel_data_for(
    user,
    *,
    now: datetime,
    tz,
    today: date,
    has_courses: bool | None = None,
    rows: list[StudyTask] | None = None,
) -> PanelData:
    figures = figures_for(user, now=now)
    if rows is None:
        rows = board_rows(user, now=now, tz=tz, today=today)
    return PanelData(
        today=today,
        deadlines=deadlines_for(figures),
        reviews=list(quiz_selectors.reviews_due(user=user, on_date=today)[:REVIEWS_SHOWN]),
        reviews_due_count=figures.reviews_due,
        at_risk_count=figures.at_risk_count,
        minutes_done_week=figures.minutes_done_week,
        streak=selectors.streak_for(user, now=now),
        week=week_by_course(rows, today=today, tz=tz),
        has_courses=(
            Course.objects.for_user(user).exists() if has_courses is None else has_courses
        ),
        has_plan=figures.snapshot is not None,
    )


def dashboard_for(user, *, now: datetime | None = None) -> Dashboard:
    now, tz, today = _local_day(user, now)
    rows = board_rows(user, now=now, tz=tz, today=today)
    data = panel_data_for(user, now=now, tz=tz, today=today, rows=rows)
    board = today_board_for(
        user,
        now=now,
        tz=tz,
        today=today,
        has_courses=data.has_courses,
        has_plan=data.has_plan,
        rows=rows,
    )
    return Dashboard(
        **{name: getattr(board, name) for name in TodayBoard.__dataclass_fields__},
        deadlines=data.deadlines,
        reviews=data.reviews,
        reviews_due_count=data.reviews_due_count,
        at_risk_count=data.at_risk_count,
        minutes_done_week=data.minutes_done_week,
        streak=data.streak,
        week=data.week,
    )


def dashboard_page_for(
    user,
    *,
    now: datetime | None = None,
    with_panels: bool = True,
    setup: OnboardingProgress | object | None = NOT_READ,
    has_courses: bool | None = None,
) -> DashboardPage:
    """The dashboard page: the live Today board, and the panels from the cache when warm.

    Without panels (an htmx update of the Today panel alone) only the two facts the Today
    panel needs are read. `setup` is the onboarding row when the caller already read it.
    """
    now, tz, today = _local_day(user, now)
    rows = board_rows(user, now=now, tz=tz, today=today)
    if with_panels:
        panels = dashboard_panels_for(
            user, now=now, tz=tz, today=today, has_courses=has_courses, rows=rows
        )
        has_courses, has_plan = panels.has_courses, panels.has_plan
    else:
        panels = None
        if has_courses is None:
            has_courses = Course.objects.for_user(user).exists()
        has_plan = PlanSnapshot.objects.for_user(user).exists()
    board = today_board_for(
        user,
        now=now,
        tz=tz,
        today=today,
        has_courses=has_courses,
        has_plan=has_plan,
        setup=setup,
        rows=rows,
    )
    return DashboardPage(board=board, panels=panels)


# --- Panel cache --------------------------------------------------------------------------------


def _render_panels(
    user, *, now: datetime, tz, today: date, has_courses: bool | None = None, rows=None
) -> tuple[Panels, datetime | None]:
    data = panel_data_for(user, now=now, tz=tz, today=today, has_courses=has_courses, rows=rows)
    # Rendered in the student's zone whatever zone is active, since the key names that zone.
    with timezone.override(tz):
        html = {
            name: render_to_string(template, {"board": data, "user": user})
            for name, template in PANEL_TEMPLATES.items()
        }
    panels = Panels(
        html=html,
        has_courses=data.has_courses,
        has_plan=data.has_plan,
        expires_at=data.expires_at,
    )
    return panels, data.expires_at


def dashboard_panels_for(
    user, *, now: datetime, tz, today: date, has_courses: bool | None = None, rows=None
) -> Panels:
    """`has_courses` and the blocks (`board_rows`) are given when the caller already read
    them, to spare their queries."""
    render = {"now": now, "tz": tz, "today": today, "has_courses": has_courses, "rows": rows}
    if not settings.DASHBOARD_CACHE_ENABLED:
        return _render_panels(user, **render)[0]
    generation = student_generation(user.pk)
    if generation is None:
        return _render_panels(user, **render)[0]
    key = PANELS_KEY.format(
        version=PANELS_CACHE_VERSION,
        user_id=user.pk,
        generation=generation,
        today=today.isoformat(),
        tz_name=tz.key,
        clock=time_format_of(user),
    )
    cached = cache_call(cache.get, key)
    # The deadline list drops an assessment the moment it falls due, with no write to retire
    # the panels: past that moment they are rebuilt (the lifetime below ends there too).
    expired = (
        cached is not None and cached["expires_at"] is not None and now >= cached["expires_at"]
    )
    if cached is not None and not expired:
        return Panels(
            html={name: mark_safe(text) for name, text in cached["html"].items()},  # noqa: S308
            has_courses=cached["has_courses"],
            has_plan=cached["has_plan"],
            expires_at=cached["expires_at"],
        )
    panels, expires_at = _render_panels(user, **render)
    timeout = settings.DASHBOARD_CACHE_SECONDS
    if expires_at is not None:
        timeout = min(timeout, max(1, math.ceil((expires_at - now).total_seconds())))
    stored = {
        "html": {name: str(text) for name, text in panels.html.items()},
        "has_courses": panels.has_courses,
        "has_plan": panels.has_plan,
        "expires_at": expires_at,
    }
    cache_call(cache.set, key, stored, timeout)
    return panels


def dashboard_invalidate(*, user_id) -> None:
    """Retire every cached panel of one student in O(1) (with every other cached part of their
    pages: see accounts.page_cache).

    Called at the write itself, so reads on the same connection, inside the transaction, see
    the change at once. The events sent on commit (plan, mastery, assessment, preferences)
    retire the panels again after commit, which covers a panel cached from the old rows by
    another process during a long transaction; the short ones (starting or completing a block)
    leave that window at a few milliseconds.
    """
    student_pages_invalidate(user_id=user_id)
