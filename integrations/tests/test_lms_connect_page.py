"""Connecting an LMS from the integrations page, no API: choose Canvas, Moodle or a calendar
feed, preview what will be imported (nothing written), confirm. Driven through the pages and
the real clients against the fake Canvas and Moodle (and a feed server) on 127.0.0.1."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from courses.models import Assessment, Course
from courses.tests.test_imports import (  # noqa: F401 - fixtures shared with the feed tests
    FeedHandler,
    feed_server,
    lms_courses,
)
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas
from integrations.testing.fake_moodle import FakeMoodle
from mastery.models import PerformanceRecord
from planner.testing.services import free_port

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
CANVAS_TOKEN = "7~canvas-student-token"
MOODLE_TOKEN = "0123456789abcdef0123456789abcdef"
CONNECT = reverse("integrations:lms_connect")
CONFIRM = reverse("integrations:lms_connect_confirm")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


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
    server.add_assignment(
        course_id,
        labs,
        name="Lab 1",
        due_at="2026-10-01T23:59:00Z",
        points=10,
        score=8,
        graded_at="2026-10-03T15:00:00Z",
    )
    server.add_assignment(course_id, labs, name="Lab 2", due_at="2026-10-20T23:59:00Z", points=30)
    server.add_assignment(
        course_id, exams, name="Midterm Exam", due_at="2026-11-02T16:00:00Z", points=100
    )
    server.add_assignment(course_id, labs, name="Participation", due_at=None, points=5)
    yield server
    server.stop()


def lms(fields: dict) -> dict:
    """The connect form's fields as the page posts them (the form has the "lms" prefix)."""
    return {f"lms-{name}": value for name, value in fields.items()}


def _nothing_written(user):
    assert not Course.objects.filter(user=user).exists()
    assert not Assessment.objects.filter(course__user=user).exists()
    assert not PerformanceRecord.objects.filter(user=user).exists()
    assert not LmsConnection.objects.filter(user=user).exists()


def test_the_page_offers_the_connect_form(logged_in_client):
    html = logged_in_client.get(reverse("integrations:index")).content.decode()
    assert 'action="/integrations/lms/connect"' in html
    for label in ("Canvas", "Moodle", "A calendar feed (.ics)"):
        assert label in html
    assert 'for="id_lms-base_url"' in html and 'for="id_lms-token"' in html


def test_canvas_preview_shows_courses_weights_and_grades_then_confirm_imports(
    logged_in_client, user, canvas
):
    response = logged_in_client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "What will be imported from Canvas" in html
    assert "BIO 101 · Biology I" in html and "A new course." in html
    assert "Lab 1: due" in html and "weight 10%" in html and "graded 8 / 10" in html
    assert "Midterm Exam: due" in html and "weight 60%" in html
    assert "Not imported (no due date): Participation." in html
    assert "1 course, 3 assessments, 1 grade." in html
    assert CANVAS_TOKEN not in html
    _nothing_written(user)

    done = logged_in_client.post(CONFIRM, follow=True)

    assert "Canvas connected: 1 course(s), 3 new" in done.content.decode()
    weights = {a.name: a.weight_percent for a in Assessment.objects.filter(course__user=user)}
    assert weights == {"Lab 1": 10.0, "Lab 2": 30.0, "Midterm Exam": 60.0}
    record = PerformanceRecord.objects.get(user=user)
    assert (record.assessment.name, record.score) == ("Lab 1", 8.0)
    connection = LmsConnection.objects.get(user=user)
    assert connection.access_token == CANVAS_TOKEN and connection.base_url == canvas.base_url
    # The preview is used once.
    again = logged_in_client.post(CONFIRM, follow=True)
    assert "the preview has expired" in again.content.decode()


def test_an_existing_course_is_said_to_be_updated(logged_in_client, user, canvas):
    from courses.tests.factories import CourseFactory

    CourseFactory(user=user, code="bio  101", name="My biology")
    response = logged_in_client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )
    assert "Updates your course BIO 101." in response.content.decode()


