"""Per-student quotas: counts answer 400 naming the limit, the daily import rate 429."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.errors import ApplicationError
from courses import services
from courses.models import Assessment, Course
from courses.tests.factories import AssessmentFactory, CourseFactory

pytestmark = pytest.mark.django_db

CSV_HEADER = "name,code,semester,start_date,end_date,instructor\n"
COURSE_PAYLOAD = {
    "name": "Calculus I",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": "2026-08-24",
    "end_date": "2026-12-18",
}


def csv_upload(count: int, first: int = 1) -> SimpleUploadedFile:
    lines = "".join(
        f"Course {n},CRS {100 + n},Fall 2026,2026-08-24,2026-12-18,Dr. {n}\n"
        for n in range(first, first + count)
    )
    return SimpleUploadedFile("courses.csv", (CSV_HEADER + lines).encode(), "text/csv")


def ics_feed(course_code: str, count: int) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\n"
        f"UID:event-{n}\n"
        f"SUMMARY:{course_code} Homework {n}\n"
        f"DTSTART:202610{10 + n:02d}T170000Z\n"
        "END:VEVENT\n"
        for n in range(count)
    )
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n{events}END:VCALENDAR\n".encode()


@pytest.fixture
def small_quotas(settings):
    settings.QUOTA_COURSES_PER_STUDENT = 3
    settings.QUOTA_ASSESSMENTS_PER_STUDENT = 4
    settings.QUOTA_IMPORTS_PER_STUDENT_PER_DAY = 2


def test_course_create_past_the_quota_is_400_naming_it(api_client, user, other_user, small_quotas):
    CourseFactory.create_batch(3, user=user)
    CourseFactory.create_batch(3, user=other_user)
    response = api_client.post("/api/courses", COURSE_PAYLOAD, format="json")
    assert response.status_code == 400
    assert "at most 3 courses" in response.json()["detail"]
    assert Course.objects.for_user(user).count() == 3


def test_course_create_page_shows_the_quota_as_a_form_error(logged_in_client, user, small_quotas):
    CourseFactory.create_batch(3, user=user)
    response = logged_in_client.post(
        reverse("courses:create"), {**COURSE_PAYLOAD, "credit_hours": 3, "color": "#3366cc"}
    )
    assert response.status_code == 200
    assert "at most 3 courses" in response.content.decode()
    assert Course.objects.for_user(user).count() == 3


def test_a_csv_import_past_the_course_quota_writes_nothing(api_client, user, small_quotas):
    CourseFactory(user=user)
    response = api_client.post("/api/import/csv", {"file": csv_upload(3)}, format="multipart")
    assert response.status_code == 400
    assert "at most 3 courses" in response.json()["file"][0]
    assert Course.objects.for_user(user).count() == 1
    # Exactly up to the quota is fine.
    response = api_client.post("/api/import/csv", {"file": csv_upload(2)}, format="multipart")
    assert response.status_code == 200 and response.json()["applied"] is True


def test_an_lms_confirm_past_the_assessment_quota_writes_nothing(user, small_quotas):
    course = CourseFactory(user=user, code="MATH 2413")
    AssessmentFactory(course=course, weight_percent=0)
    with pytest.raises(ApplicationError) as excinfo:
        services.lms_import_confirm(user=user, content=ics_feed("MATH 2413", 4))
    assert "at most 4 assessments" in excinfo.value.message
    assert Assessment.objects.for_user(user).count() == 1
    report = services.lms_import_confirm(user=user, content=ics_feed("MATH 2413", 3))
    assert report.applied and Assessment.objects.for_user(user).count() == 4


def test_assessment_create_past_the_quota_is_400(api_client, user, small_quotas):
    course = CourseFactory(user=user)
    AssessmentFactory.create_batch(4, course=course, weight_percent=5)
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]),
        {
            "name": "Final",
            "type": "final",
            "weight_percent": 5,
            "due_date": datetime(2026, 12, 10, tzinfo=UTC).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "at most 4 assessments" in response.json()["detail"]


def test_applied_imports_a_day_are_limited_with_429(api_client, other_api_client, small_quotas):
    for first in (1, 10):
        response = api_client.post(
            "/api/import/csv", {"file": csv_upload(1, first)}, format="multipart"
        )
        assert response.status_code == 200
    # A dry run imports nothing and is not counted.
    response = api_client.post(
        "/api/import/csv?dry_run=true", {"file": csv_upload(1, 20)}, format="multipart"
    )
    assert response.status_code == 200
    response = api_client.post("/api/import/csv", {"file": csv_upload(1, 30)}, format="multipart")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 24 * 3600
    assert "today's limit of 2 imports" in response.json()["detail"]
    other = other_api_client.post("/api/import/csv", {"file": csv_upload(1)}, format="multipart")
    assert other.status_code == 200
