"""FailedTask: a task's final failure is kept with its error, shown read-only, and counted."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import shared_task

from accounts.failed_tasks import FailedTask, failed_task_details

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@shared_task(name="accounts.tests.always_fails")
def always_fails(item_id):
    raise ValueError(f"cannot handle {item_id}\x00")


def test_a_failed_task_is_recorded_with_its_error(settings):
    with time_machine.travel(NOW, tick=False):
        result = always_fails.apply(args=["row-1"], throw=False)
    assert result.failed()
    failure = FailedTask.objects.get()
    assert failure.task_name == "accounts.tests.always_fails"
    assert failure.args == ["row-1"]
    assert failure.error_type == "ValueError"
    # Stored even though the message holds a NUL, which PostgreSQL text cannot.
    assert failure.error == "cannot handle row-1"


def test_readyz_counts_failures_of_the_last_day(client):
    with time_machine.travel(NOW, tick=False):
        FailedTask.objects.create(task_name="x", error_type="ValueError")
        FailedTask.objects.create(
            task_name="x", error_type="ValueError", failed_at=NOW - timedelta(days=2)
        )
        assert failed_task_details() == {"failed_tasks_last_day": 1}
        body = client.get("/readyz").json()
    assert body["failed_tasks_last_day"] == 1
    assert body["ready"] is True


def test_the_admin_shows_failures_read_only(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    failure = FailedTask.objects.create(task_name="x", error_type="ValueError", error="boom")
    page = client.get(f"/admin/accounts/failedtask/{failure.pk}/change/")
    assert page.status_code == 200
    assert b"boom" in page.content
    assert client.get("/admin/accounts/failedtask/add/").status_code == 403
    client.post(f"/admin/accounts/failedtask/{failure.pk}/change/", {"error": "edited"})
    failure.refresh_from_db()
    assert failure.error == "boom"
