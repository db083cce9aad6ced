"""The API lists a script polls are answered from the student's cache until their rows change
(accounts/api/list_cache.py): a repeated call runs none of the list's queries, and a write is
visible on the very next call."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create, api_token_revoke
from accounts.tests.factories import UserFactory
from accounts.timezones import user_zone
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import MasteryRecord
from scheduling.models import StudyTask
from scheduling.tests.factories import MasteryRecordFactory, StudyTaskFactory

pytestmark = pytest.mark.django_db

LISTS = ["/api/courses", "/api/mastery/topics", "/api/mastery/reviews/due", "/api/schedule"]


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="script", expires_in_days=7)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def student():
    user = UserFactory()
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    MasteryRecordFactory(topic=topic, next_review_date=timezone.localdate() - timedelta(days=1))
    StudyTaskFactory(user=user, course=course, scheduled_start=timezone.now() + timedelta(hours=2))
    return user


def _get(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


@pytest.mark.parametrize("path", LISTS)
def test_a_repeated_call_is_answered_from_the_cache(student, path):
    client = token_client(student)
    first, computed = _get(client, path)
    again, cached = _get(client, path)
    assert again == first
    assert first["count"] >= 1
    # Only the token's own lookup is left.
    assert cached < computed
    assert cached <= 1


def test_a_course_write_is_visible_on_the_next_call(student):
    client = token_client(student)
    before, _ = _get(client, "/api/courses")
    course = CourseFactory(user=student, name="Added")
    after, _ = _get(client, "/api/courses")
    assert after["count"] == before["count"] + 1
    response = client.patch(f"/api/courses/{course.pk}", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    names = {row["name"] for row in _get(client, "/api/courses")[0]["results"]}
    assert "Renamed" in names and "Added" not in names


def test_a_mastery_write_is_visible_on_the_next_call(student):
    client = token_client(student)
    _get(client, "/api/mastery/topics")
    record = MasteryRecord.objects.get(user=student)
    record.mastery_score = 87.5
    record.save()
    rows = _get(client, "/api/mastery/topics")[0]["results"]
    assert [row["mastery_score"] for row in rows] == [87.5]
    topic = TopicFactory(course=record.topic.course, name="New topic")
    rows = _get(client, "/api/mastery/topics")[0]["results"]
    assert topic.name in {row["topic_name"] for row in rows}


def test_a_review_write_is_visible_on_the_next_call(student):
    client = token_client(student)
    assert _get(client, "/api/mastery/reviews/due")[0]["count"] == 1
    record = MasteryRecord.objects.get(user=student)
    record.next_review_date = timezone.localdate() + timedelta(days=10)
    record.save()
    assert _get(client, "/api/mastery/reviews/due")[0]["count"] == 0


def test_a_schedule_write_is_visible_on_the_next_call(student):
    client = token_client(student)
    before = _get(client, "/api/schedule")[0]
    task = StudyTask.objects.get(user=student)
    response = client.post(f"/api/schedule/tasks/{task.pk}/start")
    assert response.status_code == 200, response.content
    after = _get(client, "/api/schedule")[0]
    assert [row["status"] for row in before["results"]] != [
        row["status"] for row in after["results"]
    ]
    StudyTaskFactory(
        user=student, course=task.course, scheduled_start=timezone.now() + timedelta(hours=4)
    )
    assert _get(client, "/api/schedule")[0]["count"] == after["count"] + 1


@pytest.mark.parametrize("path", LISTS)
def test_one_students_cached_list_is_never_anothers(student, path):
    mine, _ = _get(token_client(student), path)
    other = UserFactory()
    theirs, _ = _get(token_client(other), path)
    assert theirs["count"] == 0 and mine["count"] >= 1


def test_each_query_string_is_its_own_answer(student):
    client = token_client(student)
    all_rows = _get(client, "/api/courses")[0]
    empty = _get(client, "/api/courses?is_archived=true")[0]
    assert all_rows["count"] == 1 and empty["count"] == 0


def test_a_new_minute_computes_the_list_again(student, time_machine):
    client = token_client(student)
    _get(client, "/api/mastery/reviews/due")
    time_machine.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    _, queries = _get(client, "/api/mastery/reviews/due")
    assert queries > 1


def test_the_zone_datetimes_render_in_is_part_of_the_key(student):
    """A browser session renders datetimes in the student's zone, a token in UTC."""
    student.timezone = "America/New_York"
    student.save()
    client = token_client(student)
    by_token = _get(client, "/api/schedule")[0]["results"][0]["scheduled_start"]
    session = APIClient()
    session.force_login(student)
    by_session = _get(session, "/api/schedule")[0]["results"][0]["scheduled_start"]
    assert by_token.endswith("Z")
    assert by_session.endswith(timezone.now().astimezone(user_zone(student)).isoformat()[-6:]), (
        by_session
    )


def test_a_revoked_token_is_refused_on_the_very_next_request(student):
    _, key = api_token_create(user=student, name="script", expires_in_days=7)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/courses").status_code == 200
    token = student.api_tokens.get(name="script")
    api_token_revoke(user=student, token_id=token.pk)
    assert client.get("/api/courses").status_code == 401
    assert client.get("/api/ping").status_code == 401


def test_a_deactivated_student_is_refused_on_the_very_next_request(student):
    client = token_client(student)
    assert client.get("/api/courses").status_code == 200
    student.is_active = False
    student.save()
    assert client.get("/api/courses").status_code == 401


@pytest.mark.parametrize("path", LISTS)
def test_a_cached_json_answer_is_the_live_answer_byte_for_byte(student, path):
    client = token_client(student)
    with CaptureQueriesContext(connection) as live_queries:
        live = client.get(path)
    with CaptureQueriesContext(connection) as cached_queries:
        cached = client.get(path)
    assert len(cached_queries) < len(live_queries)
    assert cached.content == live.content
    for header in ("Content-Type", "Allow", "Vary"):
        assert cached[header] == live[header], header


def test_json_and_the_browsable_api_are_cached_apart(student):
    session = APIClient()
    session.force_login(student)
    json_answer = session.get("/api/courses", HTTP_ACCEPT="application/json")
    page = session.get("/api/courses", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"<html" in page.content.lower()
    again = session.get("/api/courses", HTTP_ACCEPT="application/json")
    assert again.content == json_answer.content
    assert again["Content-Type"] == "application/json"
    # And the other way round: a cached page is not handed to a JSON caller.
    page_again = session.get("/api/courses", HTTP_ACCEPT="text/html")
    assert page_again["Content-Type"].startswith("text/html")


def test_an_indented_json_answer_is_its_own_entry(student):
    client = token_client(student)
    plain = client.get("/api/courses", HTTP_ACCEPT="application/json")
    indented = client.get("/api/courses", HTTP_ACCEPT="application/json; indent=2")
    assert b"\n" in indented.content and b"\n" not in plain.content
    assert client.get("/api/courses", HTTP_ACCEPT="application/json").content == plain.content


@pytest.mark.parametrize("path", LISTS)
def test_a_warm_list_reads_only_its_generation_from_the_shared_cache(student, path, monkeypatch):
    client = token_client(student)
    first = client.get(path).content
    reads = []
    real_get, real_get_many = cache.get, cache.get_many
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: reads.append(key) or real_get(key, *a, **k)
    )
    monkeypatch.setattr(
        cache, "get_many", lambda keys, *a, **k: reads.extend(keys) or real_get_many(keys, *a, **k)
    )
    assert client.get(path).content == first
    assert [key for key in reads if key.startswith("api:list:")] == []
    assert f"pages:generation:{student.pk}" in reads
