"""Canvas import by API, driven through POST /api/import/lms and the real client against a
fake Canvas on 127.0.0.1 (pagination, 401, 5xx, rate limit, SSRF guard)."""

from datetime import UTC, datetime

import pytest
import time_machine

from courses.models import Assessment, Course
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas
from mastery.models import EvidenceSource, PerformanceRecord

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
TOKEN = "7~canvas-student-token"
URL = "/api/import/lms"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def canvas(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    server = FakeCanvas().start()
    server.add_token(TOKEN)
    yield server
    server.stop()


@pytest.fixture
def biology(canvas):
    """BIO 101 weights its groups: Labs 40% (10 + 30 points), Exams 60%; one lab graded."""
    course_id = canvas.add_course(code="BIO 101", name="Biology I", apply_group_weights=True)
    labs = canvas.add_group(course_id, name="Labs", weight=40.0)
    exams = canvas.add_group(course_id, name="Exams", weight=60.0)
    ids = {
        "course": course_id,
        "lab1": canvas.add_assignment(
            course_id,
            labs,
            name="Lab 1",
            due_at="2026-10-01T23:59:00Z",
            points=10,
            score=8,
            graded_at="2026-10-03T15:00:00Z",
        ),
        "lab2": canvas.add_assignment(
            course_id, labs, name="Lab 2", due_at="2026-10-20T23:59:00Z", points=30
        ),
        "midterm": canvas.add_assignment(
            course_id, exams, name="Midterm Exam", due_at="2026-11-02T16:00:00Z", points=100
        ),
    }
    return ids


@pytest.fixture
def history(canvas):
    """HIST 210 does not weight groups: by points; one item has no due date."""
    course_id = canvas.add_course(code="HIST 210", name="Modern History")
    group = canvas.add_group(course_id, name="Assignments", weight=0)
    canvas.add_assignment(course_id, group, name="Essay", due_at="2026-10-25T23:59:00Z", points=50)
    canvas.add_assignment(
        course_id,
        group,
        name="Reading check",
        due_at="2026-10-18T23:59:00Z",
        points=25,
        submission_types=("online_quiz",),
    )
    canvas.add_assignment(course_id, group, name="Participation", due_at=None, points=25)
    return course_id


def body(canvas, token=TOKEN):
    return {
        "lms_type": "canvas",
        "credentials": {"base_url": canvas.base_url, "access_token": token},
    }


def weights(user, code):
    return {
        a.name: round(a.weight_percent, 4)
        for a in Assessment.objects.filter(course__user=user, course__code=code)
    }


def test_import_reads_courses_weights_due_dates_and_grades(
    api_client, user, canvas, biology, history
):
    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["lms_type"] == "canvas"
    assert data["courses"] == {"created": 2, "matched": 0}
    assert data["assessments"]["created"] == 5
    assert data["assessments"]["skipped"] == 1  # Participation has no due date
    assert data["grades"] == {"created": 1, "updated": 0}
    assert weights(user, "BIO 101") == {"Lab 1": 10.0, "Lab 2": 30.0, "Midterm Exam": 60.0}
    assert weights(user, "HIST 210") == pytest.approx({"Essay": 66.6667, "Reading check": 33.3333})
    midterm = Assessment.objects.get(course__user=user, name="Midterm Exam")
    assert midterm.due_date == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert midterm.max_score == 100
    assert midterm.type == "midterm"
    assert Assessment.objects.get(course__user=user, name="Reading check").type == "quiz"
    record = PerformanceRecord.objects.get(user=user)
    assert (record.assessment.name, record.score, record.max_score) == ("Lab 1", 8.0, 10.0)
    assert record.source == EvidenceSource.IMPORT
    assert record.completed_at == datetime(2026, 10, 3, 15, 0, tzinfo=UTC)
    course = Course.objects.get(user=user, code="BIO 101")
    assert (course.name, course.semester) == ("Biology I", "Fall 2026")
    connection = LmsConnection.objects.get(user=user)
    assert connection.access_token == TOKEN
    assert connection.last_sync_at == NOW


def test_token_is_encrypted_at_rest(api_client, user, canvas, biology):
    from django.db import connection as db

    api_client.post(URL, body(canvas), format="json")

    with db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_lmsconnection")
        (stored,) = cursor.fetchone()
    assert TOKEN not in stored


def test_pagination_is_followed_to_the_end(api_client, user, canvas, biology, history):
    canvas.max_per_page = 1  # every course and every group is its own page

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 200, response.json()
    assert Course.objects.filter(user=user).count() == 2
    assert Assessment.objects.filter(course__user=user).count() == 5
    pages = [path for _method, path in canvas.request_log]
    assert pages.count("/api/v1/courses") == 2
    assert sum(path.endswith("assignment_groups") for path in pages) == 3


def test_reimport_updates_in_place_and_never_duplicates(api_client, user, canvas, biology):
    api_client.post(URL, body(canvas), format="json")
    canvas.set_assignment(biology["course"], biology["lab2"], due_at="2026-10-22T23:59:00Z")
    canvas.grade(biology["course"], biology["lab1"], score=9, graded_at="2026-10-10T09:00:00Z")
    canvas.grade(biology["course"], biology["lab2"], score=15, graded_at="2026-10-14T09:00:00Z")

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["courses"] == {"created": 0, "matched": 1}
    assert data["assessments"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
        "skipped": 0,
        "removed": 0,
        "restored": 0,
    }
    assert data["grades"] == {"created": 1, "updated": 1}
    assert Assessment.objects.filter(course__user=user).count() == 3
    lab2 = Assessment.objects.get(course__user=user, name="Lab 2")
    assert lab2.due_date == datetime(2026, 10, 22, 23, 59, tzinfo=UTC)
    scores = dict(
        PerformanceRecord.objects.filter(user=user).values_list("assessment__name", "score")
    )
    assert scores == {"Lab 1": 9.0, "Lab 2": 15.0}
    assert LmsConnection.objects.filter(user=user).count() == 1


def test_weights_moving_between_assignments_stay_at_100(api_client, user, canvas, biology):
    api_client.post(URL, body(canvas), format="json")
    # Lab 1 grows from 10 to 30 points while Lab 2 shrinks: 20% moves between them.
    canvas.set_assignment(biology["course"], biology["lab1"], points_possible=30)
    canvas.set_assignment(biology["course"], biology["lab2"], points_possible=10)

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 200, response.json()
    assert weights(user, "BIO 101") == {"Lab 1": 30.0, "Lab 2": 10.0, "Midterm Exam": 60.0}


def test_courses_are_matched_by_code(api_client, user, canvas, biology):
    from courses.tests.factories import CourseFactory

    mine = CourseFactory(user=user, code="bio  101", name="My biology")

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["courses"] == {"created": 0, "matched": 1}
    assert Course.objects.filter(user=user).count() == 1
    assert Assessment.objects.filter(course=mine).count() == 3


def assert_nothing_written(user):
    assert not Course.objects.filter(user=user).exists()
    assert not Assessment.objects.filter(course__user=user).exists()
    assert not PerformanceRecord.objects.filter(user=user).exists()
    assert not LmsConnection.objects.filter(user=user).exists()


def test_wrong_token_is_a_400_and_writes_nothing(api_client, user, canvas, biology):
    response = api_client.post(URL, body(canvas, token="7~wrong"), format="json")

    assert response.status_code == 400
    assert "access token" in response.json()["credentials"][0]
    assert_nothing_written(user)


def test_server_error_half_way_writes_nothing(api_client, user, canvas, biology, history):
    # The course list comes back, then the second course's groups fail.
    canvas.inject_fault(method="GET", path_contains="assignment_groups", status=502, times=5)

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 400
    assert "HTTP 502" in response.json()["credentials"][0]
    assert_nothing_written(user)


def test_rate_limit_is_a_400_with_a_clear_message(api_client, user, canvas, biology):
    canvas.inject_rate_limit()

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 400
    assert "limiting requests" in response.json()["credentials"][0]
    assert_nothing_written(user)


def test_unreachable_host_is_a_400(api_client, user, canvas, settings):
    url = canvas.base_url
    canvas.stop()

    response = api_client.post(
        URL,
        {"lms_type": "canvas", "credentials": {"base_url": url, "access_token": TOKEN}},
        format="json",
    )

    assert response.status_code == 400
    assert "could not be reached" in response.json()["credentials"][0]
    assert_nothing_written(user)
    canvas.start = lambda: canvas  # already stopped; the fixture's stop is harmless
    canvas.stop = lambda: None


def test_private_hosts_are_refused_unless_the_setting_allows_them(
    api_client, user, canvas, biology, settings
):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = False

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 400
    assert "private or local address" in response.json()["credentials"][0]
    assert canvas.total_requests() == 0
    assert_nothing_written(user)


def test_next_page_on_another_site_is_refused(api_client, user, canvas, biology):
    canvas.inject_fault(
        method="GET",
        path_contains="/api/v1/courses",
        status=200,
        body=[{"id": 9, "name": "Decoy", "course_code": "DEC 1"}],
        headers={"Link": '<http://127.0.0.2:9/api/v1/courses?page=2>; rel="next"'},
    )

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 400
    assert "another site" in response.json()["credentials"][0]


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({"base_url": "http://127.0.0.1:1"}, "access_token"),
        ({"access_token": TOKEN}, "base_url"),
        ({"base_url": "ftp://canvas.example", "access_token": TOKEN}, "base_url"),
        ({"base_url": "http://127.0.0.1:1", "access_token": TOKEN, "password": "x"}, None),
        ("not an object", None),
    ],
)
def test_bad_credentials_are_field_errors(api_client, user, credentials, field):
    response = api_client.post(
        URL, {"lms_type": "canvas", "credentials": credentials}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["credentials"]
    if field:
        assert field in errors
    assert_nothing_written(user)


def test_canvas_does_not_take_a_feed_url(api_client, canvas):
    response = api_client.post(
        URL, {**body(canvas), "url": "http://127.0.0.1/feed.ics"}, format="json"
    )

    assert response.status_code == 400
    assert "url" in response.json()


def test_anonymous_is_refused(anon_api_client, canvas, biology):
    response = anon_api_client.post(URL, body(canvas), format="json")

    assert response.status_code in (401, 403)
    assert canvas.total_requests() == 0


def test_imports_are_limited_per_student(api_client, user, canvas, biology, settings):
    settings.LMS_FEED_FETCHES_PER_HOUR = 1
    assert api_client.post(URL, body(canvas), format="json").status_code == 200
    canvas.reset_counts()

    response = api_client.post(URL, body(canvas), format="json")

    assert response.status_code == 429
    assert canvas.total_requests() == 0