def test_moodle_preview_and_confirm(logged_in_client, user, settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    moodle = FakeMoodle().start()
    try:
        moodle.add_token(MOODLE_TOKEN)
        course_id = moodle.add_course(
            shortname="PHYS 201",
            fullname="Physics II",
            startdate=int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()),
            enddate=int(datetime(2026, 12, 20, tzinfo=UTC).timestamp()),
        )
        moodle.add_quiz(
            course_id,
            name="Quiz 1",
            timeclose=int(datetime(2026, 10, 30, 22, 0, tzinfo=UTC).timestamp()),
            grade=10,
            weight=1.0,
        )
        form = {"lms_type": "moodle", "base_url": moodle.base_url, "token": MOODLE_TOKEN}
        preview = logged_in_client.post(CONNECT, lms(form)).content.decode()
        assert "PHYS 201 · Physics II" in preview and "Quiz 1: due" in preview
        _nothing_written(user)
        logged_in_client.post(CONFIRM)
    finally:
        moodle.stop()
    assert LmsConnection.objects.get(user=user).lms_type == "moodle"
    assert Assessment.objects.get(course__user=user).name == "Quiz 1"


def test_a_calendar_feed_is_previewed_then_imported(
    logged_in_client,
    user,
    lms_courses,  # noqa: F811
    feed_server,  # noqa: F811
):
    url = f"{feed_server}/canvas.ics"
    response = logged_in_client.post(CONNECT, lms({"lms_type": "ics", "base_url": url}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "What will be imported from Calendar feed" in html and ": create" in html
    assert not Assessment.objects.filter(course__user=user).exists()

    done = logged_in_client.post(CONFIRM, follow=True)

    assert "Calendar imported:" in done.content.decode()
    assert Assessment.objects.filter(course__user=user).exists()
    assert not LmsConnection.objects.filter(user=user).exists()  # a feed has no token to keep


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"lms_type": "canvas", "token": "7~wrong"}, "token", "refused the access token"),
        ({"lms_type": "canvas", "token": ""}, "token", "Give the access token"),
        ({"lms_type": "gradebook", "token": "x"}, "lms_type", "Select a valid choice"),
        ({"lms_type": "canvas", "token": "x", "base_url": "not a url"}, "base_url", "valid URL"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(
    logged_in_client, user, canvas, form, field, message
):
    data = {"base_url": canvas.base_url, **form}
    response = logged_in_client.post(CONNECT, lms(data))
    assert response.status_code == 400
    errors = response.context["lms_connect_form"].errors
    assert message in " ".join(errors[field])
    _nothing_written(user)
    assert "integrations_lms_pending" not in logged_in_client.session


def test_an_unreachable_host_is_a_form_error(logged_in_client, user, settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    response = logged_in_client.post(
        CONNECT,
        lms({"lms_type": "canvas", "base_url": f"http://127.0.0.1:{free_port()}", "token": "t"}),
    )
    assert response.status_code == 400
    errors = response.context["lms_connect_form"].errors["base_url"]
    assert "could not be reached" in " ".join(errors)
    _nothing_written(user)


def test_a_private_host_is_refused_unless_the_setting_allows_it(
    logged_in_client, user, canvas, settings
):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = False
    response = logged_in_client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )
    assert response.status_code == 400
    assert response.context["lms_connect_form"].errors["base_url"]
    assert canvas.total_requests() == 0
    _nothing_written(user)


def test_another_student_cannot_confirm_my_preview(client, user, other_user, canvas):
    client.force_login(user)
    client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )
    client.force_login(other_user)  # a new session: nothing pending for them
    response = client.post(CONFIRM, follow=True)
    assert "the preview has expired" in response.content.decode()
    assert not LmsConnection.objects.exists()
    assert not Course.objects.exists()


def test_a_preview_kept_in_a_session_is_bound_to_its_student(
    logged_in_client, user, other_user, canvas
):
    from integrations.lms import connect

    logged_in_client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )
    session = logged_in_client.session
    pending = session[connect.PENDING_SESSION_KEY]
    assert CANVAS_TOKEN not in str(pending)  # encrypted in the session row
    with pytest.raises(Exception, match="preview has expired"):
        connect.lms_connect_confirm(user=other_user, session=dict(session))
    assert not LmsConnection.objects.exists()


def test_anonymous_cannot_connect(client, canvas):
    response = client.post(
        CONNECT, lms({"lms_type": "canvas", "base_url": canvas.base_url, "token": CANVAS_TOKEN})
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert canvas.total_requests() == 0
