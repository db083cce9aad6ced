"""What integrations ask of the scheduling layer when the student acted in a provider: moved a
block (pin it), deleted it (skip the task), or changed its status in Notion. Every write goes
through scheduling's own services, so evidence and replans follow its rules."""

from __future__ import annotations

from datetime import datetime

from scheduling import services as scheduling_services
from scheduling.models import StudyTask, TaskStatus

# Statuses a provider may still move a task out of; finished work is never reopened.
OPEN_STATUSES = (
    TaskStatus.PENDING,
    TaskStatus.SCHEDULED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.MISSED,
)


def study_task_pin(*, task: StudyTask, start: datetime, end: datetime) -> StudyTask:
    """The student's time wins: the block stays there and the planner works around it."""
    return scheduling_services.study_task_pin_external(task=task, start=start, end=end)


def study_task_skip(*, task: StudyTask) -> StudyTask:
    if task.status not in OPEN_STATUSES:
        return task
    return scheduling_services.study_task_skip(task=task, reason="Removed in a connected app.")


def study_task_set_status(*, task: StudyTask, status: str) -> StudyTask:
    if task.status not in OPEN_STATUSES or task.status == status:
        return task
    if status == TaskStatus.COMPLETED:
        return scheduling_services.study_task_complete(task=task)
    if status == TaskStatus.IN_PROGRESS:
        return scheduling_services.study_task_start(task=task)
    # "Not started" in Notion leaves the planner's own state alone: the plan owns the dates.
    return task


def plan_replan_request(*, user_id) -> None:
    """Ask scheduling for a replan once the current transaction has committed."""
    scheduling_services.plan_replan_enqueue(user_id=user_id, reason="provider_change")
