"""The study task's lifecycle: start, complete, skip, reschedule, pin."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import timeformat
from accounts.availability import WEEKDAYS, parse_hhmm
from accounts.errors import ApplicationError
from accounts.services import preferences_get_current
from courses.models import Topic
from scheduling import rules
from scheduling.models import (
    StudyTask,
    TaskStatus,
)
from scheduling.selectors import busy_intervals_for
from scheduling.services.plan import (
    PlanDiff,
    _send_plan_changed,
    plan_replan_enqueue,
)
from scheduling.work import (
    user_zone,
)

# -- Task lifecycle ----------------------------------------------------------------------------

STARTABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)
COMPLETABLE = (TaskStatus.IN_PROGRESS, TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)
SKIPPABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED, TaskStatus.IN_PROGRESS)
MOVABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)


def _locked_task(task: StudyTask) -> StudyTask:
    return StudyTask.objects.select_for_update().get(pk=task.pk)


def _status_error(task: StudyTask, action: str) -> ApplicationError:
    label = TaskStatus(task.status).label.lower()
    return ApplicationError(
        f"A {label} task cannot be {action}.", field_errors={"status": [f"Task is {label}."]}
    )


def study_task_start(*, task: StudyTask, now: datetime | None = None) -> StudyTask:
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in STARTABLE:
            raise _status_error(task, "started")
        task.status = TaskStatus.IN_PROGRESS
        task.actual_start = now
        task.save(update_fields=["status", "actual_start", "updated_at"])
    return task


def study_task_complete(
    *,
    task: StudyTask,
    completion_percentage: float = 100.0,
    self_rating: int | None = None,
    now: datetime | None = None,
) -> StudyTask:
    """Finish a task; a self-rating (1-5) becomes low-weight evidence for its topics."""
    from mastery.services import performance_record_create_self_rating

    now = now or timezone.now()
    if not 0 < completion_percentage <= 100:
        raise ApplicationError(
            "Completion must be above 0 and at most 100 percent.",
            field_errors={"completion_percentage": ["Must be above 0 and at most 100."]},
        )
    if self_rating is not None and not 1 <= self_rating <= 5:
        raise ApplicationError(
            "The rating must be from 1 to 5.", field_errors={"self_rating": ["Must be 1 to 5."]}
        )
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in COMPLETABLE:
            raise _status_error(task, "completed")
        if task.actual_start is None:
            task.actual_start = now - timedelta(minutes=task.estimated_duration_min)
        task.actual_end = max(now, task.actual_start + timedelta(minutes=1))
        task.status = TaskStatus.COMPLETED
        task.completion_percentage = float(completion_percentage)
        task.self_rating = self_rating
        task.save()
        if self_rating is not None:
            topics = list(Topic.objects.for_user(task.user).filter(pk__in=task.topic_ids))
            if topics:
                minutes = max(1, round((task.actual_end - task.actual_start).total_seconds() / 60))
                performance_record_create_self_rating(
                    user=task.user,
                    course=task.course,
                    topics=topics,
                    rating=self_rating,
                    time_spent_min=minutes,
                    completed_at=task.actual_end,
                )
        elif completion_percentage < 100:
            # The unfinished part is still needed: place it again.
            plan_replan_enqueue(user_id=task.user_id, reason="partial_completion")
    return task


def study_task_skip(*, task: StudyTask, reason: str = "") -> StudyTask:
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in SKIPPABLE:
            raise _status_error(task, "skipped")
        task.status = TaskStatus.SKIPPED
        task.skip_reason = reason.strip()[:2000]
        task.save(update_fields=["status", "skip_reason", "updated_at"])
        plan_replan_enqueue(user_id=task.user_id, reason="skipped")
    return task


def _fmt_local(moment: datetime, user) -> str:
    """A moment in a refusal, on the student's own clock (12- or 24-hour)."""
    local = moment.astimezone(user_zone(user))
    return f"{rules.short_date(local.date())} {timeformat.clock(local, user)}"


