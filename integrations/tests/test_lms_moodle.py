"""Moodle import by web services, through POST /api/import/lms and the real client against a
fake Moodle on 127.0.0.1."""

from datetime import UTC, datetime

import pytest
import time_machine

from courses.models import Assessment, Course
from integrations.models import LmsConnection
from integrations.testing.fake_moodle import MOODLE_TOKEN as TOKEN
from integrations.testing.fake_moodle import unix
from mastery.models import PerformanceRecord

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
URL = "/api/import/lms"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def body(moodle, token=TOKEN):
    return {"lms_type": "moodle", "credentials": {"base_url": moodle.base_url, "token": token}}


def test_import_reads_courses_due_dates_weights_and_grades(api_client, user, moodle):
    response = api_client.post(URL, body(moodle), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["courses"] == {"created": 1, "matched": 0}
    assert data["assessments"]["created"] == 2
    assert data["grades"] == {"created": 1, "updated": 0}
    course = Course.objects.get(user=user)
    assert (course.code, course.name) == ("PHYS 201", "Physics II")
    assessments = {a.name: a for a in Assessment.objects.filter(course=course)}
    assert assessments["Lab report"].weight_percent == 75.0
    assert assessments["Quiz 1"].weight_percent == 25.0
    assert assessments["Quiz 1"].type == "quiz"
    assert assessments["Quiz 1"].due_date == datetime(2026, 10, 30, 22, 0, tzinfo=UTC)
    record = PerformanceRecord.objects.get(user=user)
    assert (record.assessment.name, record.score, record.max_score) == ("Lab report", 82.0, 100.0)
    assert LmsConnection.objects.get(user=user).remote_user_id == "7"


def test_reimport_updates_what_changed_only(api_client, user, moodle):
    api_client.post(URL, body(moodle), format="json")
    moodle.set_assignment(
        moodle.ids["course"], moodle.ids["report"], duedate=unix(datetime(2026, 10, 11, tzinfo=UTC))
    )
    moodle.grade(
        moodle.ids["course"],
        "quiz",
        moodle.ids["quiz"],
        score=7,
        at=unix(datetime(2026, 10, 14, tzinfo=UTC)),
    )

    response = api_client.post(URL, body(moodle), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["assessments"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "skipped": 0,
        "removed": 0,
        "restored": 0,
    }
    assert data["grades"] == {"created": 1, "updated": 0}
    assert Assessment.objects.filter(course__user=user).count() == 2
    assert PerformanceRecord.objects.filter(user=user).count() == 2
    assert LmsConnection.objects.filter(user=user).count() == 1


def assert_nothing_written(user):
    assert not Course.objects.filter(user=user).exists()
    assert not PerformanceRecord.objects.filter(user=user).exists()
    assert not LmsConnection.objects.filter(user=user).exists()


def test_invalid_token_is_a_400_and_writes_nothing(api_client, user, moodle):
    response = api_client.post(URL, body(moodle, token="nope"), format="json")

    assert response.status_code == 400
    assert "web-service token" in response.json()["credentials"][0]
    assert_nothing_written(user)


@pytest.mark.parametrize(
    ("status", "message"),
    [(503, "limiting requests"), (429, "limiting requests"), (500, "HTTP 500")],
)
def test_throttle_and_server_errors_are_400s(api_client, user, moodle, status, message):
    moodle.inject_fault(method="GET", path_contains="/webservice/", status=status, times=5)

    response = api_client.post(URL, body(moodle), format="json")

    assert response.status_code == 400
    assert message in response.json()["credentials"][0]
    assert_nothing_written(user)


def test_a_canvas_token_field_is_refused_for_moodle(api_client, user, moodle):
    response = api_client.post(
        URL,
        {"lms_type": "moodle", "credentials": {"base_url": moodle.base_url, "access_token": TOKEN}},
        format="json",
    )

    assert response.status_code == 400
    assert "access_token" in str(response.json()["credentials"])
    assert moodle.total_requests() == 0


def test_a_connected_moodle_is_kept_in_sync(api_client, user, moodle, monkeypatch):
    from datetime import timedelta

    from integrations import tasks
    from integrations.lms.services import LMS_SYNC_INTERVAL
    from planner.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    api_client.post(URL, body(moodle), format="json")
    moodle.add_assignment(
        moodle.ids["course"],
        name="Final project",
        duedate=unix(datetime(2026, 12, 10, tzinfo=UTC)),
        grade=100,
        weight=0.5,
    )

    with time_machine.travel(NOW + LMS_SYNC_INTERVAL + timedelta(seconds=1), tick=False):
        assert tasks.lms_sync_sweep() == 1

    names = set(Assessment.objects.filter(course__user=user).values_list("name", flat=True))
    assert names == {"Lab report", "Quiz 1", "Final project"}
    # weightraw 0.75 + 0.25 + 0.5: scaled back to 100% of the course.
    assert (
        Assessment.objects.get(course__user=user, name="Final project").weight_percent == 33.333333
    )
