"""Assessments deleted or unpublished in the LMS are flagged on the next sync, never kept as
live deadlines and never deleted with the student's evidence; listed again, they come back.
Driven through the real clients against the fake Canvas and Moodle on 127.0.0.1."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Assessment
from courses.signals import assessment_changed
from courses.tests.factories import AssessmentTopicFactory, TopicFactory
from integrations import tasks
from integrations.lms.services import LMS_SYNC_INTERVAL
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas
from integrations.testing.fake_moodle import MOODLE_TOKEN
from mastery.models import PerformanceRecord
from scheduling.models import ReplanRequest, StudyTask
from scheduling.services import plan_regenerate

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
LATER = NOW + LMS_SYNC_INTERVAL + timedelta(minutes=1)
MUCH_LATER = LATER + LMS_SYNC_INTERVAL + timedelta(minutes=1)
CANVAS_TOKEN = "7~canvas-student-token"


@pytest.fixture(autouse=True)
def tasks_run_in_process(monkeypatch):
    from planner.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


@pytest.fixture
def canvas(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    server = FakeCanvas().start()
    server.add_token(CANVAS_TOKEN)
    course_id = server.add_course(code="BIO 101", name="Biology I", apply_group_weights=True)
    labs = server.add_group(course_id, name="Labs", weight=40.0)
    exams = server.add_group(course_id, name="Exams", weight=60.0)
    server.ids = {
        "course": course_id,
        "lab1": server.add_assignment(
            course_id,
            labs,
            name="Lab 1",
            due_at="2026-10-01T23:59:00Z",
            points=10,
            score=8,
            graded_at="2026-10-03T15:00:00Z",
        ),
        "lab2": server.add_assignment(
            course_id, labs, name="Lab 2", due_at="2026-10-28T23:59:00Z", points=30
        ),
        "midterm": server.add_assignment(
            course_id, exams, name="Midterm Exam", due_at="2026-11-02T16:00:00Z", points=100
        ),
    }
    yield server
    server.stop()


def _import(api_client, body):
    with time_machine.travel(NOW, tick=False):
        response = api_client.post("/api/import/lms", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def canvas_connected(api_client, canvas):
    return _import(
        api_client,
        {
            "lms_type": "canvas",
            "credentials": {"base_url": canvas.base_url, "access_token": CANVAS_TOKEN},
        },
    )


def _sync(at):
    with time_machine.travel(at, tick=False):
        assert tasks.lms_sync_sweep() == 1


def _named(user, name) -> Assessment:
    return Assessment.objects.get(course__user=user, name=name)


def _planned_then_unpublished_in_canvas(user, canvas) -> Assessment:
    """Lab 2, given a topic and planned for at NOW, then unpublished in Canvas."""
    lab2 = _named(user, "Lab 2")
    AssessmentTopicFactory(assessment=lab2, topic=TopicFactory(course=lab2.course))
    with time_machine.travel(NOW, tick=False):
        plan_regenerate(user=user)
    assert StudyTask.objects.for_user(user).open().filter(assessment=lab2).exists()
    canvas.set_assignment(canvas.ids["course"], canvas.ids["lab2"], published=False)
    return lab2


def test_a_deleted_graded_assignment_is_flagged_kept_with_its_grade_and_restored(
    user, canvas, canvas_connected, logged_in_client
):
    lab1 = _named(user, "Lab 1")
    assert PerformanceRecord.objects.filter(assessment=lab1).count() == 1
    canvas.delete_assignment(canvas.ids["course"], canvas.ids["lab1"])

    _sync(LATER)

    lab1.refresh_from_db()
    assert lab1.removed_in_source_at == LATER
    assert lab1.weight_percent == 0
    # The evidence stays, and the weights of what Canvas still lists sum to 100.
    assert PerformanceRecord.objects.filter(assessment=lab1).count() == 1
    weights = {a.name: a.weight_percent for a in Assessment.objects.filter(course__user=user)}
    assert weights == {"Lab 1": 0, "Lab 2": 40.0, "Midterm Exam": 60.0}
    course_page = logged_in_client.get(reverse("courses:detail", args=[lab1.course_id]))
    assert "Removed from Canvas on Oct 15" in course_page.content.decode()
    page = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert "1 assessment no longer in Canvas" in page and "Lab 1" in page

    # A second sync neither flags it again nor moves its date.
    _sync(MUCH_LATER)
    lab1.refresh_from_db()
    assert lab1.removed_in_source_at == LATER
    assert Assessment.objects.filter(course__user=user).count() == 3


def test_an_unpublished_assignment_leaves_the_plan_and_comes_back_when_republished(
    user, canvas, canvas_connected, logged_in_client
):
    lab2 = _planned_then_unpublished_in_canvas(user, canvas)

    _sync(LATER)
    with time_machine.travel(LATER, tick=False):
        plan_regenerate(user=user)

    lab2.refresh_from_db()
    assert lab2.removed_in_source_at == LATER
    assert not Assessment.objects.for_user(user).upcoming(LATER).filter(pk=lab2.pk).exists()
    assert not StudyTask.objects.for_user(user).open().filter(assessment=lab2).exists()

    canvas.set_assignment(canvas.ids["course"], canvas.ids["lab2"], published=True)
    with time_machine.travel(MUCH_LATER, tick=False):
        assert tasks.lms_sync_sweep() == 1
        plan_regenerate(user=user)

    lab2.refresh_from_db()
    assert lab2.removed_in_source_at is None
    assert lab2.weight_percent == 30.0
    assert Assessment.objects.filter(course__user=user, external_uid=lab2.external_uid).count() == 1
    assert StudyTask.objects.for_user(user).open().filter(assessment=lab2).exists()
    page = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert "no longer in Canvas" not in page


def test_a_sync_that_only_removes_an_assignment_replans_by_itself(
    user, canvas, canvas_connected, django_capture_on_commit_callbacks
):
    # Nothing replans by hand here: the sync's one assessment_changed event must reach the plan.
    lab2 = _planned_then_unpublished_in_canvas(user, canvas)
    events = []

    def receiver(sender, user_id, assessment_ids, **kwargs):
        events.append((user_id, assessment_ids))

    assessment_changed.connect(receiver)
    try:
        # The sync's after-commit work runs at the sync's instant, as a worker would.
        with (
            time_machine.travel(LATER, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert tasks.lms_sync_sweep() == 1
    finally:
        assessment_changed.disconnect(receiver)

    # One event for the course, naming the removed assignment among the changed ones (Lab 1
    # now carries the whole Labs weight).
    assert len(events) == 1
    assert events[0][0] == str(user.pk) and str(lab2.pk) in events[0][1]
    assert not StudyTask.objects.for_user(user).open().filter(assessment=lab2).exists()
    assert not ReplanRequest.objects.for_user(user).exists()


def test_an_assignment_losing_its_due_date_is_not_flagged(user, canvas, canvas_connected):
    canvas.set_assignment(canvas.ids["course"], canvas.ids["midterm"], due_at=None)
    _sync(LATER)
    assert _named(user, "Midterm Exam").removed_in_source_at is None


def test_hand_made_assessments_and_other_courses_are_never_flagged(
    user, canvas, canvas_connected, api_client
):
    bio = _named(user, "Lab 1").course
    response = api_client.post(
        f"/api/courses/{bio.pk}/assessments",
        {
            "name": "Study group quiz",
            "type": "quiz",
            "weight_percent": 0,
            "due_date": "2026-11-10T10:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    _sync(LATER)
    assert not Assessment.objects.filter(course__user=user).removed_in_source().exists()


def test_another_student_never_sees_my_removed_assessments(
    user, other_user, canvas, canvas_connected, client
):
    canvas.delete_assignment(canvas.ids["course"], canvas.ids["lab1"])
    _sync(LATER)
    client.force_login(other_user)
    page = client.get(reverse("integrations:index")).content.decode()
    assert "Lab 1" not in page and "no longer in" not in page


def test_the_integrations_page_costs_the_same_for_many_connections_and_removals(
    user, canvas, canvas_connected, logged_in_client, settings
):
    canvas.delete_assignment(canvas.ids["course"], canvas.ids["lab1"])
    _sync(LATER)
    logged_in_client.get(reverse("integrations:index"))
    with CaptureQueriesContext(connection) as one:
        logged_in_client.get(reverse("integrations:index"))
    # Counted now: the next request empties the connection's query log.
    one_connection = len(one.captured_queries)
    for index in range(5):
        LmsConnection.objects.create(
            user=user,
            lms_type="moodle",
            base_url=f"https://moodle{index}.example.edu",
            # Not due in this test: only the Canvas connection is synced.
            next_sync_at=MUCH_LATER + timedelta(days=1),
        )
    canvas.delete_assignment(canvas.ids["course"], canvas.ids["lab2"])
    _sync(MUCH_LATER)
    # Warm, as the measured visit before it: the page shell's state is cached per student.
    logged_in_client.get(reverse("integrations:index"))
    with CaptureQueriesContext(connection) as many:
        page = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert "2 assessments no longer in Canvas" in page
    assert len(many.captured_queries) == one_connection


# --- Moodle ----------------------------------------------------------------------------------


def _moodle_body(moodle):
    credentials = {"base_url": moodle.base_url, "token": MOODLE_TOKEN}
    return {"lms_type": "moodle", "credentials": credentials}


def test_moodle_deleted_and_hidden_activities_are_flagged_and_restored(user, api_client, moodle):
    _import(api_client, _moodle_body(moodle))
    report = _named(user, "Lab report")
    moodle.delete_module(moodle.ids["course"], "assign", moodle.ids["report"])
    moodle.set_quiz(moodle.ids["course"], moodle.ids["quiz"], visible=False)

    with time_machine.travel(LATER, tick=False):
        response = api_client.post("/api/import/lms", _moodle_body(moodle), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assessments"]["removed"] == 2

    report.refresh_from_db()
    quiz = _named(user, "Quiz 1")
    assert report.removed_in_source_at == LATER and quiz.removed_in_source_at == LATER
    assert PerformanceRecord.objects.filter(assessment=report).count() == 1
    assert not Assessment.objects.for_user(user).upcoming(LATER).exists()

    moodle.set_quiz(moodle.ids["course"], moodle.ids["quiz"], visible=True)
    with time_machine.travel(MUCH_LATER, tick=False):
        response = api_client.post("/api/import/lms", _moodle_body(moodle), format="json")
    assert response.json()["assessments"]["restored"] == 1
    quiz.refresh_from_db()
    report.refresh_from_db()
    assert quiz.removed_in_source_at is None and report.removed_in_source_at == LATER
