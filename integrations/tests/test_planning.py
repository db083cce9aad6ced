"""Edits made in Google or Notion reach the plan through scheduling's own services."""

from datetime import timedelta

import pytest

from integrations import planning
from integrations.tests.factories import StudyTaskFactory
from scheduling.models import PlanSnapshot, TaskStatus

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def test_replan_request_replans_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        planning.plan_replan_request(user_id=user.pk)
        assert not PlanSnapshot.objects.filter(user=user).exists()  # nothing before commit
    assert PlanSnapshot.objects.filter(user=user).exists()


def test_completion_in_notion_completes_the_task(user):
    task = StudyTaskFactory(user=user, status=TaskStatus.SCHEDULED)
    planning.study_task_set_status(task=task, status=TaskStatus.COMPLETED)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.actual_end is not None and task.completion_percentage == 100


def test_in_progress_in_notion_starts_the_task(user):
    task = StudyTaskFactory(user=user, status=TaskStatus.SCHEDULED)
    planning.study_task_set_status(task=task, status=TaskStatus.IN_PROGRESS)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.actual_start is not None


def test_finished_work_is_never_reopened(user):
    task = StudyTaskFactory(user=user, status=TaskStatus.COMPLETED)
    planning.study_task_set_status(task=task, status=TaskStatus.IN_PROGRESS)
    planning.study_task_skip(task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_removed_in_a_provider_skips_with_a_reason(user):
    task = StudyTaskFactory(user=user, status=TaskStatus.SCHEDULED)
    planning.study_task_skip(task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    assert "connected app" in task.skip_reason


def test_moved_in_calendar_pins_without_a_clash_check(user, django_capture_on_commit_callbacks):
    other = StudyTaskFactory(user=user, status=TaskStatus.SCHEDULED)
    task = StudyTaskFactory(user=user, status=TaskStatus.SCHEDULED)
    # The student's own calendar wins even over another block at the same time.
    start, end = other.scheduled_start, other.scheduled_start + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pinned = planning.study_task_pin(task=task, start=start, end=end)
    assert pinned.is_pinned and (pinned.scheduled_start, pinned.scheduled_end) == (start, end)
    assert len(callbacks) == 1  # the replan around the pinned block
