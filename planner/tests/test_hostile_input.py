"""Hostile bytes, numbers and dates answer 400 naming the field, never 500.

Each case is one row of the probe's table. They run on SQLite by default and on PostgreSQL in
CI (several of the original 500s only happened there: NUL in text, integer overflow, dates
outside the calendar after a UTC shift).
"""

import json
import logging
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from accounts import hygiene
from courses.models import Assessment, Course
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from mastery.models import PerformanceRecord
from scheduling.tests.factories import StudyTaskFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def post_raw(client, url, body: str, method="post"):
    """A JSON body exactly as given: json.dumps escapes a lone surrogate as \\ud800."""
    return getattr(client, method)(url, body, content_type="application/json")


def course_payload(**change):
    return {
        "name": "Calculus",
        "code": "MATH 101",
        "semester": "Fall 2026",
        "start_date": "2026-08-24",
        "end_date": "2026-12-18",
        **change,
    }


# --- JSON bodies ----------------------------------------------------------------------------


def test_a_body_nested_100000_deep_is_400(api_client, user):
    body = "[" * 100_000 + "]" * 100_000
    response = post_raw(api_client, "/api/courses", body)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Course.objects.exists()


def test_a_body_nested_past_the_limit_but_within_the_stack_is_400(api_client, settings):
    settings.API_JSON_MAX_DEPTH = 5
    body = json.dumps(course_payload(description=[[[[["deep"]]]]]))
    assert post_raw(api_client, "/api/courses", body).status_code == 400


def test_a_body_larger_than_the_limit_is_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps(course_payload(description="x" * 2000))
    assert post_raw(api_client, "/api/courses", body).status_code == 400
    assert not Course.objects.exists()


