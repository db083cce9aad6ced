"""The bridge into the scheduling layer for edits made in Google or Notion."""

import sys
import types

import pytest

from integrations import planning
from integrations.tests.factories import StudyTaskFactory
from scheduling.models import TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduling_services(monkeypatch):
    module = types.ModuleType("scheduling.services")
    module.calls = []
    module.plan_regenerate = lambda *, user: module.calls.append(("replan", user.pk))

    def complete(*, task):
        module.calls.append(("complete", task.pk))
        return task

    module.study_task_complete = complete
    monkeypatch.setitem(sys.modules, "scheduling.services", module)
    return module


def test_replan_runs_after_commit_through_scheduling(
    user, scheduling_services, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        planning.plan_replan_request(user_id=user.pk)
        assert scheduling_services.calls == []  # nothing before commit
    assert len(callbacks) == 1
    assert scheduling_services.calls == [("replan", user.pk)]


def test_completion_goes_through_scheduling_when_available(user, scheduling_services):
    task = StudyTaskFactory(user=user)
    planning.study_task_set_status(task=task, status=TaskStatus.COMPLETED)
    assert scheduling_services.calls == [("complete", task.pk)]


def test_without_scheduling_services_completion_is_written_directly(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(sys.modules, "scheduling.services", None)  # import fails
    task = StudyTaskFactory(user=user)
    planning.study_task_set_status(task=task, status=TaskStatus.COMPLETED)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.actual_end is not None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        planning.plan_replan_request(user_id=user.pk)
    assert len(callbacks) == 1  # ran without error, leaving the replan to scheduling's sweep
