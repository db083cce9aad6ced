"""The calls integrations makes into the scheduling layer when the student acted in a provider:
moved a block (pin it), deleted it (skip the task), or completed the task in Notion.

The scheduling layer owns replanning and task completion; when it provides
`scheduling.services.plan_regenerate(user=...)` and `study_task_complete(task=...)` they are
used, so evidence and replans follow its rules. Until then the task row is updated here and the
replan waits for scheduling's own periodic sweep.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from scheduling.models import StudyTask, TaskStatus

logger = logging.getLogger(__name__)


def _scheduling_service(name: str):
    try:
        module = importlib.import_module("scheduling.services")
    except ModuleNotFoundError:
        return None
    return getattr(module, name, None)


def study_task_pin(*, task: StudyTask, start: datetime, end: datetime) -> StudyTask:
    """The student's time wins: the block stays there and the planner works around it."""
    task.scheduled_start, task.scheduled_end, task.is_pinned = start, end, True
    task.save(update_fields=["scheduled_start", "scheduled_end", "is_pinned", "updated_at"])
    return task


def study_task_skip(*, task: StudyTask) -> StudyTask:
    task.status = TaskStatus.SKIPPED
    task.save(update_fields=["status", "updated_at"])
    return task


def study_task_set_status(*, task: StudyTask, status: str) -> StudyTask:
    if status == TaskStatus.COMPLETED:
        complete = _scheduling_service("study_task_complete")
        if complete is not None:
            return complete(task=task)
        task.completion_percentage = 100.0
        task.actual_end = task.actual_end or timezone.now()
    task.status = status
    task.save()
    return task


def plan_replan_request(*, user_id) -> None:
    """Ask scheduling for a replan once the current transaction has committed."""

    def replan() -> None:
        regenerate = _scheduling_service("plan_regenerate")
        if regenerate is None:
            logger.info("replan for %s left to the scheduling sweep", user_id)
            return
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is not None:
            regenerate(user=user)

    transaction.on_commit(replan)