def test_a_lone_surrogate_in_a_choice_field_is_400_naming_it(api_client, user):
    response = post_raw(
        api_client, reverse("api:me"), json.dumps({"academic_level": "\ud800"}), "patch"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["academic_level"]
    assert response.json()["academic_level"] == [hygiene.TEXT_REFUSED]


def test_a_nul_inside_a_json_field_is_400_naming_it(api_client, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    body = json.dumps({"resource_links": [{"url": "https://example.com/\x00", "title": "x"}]})
    response = post_raw(api_client, reverse("api:topic-detail", args=[topic.pk]), body, "patch")
    assert response.status_code == 400
    assert list(response.json()) == ["resource_links"]
    topic.refresh_from_db()
    assert topic.resource_links == [] or "\x00" not in json.dumps(topic.resource_links)


def test_a_nul_in_a_key_is_400(api_client):
    body = json.dumps({**course_payload(), "na\x00me": "x"})
    assert post_raw(api_client, "/api/courses", body).status_code == 400


@pytest.mark.parametrize("text", ["\x00", "Calc\x00ulus", "\udfff", "a\ud800b"])
def test_hostile_text_in_a_plain_field_is_400(api_client, text):
    response = post_raw(api_client, "/api/courses", json.dumps(course_payload(name=text)))
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Course.objects.exists()


def test_rtl_marks_and_long_text_are_ordinary_text(api_client):
    response = api_client.post(
        "/api/courses", course_payload(description="\u202eabc\u200f" * 2500), format="json"
    )
    assert response.status_code == 201


def test_a_nul_in_a_query_string_is_400(user, client, logged_in_client):
    from accounts.services import api_token_create

    _, key = api_token_create(user=user, name="probe")
    response = client.get("/api/courses?search=a%00b", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400
    assert list(response.json()) == ["search"]
    assert logged_in_client.get("/plan/?week=2026-11-30%00").status_code == 400


# --- Integers -------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [2**31, 2**63, -(2**31) - 1])
def test_time_spent_beyond_the_column_is_400(api_client, user, minutes):
    topic = TopicFactory(course=CourseFactory(user=user))
    payload = {
        "course": str(topic.course_id),
        "score": 8,
        "max_score": 10,
        "time_spent_min": minutes,
        "completed_at": "2026-11-29T10:00:00Z",
    }
    response = api_client.post(reverse("api:performance-list"), payload, format="json")
    assert response.status_code == 400
    assert "time_spent_min" in response.json()
    assert not PerformanceRecord.objects.exists()


def test_integer_bounds_come_from_the_model_field():
    field = PerformanceRecord._meta.get_field("time_spent_min")
    lowest, highest = hygiene.integer_range(field)
    assert highest == 2**31 - 1
    assert lowest in (0, -(2**31))


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("due", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:00Z", "1969-12-31"])
def test_an_assessment_due_outside_the_range_is_400(api_client, user, due):
    course = CourseFactory(user=user)
    payload = {"name": "Final", "type": "final", "weight_percent": 40, "due_date": due}
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]), payload, format="json"
    )
    assert response.status_code == 400
    assert "due_date" in response.json()
    assert not Assessment.objects.exists()


def test_an_assessment_form_due_in_year_1_west_of_utc_is_a_form_error(client, user):
    user.timezone = "Pacific/Pago_Pago"  # UTC-11: year 1 midnight is 1 BC in UTC
    user.save()
    client.force_login(user)
    course = CourseFactory(user=user)
    response = client.post(
        reverse("courses:assessment_create", args=[course.pk]),
        {"name": "Final", "type": "final", "weight_percent": "40", "due_date": "0001-01-01"},
    )
    assert response.status_code in (200, 400)
    assert hygiene.DATE_REFUSED in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_performance_record_dated_year_1_is_400(api_client, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    payload = {
        "course": str(topic.course_id),
        "score": 8,
        "max_score": 10,
        "time_spent_min": 30,
        "completed_at": "0001-01-01T00:00:00Z",
    }
    response = api_client.post(reverse("api:performance-list"), payload, format="json")
    assert response.status_code == 400
    assert "completed_at" in response.json()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00"])
def test_a_reschedule_outside_the_range_is_400(api_client, user, moment):
    task = StudyTaskFactory(course=CourseFactory(user=user))
    response = api_client.put(
        reverse("api:task_reschedule", args=[task.pk]), {"new_start_time": moment}, format="json"
    )
    assert response.status_code == 400
    assert "new_start_time" in response.json()


@pytest.mark.parametrize("week", ["9999-12-27", "0001-01-01", "2026-02-31"])
def test_the_plan_page_for_a_week_out_of_range_shows_this_week(logged_in_client, week):
    response = logged_in_client.get(f"/plan/?week={week}")
    assert response.status_code == 200


def test_the_bounds_are_aware_and_inclusive():
    assert hygiene.is_date_in_range(date(1970, 1, 1))
    assert hygiene.is_date_in_range(date(2100, 12, 31))
    assert not hygiene.is_date_in_range(date(2101, 1, 1))
    assert not hygiene.is_date_in_range(datetime(2026, 1, 1))  # naive
    assert hygiene.is_date_in_range(datetime(2100, 12, 31, 23, 59, tzinfo=UTC))


# --- Imports --------------------------------------------------------------------------------


def test_a_nul_byte_in_an_uploaded_csv_is_a_row_error(api_client, user):
    content = (
        b"name,code,semester,start_date,end_date\n"
        b"Calc\x00ulus,MATH 101,Fall 2026,2026-08-24,2026-12-18\n"
        b"Physics,PHYS 101,Fall 2026,2026-08-24,2026-12-18\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client.post(
        "/api/import/csv",
        {"file": SimpleUploadedFile("c.csv", content, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400
    assert not Course.objects.exists()
    errors = response.json()["errors"]
    assert {"line": 2, "field": "name", "message": hygiene.TEXT_REFUSED} in errors


def test_a_csv_date_in_year_9999_is_a_row_error(user):
    from courses import services

    content = "name,code,semester,start_date,end_date\nCalc,M1,Fall,2026-08-24,9999-12-31\n"
    report = services.courses_import_csv(user=user, content=content.encode(), dry_run=True)
    assert report.rows[0].errors == [{"field": "end_date", "message": hygiene.DATE_REFUSED}]


FEED = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//probe//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
SUMMARY:Homework 1 [MATH 101]\r
DTSTART{dtstart}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def lms_preview(api_client, user, feed: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    CourseFactory(user=user, code="MATH 101")
    return api_client.post(
        "/api/import/lms",
        {"file": SimpleUploadedFile("f.ics", feed.encode(), content_type="text/calendar")},
        format="multipart",
    )


def test_a_nul_in_an_icalendar_uid_is_a_row_error(api_client, user):
    response = lms_preview(
        api_client, user, FEED.format(uid="hw-1\x00@lms", dtstart=":20261201T120000Z")
    )
    assert response.status_code == 200
    row = response.json()["rows"][0]
    assert row["action"] == "error"
    assert hygiene.TEXT_REFUSED in row["reason"]
    assert "\x00" not in row["uid"]


@pytest.mark.parametrize(
    "dtstart", [":99991231T235900", ":00010101T000000Z", ";VALUE=DATE:99991231"]
)
def test_a_far_icalendar_date_is_a_row_error_and_never_imported(api_client, user, dtstart):
    user.timezone = "America/Los_Angeles"
    user.save()
    feed = FEED.format(uid="hw-1@lms", dtstart=dtstart)
    response = lms_preview(api_client, user, feed)
    assert response.status_code == 200
    assert response.json()["rows"][0]["action"] == "error"
    from django.core.files.uploadedfile import SimpleUploadedFile

    confirmed = api_client.post(
        "/api/import/lms",
        {
            "file": SimpleUploadedFile("f.ics", feed.encode(), content_type="text/calendar"),
            "confirm": "true",
        },
        format="multipart",
    )
    assert confirmed.status_code in (200, 400)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "grade,field",
    [
        ({"time_spent_min": 2**31}, "time_spent_min"),
        ({"date": "0001-01-01"}, "date"),
        ({"date": "9999-12-31T23:59:00"}, "date"),
    ],
)
def test_grade_import_rows_out_of_range_are_row_errors(api_client, user, grade, field):
    course = CourseFactory(user=user)
    row = {"assessment_name": "Quiz 1", "score": 8, "max_score": 10, "date": "2026-11-20"}
    response = api_client.post(
        "/api/import/grades",
        {"course_id": str(course.pk), "grades": [{**row, **grade}]},
        format="json",
    )
    assert response.status_code == 400
    assert not PerformanceRecord.objects.exists()
    assert field in json.dumps(response.json())


# --- Logging of refusals --------------------------------------------------------------------


def test_a_refusal_is_logged_once_with_the_request_id_and_no_value(api_client, caplog):
    from planner.middleware import RequestContextFilter

    secret = "my-private-course-name"
    body = json.dumps(course_payload(name=secret + "\x00"))
    # The console handler carries this filter in production; it reads the id at emit time.
    caplog.handler.addFilter(RequestContextFilter())
    with caplog.at_level(logging.INFO, logger="accounts.hygiene"):
        response = api_client.post(
            "/api/courses", body, content_type="application/json", HTTP_X_REQUEST_ID="probe-1"
        )
    assert response.status_code == 400
    refusals = [record for record in caplog.records if record.name == "accounts.hygiene"]
    assert len(refusals) == 1
    assert refusals[0].refused_fields == ["name"]
    assert secret not in refusals[0].getMessage()
    assert refusals[0].request_id == "probe-1"


def test_a_serializer_refusal_is_logged_once(api_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="accounts.hygiene"):
        api_client.post("/api/courses", course_payload(start_date="0001-01-01"), format="json")
    refusals = [record for record in caplog.records if record.name == "accounts.hygiene"]
    assert [record.refused_fields for record in refusals] == [["start_date"]]


# --- Rows stored before the bounds ----------------------------------------------------------


def _store_out_of_range_due(assessment):
    """Writes year 10000 (PostgreSQL) the way a floating 9999-12-31 west of UTC used to."""
    table = Assessment._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET due_date = %s::timestamptz + interval '1 day' WHERE id = %s",  # noqa: S608 (the model's own table)
                ["9999-12-31T12:00:00Z", assessment.pk],
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET due_date = %s WHERE id = %s",  # noqa: S608 (the model's own table)
                ["0001-01-01 00:00:00", assessment.pk.hex],
            )


def test_export_and_deletion_work_with_an_out_of_range_stored_date(logged_in_client, user):
    course = CourseFactory(user=user)
    assessment = AssessmentFactory(course=course)
    other = AssessmentFactory(course=CourseFactory())
    _store_out_of_range_due(assessment)
    _store_out_of_range_due(other)

    export = logged_in_client.get(reverse("journey:data_export"))
    assert export.status_code == 200
    exported = json.loads(export.content)["tables"]["courses.Assessment"]
    assert exported[0]["due_date"].startswith(("2100-12-31", "1970-01-01"))

    response = logged_in_client.post(
        reverse("journey:account_delete"), {"password": "correct-horse-battery"}
    )
    assert response.status_code in (302, 400)
    # Another student's bad row is theirs to repair, not this request's.
    raw = Assessment.objects.filter(pk=other.pk).values_list("name", flat=True)
    assert list(raw) == [other.name]


def test_repair_touches_only_the_students_rows(user, other_user):
    from journey.exports import owned_models

    mine = AssessmentFactory(course=CourseFactory(user=user))
    theirs = AssessmentFactory(course=CourseFactory(user=other_user))
    _store_out_of_range_due(mine)
    _store_out_of_range_due(theirs)
    owned = [(entry.model, entry.path) for entry in owned_models()]
    assert hygiene.repair_out_of_range_dates(user=user, owned=owned) >= 1
    assert Assessment.objects.get(pk=mine.pk).due_date in (
        hygiene.DATETIME_MAX,
        hygiene.DATETIME_MIN,
    )
    lowest, highest = hygiene.DATETIME_MIN, hygiene.DATETIME_MAX
    untouched = Assessment.objects.filter(pk=theirs.pk)
    assert not untouched.filter(due_date__gte=lowest, due_date__lte=highest).exists()


def test_an_anonymous_caller_with_a_nul_in_the_query_is_still_refused_as_anonymous(client):
    assert client.get("/api/courses?search=a%00b").status_code in (401, 403)
    response = client.get("/plan/?week=2026-11-30%00")
    assert response.status_code == 302  # to the login page, as without the NUL
