"""A connected Canvas is kept in sync by the beat sweep; the integrations page shows and
disconnects it; another student can never see or touch it."""

import warnings
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.urls import reverse
from django.utils.deprecation import RemovedInDjango60Warning

from courses.models import Assessment
from courses.signals import assessment_changed
from courses.tests.factories import AssessmentTopicFactory, TopicFactory
from integrations import tasks
from integrations.lms.services import LMS_SYNC_INTERVAL
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas
from mastery.models import MasteryRecord, PerformanceRecord

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
TOKEN = "7~canvas-student-token"


@pytest.fixture(autouse=True)
def tasks_run_in_process(monkeypatch):
    """The sweep's sync, the recompute and the replan run here, with or without a broker
    (CI sets REDIS_URL, which would otherwise send them to a worker this test does not run)."""
    from planner.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


@pytest.fixture
def canvas(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    server = FakeCanvas().start()
    server.add_token(TOKEN)
    course_id = server.add_course(code="CHEM 110", name="Chemistry", apply_group_weights=True)
    group = server.add_group(course_id, name="Problem sets", weight=100.0)
    server.ids = {
        "course": course_id,
        "group": group,
        "ps1": server.add_assignment(
            course_id, group, name="Problem set 1", due_at="2026-10-20T23:59:00Z", points=20
        ),
    }
    yield server
    server.stop()


@pytest.fixture
def connected(api_client, user, canvas):
    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            "/api/import/lms",
            {
                "lms_type": "canvas",
                "credentials": {"base_url": canvas.base_url, "access_token": TOKEN},
            },
            format="json",
        )
    assert response.status_code == 200, response.json()
    return LmsConnection.objects.get(user=user)


def test_sweep_brings_in_new_assignments_moved_dates_and_grades(
    user, canvas, connected, django_capture_on_commit_callbacks
):
    ps1 = Assessment.objects.get(course__user=user, name="Problem set 1")
    topic = TopicFactory(course=ps1.course)
    AssessmentTopicFactory(assessment=ps1, topic=topic)
    canvas.set_assignment(canvas.ids["course"], canvas.ids["ps1"], due_at="2026-10-21T23:59:00Z")
    canvas.grade(
        canvas.ids["course"], canvas.ids["ps1"], score=15, graded_at="2026-10-21T10:00:00Z"
    )
    canvas.add_assignment(
        canvas.ids["course"],
        canvas.ids["group"],
        name="Problem set 2",
        due_at="2026-11-01T23:59:00Z",
        points=20,
    )
    changed: list = []

    def receiver(sender, user_id, assessment_ids, **kwargs):
        changed.extend(assessment_ids)

    assessment_changed.connect(receiver)
    try:
        with (
            time_machine.travel(NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert tasks.lms_sync_sweep() == 1
    finally:
        assessment_changed.disconnect(receiver)

    ps1.refresh_from_db()
    assert ps1.due_date == datetime(2026, 10, 21, 23, 59, tzinfo=UTC)
    assert ps1.weight_percent == 50.0
    ps2 = Assessment.objects.get(course__user=user, name="Problem set 2")
    assert set(changed) == {str(ps1.pk), str(ps2.pk)}  # the replan is triggered
    record = PerformanceRecord.objects.get(user=user)
    assert (record.assessment_id, record.score) == (ps1.pk, 15.0)
    # The grade reached mastery through the recompute of the assessment's topic.
    assert MasteryRecord.objects.filter(user=user, topic=topic).exists()
    connected.refresh_from_db()
    assert connected.last_sync_at == NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1)
    assert connected.last_error == ""


def test_sweep_skips_connections_not_yet_due(user, canvas, connected):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.lms_sync_sweep() == 0
    assert canvas.total_requests() > 0
    canvas.reset_counts()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        tasks.lms_sync_sweep()
    assert canvas.total_requests() == 0


def test_a_revoked_token_is_shown_on_the_page(logged_in_client, user, canvas, connected):
    canvas.tokens.clear()

    with time_machine.travel(NOW + LMS_SYNC_INTERVAL, tick=False):
        assert tasks.lms_sync(str(connected.pk)) is False

    connected.refresh_from_db()
    assert "refused the access token" in connected.last_error
    page = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert "Canvas" in page and canvas.base_url in page
    assert "refused the access token" in page
    # What was imported stays.
    assert Assessment.objects.filter(course__user=user).count() == 1


def test_a_transient_failure_is_retried_then_noted(user, canvas, connected, monkeypatch):
    canvas.inject_fault(method="GET", path_contains="/api/v1/", status=503, times=100)

    with time_machine.travel(NOW + LMS_SYNC_INTERVAL, tick=False):
        with pytest.raises(Retry):
            tasks.lms_sync.apply(args=[str(connected.pk)], throw=True)
        monkeypatch.setattr(tasks.lms_sync, "max_retries", 0)
        # Out of retries: the task gives up quietly; the next sweep tries again.
        assert tasks.lms_sync.apply(args=[str(connected.pk)], throw=True).result is False

    connected.refresh_from_db()
    assert "HTTP 503" in connected.last_error
    assert connected.next_sync_at == NOW + 2 * LMS_SYNC_INTERVAL


def test_page_shows_the_connection_and_disconnects_it(logged_in_client, user, canvas, connected):
    page = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert "Last sync:" in page and canvas.base_url in page
    assert TOKEN not in page

    response = logged_in_client.post(reverse("integrations:lms_disconnect", args=[connected.pk]))

    assert response.status_code == 302
    assert not LmsConnection.objects.filter(user=user).exists()
    assert Assessment.objects.filter(course__user=user).count() == 1  # imported data stays


def test_another_student_cannot_see_or_touch_the_connection(
    client, other_user, user, canvas, connected
):
    client.force_login(other_user)

    page = client.get(reverse("integrations:index")).content.decode()
    response = client.post(reverse("integrations:lms_disconnect", args=[connected.pk]))

    assert canvas.base_url not in page
    assert response.status_code == 404
    assert LmsConnection.objects.filter(pk=connected.pk).exists()


def test_another_students_import_of_the_same_canvas_is_separate(
    other_api_client, other_user, user, canvas, connected
):
    canvas.add_token("7~other-token", user_id=777)

    response = other_api_client.post(
        "/api/import/lms",
        {
            "lms_type": "canvas",
            "credentials": {"base_url": canvas.base_url, "access_token": "7~other-token"},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["courses"] == {"created": 1, "matched": 0}
    assert LmsConnection.objects.get(user=user).access_token == TOKEN
    assert Assessment.objects.filter(course__user=user).count() == 1
    assert Assessment.objects.filter(course__user=other_user).count() == 1


def test_the_admin_form_takes_a_bare_lms_address_as_https_without_a_warning(admin_client):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        response = admin_client.get(reverse("admin:integrations_lmsconnection_add"))
    assert response.status_code == 200
    base_url = response.context["adminform"].form.fields["base_url"]
    assert base_url.clean("canvas.example.edu") == "https://canvas.example.edu"


def test_admin_lists_connections_with_history(admin_client, connected):
    listing = admin_client.get(reverse("admin:integrations_lmsconnection_changelist"))
    history = admin_client.get(
        reverse("admin:integrations_lmsconnection_history", args=[connected.pk])
    )

    assert listing.status_code == 200 and history.status_code == 200
    assert TOKEN not in listing.content.decode()
