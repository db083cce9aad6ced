"""A plan change inside the next 24 hours is a notice on the dashboard."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from scheduling.models import PlanNotice, StudyTask, TaskStatus
from scheduling.tests.conftest import NOW, make_setup

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def planned(user):
    with time_machine.travel(NOW, tick=False):
        setup = make_setup(user)
        services.plan_regenerate(user=user)
        yield setup


def soonest(user) -> StudyTask:
    return (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED)
        .order_by("scheduled_start")
        .first()
    )


def test_a_first_plan_is_no_notice(planned):
    assert not PlanNotice.objects.exists()


def test_busy_time_over_a_block_today_gives_a_notice_on_the_dashboard(
    logged_in_client, user, planned
):
    block = soonest(user)
    assert block.scheduled_start < NOW + timedelta(hours=24)
    services.busy_intervals_replace(
        user=user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
    )
    services.plan_regenerate(user=user, reason="calendar_change")
    notice = PlanNotice.objects.for_user(user).get()
    assert notice.reason == "calendar_change"
    assert notice.moved_count + notice.removed_count >= 1
    assert notice.first_change_at == block.scheduled_start
    body = logged_in_client.get("/").content.decode()
    assert "Your plan for the next 24 hours changed" in body and "calendar_change" in body

    logged_in_client.post(f"/dashboard/notices/{notice.pk}/dismiss")
    notice.refresh_from_db()
    assert notice.dismissed_at == NOW
    assert (
        "Your plan for the next 24 hours changed" not in logged_in_client.get("/").content.decode()
    )


def test_a_change_beyond_24_hours_gives_no_notice(user, planned):
    later = (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED, scheduled_start__gte=NOW + timedelta(days=3))
        .order_by("-scheduled_start")
        .first()
    )
    services.busy_intervals_replace(
        user=user, source="google", intervals=[(later.scheduled_start, later.scheduled_end)]
    )
    outcome = services.plan_regenerate(user=user)
    assert not outcome.diff.is_empty
    moved_soon = (
        StudyTask.objects.for_user(user)
        .filter(pk__in=outcome.diff.moved + outcome.diff.created)
        .filter(scheduled_start__lt=NOW + timedelta(hours=24))
    )
    assert not moved_soon.exists()
    assert not PlanNotice.objects.exists()


def test_further_changes_update_the_open_notice(user, planned):
    for _ in range(2):
        block = soonest(user)
        services.busy_intervals_replace(
            user=user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
        )
        services.plan_regenerate(user=user, reason="calendar_change")
    assert PlanNotice.objects.for_user(user).undismissed().count() == 1


def test_another_students_notice_is_a_404(client, other_user, user, planned):
    block = soonest(user)
    services.busy_intervals_replace(
        user=user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
    )
    services.plan_regenerate(user=user)
    notice = PlanNotice.objects.for_user(user).get()
    client.force_login(other_user)
    assert client.post(f"/dashboard/notices/{notice.pk}/dismiss").status_code == 404
    notice.refresh_from_db()
    assert notice.dismissed_at is None
    assert "Your plan for the next 24 hours" not in client.get("/").content.decode()


def test_the_dashboard_reads_notices_in_one_query(logged_in_client, user, planned):
    PlanNotice.objects.create(user=user, reason="a", moved_count=1)
    logged_in_client.get("/")  # the first view also counts the student's study days
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        logged_in_client.get("/")
    PlanNotice.objects.filter(user=user).update(dismissed_at=NOW)
    for reason in ("b", "c", "d"):
        PlanNotice.objects.create(user=user, reason=reason, moved_count=1)
    cache.clear()
    with CaptureQueriesContext(connection) as three:
        body = logged_in_client.get("/").content.decode()
    assert body.count("Your plan for the next 24 hours changed") == 3
    assert len(three) == len(one)
