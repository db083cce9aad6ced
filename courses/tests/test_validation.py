"""A course ends after it starts: the same rule and words on every way in (page, API, CSV,
service); the database constraint is tested in test_models."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.errors import ApplicationError
from courses import services
from courses.models import Course
from courses.tests.test_api import COURSE_PAYLOAD
from courses.tests.test_imports import CSV_HEADER
from courses.validation import COURSE_DATES_MESSAGE

pytestmark = pytest.mark.django_db

# The same day is not a course (the constraint is end_date > start_date), nor is a day before.
BAD_ENDS = ["2026-08-24", "2026-08-23"]


@pytest.mark.parametrize("end_date", BAD_ENDS)
def test_the_api_refuses_a_course_that_does_not_end_after_it_starts(api_client, end_date):
    response = api_client.post(
        reverse("api:course-list"), {**COURSE_PAYLOAD, "end_date": end_date}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["end_date"] == [COURSE_DATES_MESSAGE]
    assert not Course.objects.exists()


@pytest.mark.parametrize("end_date", BAD_ENDS)
def test_the_course_page_shows_the_error_by_the_end_date(logged_in_client, end_date):
    data = {**COURSE_PAYLOAD, "credit_hours": "3", "color": "#3366cc", "end_date": end_date}
    response = logged_in_client.post(reverse("courses:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == [COURSE_DATES_MESSAGE]
    assert not Course.objects.exists()


@pytest.mark.parametrize("end_date", BAD_ENDS)
def test_the_csv_import_reports_the_row_and_writes_nothing(user, end_date):
    content = CSV_HEADER + f"Calculus I,MATH 2413,Fall 2026,2026-08-24,{end_date},\n"
    report = services.courses_import_csv(user=user, content=content)
    assert report.errors == [{"line": 2, "field": "end_date", "message": COURSE_DATES_MESSAGE}]
    assert not report.applied
    assert not Course.objects.exists()


def test_the_service_refuses_it_too(user):
    with pytest.raises(ApplicationError) as excinfo:
        services.course_create(
            user=user,
            name="Calculus I",
            code="MATH 2413",
            semester="Fall 2026",
            start_date=date(2026, 8, 24),
            end_date=date(2026, 8, 24),
        )
    assert excinfo.value.field_errors == {"end_date": [COURSE_DATES_MESSAGE]}
    assert not Course.objects.exists()