def _outside_availability(*, user, start: datetime, end: datetime, tz) -> bool:
    """Whether [start, end) leaves the student's weekly study windows (local wall times)."""
    windows = preferences_get_current(user=user).weekly_availability or {}
    spans: list[tuple[datetime, datetime]] = []
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        for item in windows.get(WEEKDAYS[day.weekday()], []) or []:
            try:
                opens, closes = parse_hhmm(item["start"]), parse_hhmm(item["end"])
            except (KeyError, TypeError, ValueError):
                continue
            spans.append(
                (datetime.combine(day, opens, tzinfo=tz), datetime.combine(day, closes, tzinfo=tz))
            )
        day += timedelta(days=1)
    covered_until = start
    for opens, closes in sorted(spans):
        if opens <= covered_until < closes:
            covered_until = closes
    return covered_until < end


def study_task_reschedule(
    *,
    task: StudyTask,
    new_start: datetime,
    reason: str = "",
    force: bool = False,
    now: datetime | None = None,
) -> StudyTask:
    """Move a block by hand; it is pinned there. A clash with another block, or an end after
    the assessment's deadline, is refused with what it clashes with; so is busy time or time
    outside the student's availability, unless they force it (Module 3: the student's
    explicit choice wins over their own settings). The student's `reason` is the history's
    change reason."""
    now = now or timezone.now()
    if timezone.is_naive(new_start):
        new_start = timezone.make_aware(new_start, user_zone(task.user))
    tz = user_zone(task.user)

    def when(moment: datetime) -> str:
        return _fmt_local(moment, task.user)

    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in MOVABLE:
            raise _status_error(task, "moved")
        if new_start < now:
            raise ApplicationError(
                "A block cannot be moved into the past.",
                field_errors={"new_start_time": ["Must be in the future."]},
            )
        new_end = new_start + timedelta(minutes=task.estimated_duration_min)
        # Not even "move it anyway" puts study for an assessment after it: unlike availability
        # and busy time, the deadline is not the student's own setting they may overrule.
        due = task.assessment.due_date if task.assessment_id else None
        if due is not None and new_end > due:
            message = (
                f"This block must end by its deadline, {task.assessment.name} on "
                f"{when(due)}; {when(new_start)}–{when(new_end)} "
                "is too late."
            )
            raise ApplicationError(message, field_errors={"new_start_time": [message]})
        clash = (
            StudyTask.objects.for_user(task.user)
            .filter(status__in=[TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED])
            .scheduled_between(new_start, new_end)
            .exclude(pk=task.pk)
            .order_by("scheduled_start")
            .first()
        )
        if clash is not None:
            message = (
                f"Conflicts with “{clash.title}” "
                f"({when(clash.scheduled_start)}–{when(clash.scheduled_end)})."
            )
            raise ApplicationError(message, field_errors={"new_start_time": [message]})
        for busy in [] if force else busy_intervals_for(task.user_id):
            if busy.start < new_end and new_start < busy.end:
                message = (
                    "Conflicts with busy time in your calendar "
                    f"({when(busy.start)}–{when(busy.end)}). Move it "
                    "anyway to place it there."
                )
                raise ApplicationError(message, field_errors={"new_start_time": [message]})
        if not force and _outside_availability(user=task.user, start=new_start, end=new_end, tz=tz):
            message = (
                f"{when(new_start)}–{when(new_end)} is outside your study "
                "availability. Move it anyway to place it there."
            )
            raise ApplicationError(message, field_errors={"new_start_time": [message]})
        task.scheduled_start, task.scheduled_end = new_start, new_end
        task.status = TaskStatus.SCHEDULED
        task.is_pinned = True
        task.unscheduled_reason = ""
        if reason:
            task._change_reason = reason  # read by django-simple-history on save
        task.save()
        _send_plan_changed(user_id=task.user_id, diff=PlanDiff(moved=[str(task.pk)]))
        # Other blocks may now be over the daily cap or redundant: let the planner adapt.
        plan_replan_enqueue(user_id=task.user_id, reason="moved_by_hand")
    return task


def study_task_pin_external(*, task: StudyTask, start: datetime, end: datetime) -> StudyTask:
    """The student moved the block in their own calendar: their time wins, with no clash
    check, and the plan is rebuilt around the pinned block."""
    with transaction.atomic():
        task = _locked_task(task)
        task.scheduled_start, task.scheduled_end = start, end
        task.is_pinned = True
        if task.status in (TaskStatus.PENDING, TaskStatus.MISSED):
            task.status = TaskStatus.SCHEDULED
        task.save()
        plan_replan_enqueue(user_id=task.user_id, reason="moved_in_calendar")
    return task
