"""Confirming or fixing an imported assessment's estimated weight."""

import pytest

from courses.models import Assessment
from courses.tests.factories import AssessmentFactory, CourseFactory


@pytest.fixture
def estimated(user):
    course = CourseFactory(user=user, code="MATH 2413")
    AssessmentFactory(course=course, name="Midterm", weight_percent=60.0)
    return AssessmentFactory(
        course=course,
        name="Final Exam",
        type="final",
        weight_percent=30.0,
        weight_is_estimated=True,
        created_from_import=True,
    )


def url(assessment) -> str:
    return f"/api/assessments/{assessment.pk}/confirm-weight"


def test_api_confirm_keeps_the_weight_and_clears_the_flag(api_client, estimated):
    response = api_client.post(url(estimated), {}, format="json")
    assert response.status_code == 200
    assert response.json()["weight_is_estimated"] is False
    assert response.json()["weight_percent"] == 30.0
    estimated.refresh_from_db()
    assert not estimated.weight_is_estimated


def test_api_fix_sets_the_weight_and_clears_the_flag(api_client, estimated):
    response = api_client.post(url(estimated), {"weight_percent": 40}, format="json")
    assert response.status_code == 200
    estimated.refresh_from_db()
    assert (estimated.weight_percent, estimated.weight_is_estimated) == (40.0, False)


@pytest.mark.parametrize(
    ("weight", "field_error"),
    [(41, "may not exceed 100%"), (-1, "greater than or equal to 0"), ("x", "valid number")],
)
def test_api_bad_weight_is_a_400_and_writes_nothing(api_client, estimated, weight, field_error):
    response = api_client.post(url(estimated), {"weight_percent": weight}, format="json")
    assert response.status_code == 400
    assert field_error in " ".join(response.json()["weight_percent"])
    estimated.refresh_from_db()
    assert (estimated.weight_percent, estimated.weight_is_estimated) == (30.0, True)


def test_another_students_assessment_is_a_404(other_api_client, estimated):
    assert other_api_client.post(url(estimated), {}, format="json").status_code == 404
    estimated.refresh_from_db()
    assert estimated.weight_is_estimated


def test_editing_the_weight_anywhere_clears_the_flag(api_client, estimated):
    response = api_client.patch(
        f"/api/assessments/{estimated.pk}", {"weight_percent": 25}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["weight_is_estimated"] is False


def test_page_confirm_and_fix(logged_in_client, estimated):
    page = f"/courses/assessments/{estimated.pk}/confirm-weight/"
    body = logged_in_client.get(page).content.decode()
    assert "estimated from the assessment" in body and 'value="30' in body
    response = logged_in_client.post(page, {"weight_percent": "35", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    estimated.refresh_from_db()
    assert (estimated.weight_percent, estimated.weight_is_estimated) == (35.0, False)


def test_page_refuses_an_outside_redirect(logged_in_client, estimated):
    page = f"/courses/assessments/{estimated.pk}/confirm-weight/"
    response = logged_in_client.post(page, {"weight_percent": "", "next": "https://evil.test/"})
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{estimated.course_id}/"


def test_page_bad_weight_shows_form_errors(logged_in_client, estimated):
    page = f"/courses/assessments/{estimated.pk}/confirm-weight/"
    response = logged_in_client.post(page, {"weight_percent": "55"})
    assert response.status_code == 200
    assert "may not exceed 100%" in response.content.decode()
    estimated.refresh_from_db()
    assert estimated.weight_is_estimated


def test_page_another_students_assessment_is_a_404(client, other_user, estimated):
    client.force_login(other_user)
    page = f"/courses/assessments/{estimated.pk}/confirm-weight/"
    assert client.get(page).status_code == 404
    assert client.post(page, {"weight_percent": "10"}).status_code == 404
    assert Assessment.objects.get(pk=estimated.pk).weight_is_estimated


def test_wizard_asks_to_confirm_estimated_weights(logged_in_client, estimated):
    body = logged_in_client.get("/onboarding/courses/").content.decode()
    assert f"/courses/assessments/{estimated.pk}/confirm-weight/" in body
    assert "Final Exam: estimated weight" in body
