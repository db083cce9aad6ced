"""A grade loop that closes.

A score can be recorded on any assessment at any time (page and API), completed or past
assessments are never "remaining", imported grades count with their assessment's weight, and
"needed on what remains" matches hand-computed cases.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from courses.models import Assessment
from courses.tests.factories import AssessmentFactory, CourseFactory
from mastery.grades import grade_plan_for, grade_target_set
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.tests.factories import PerformanceRecordFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def course(user, frozen):
    course = CourseFactory(user=user, code="MATH 2413")
    AssessmentFactory(
        course=course, name="Quiz 1", weight_percent=10, due_date=NOW - timedelta(days=20)
    )
    AssessmentFactory(
        course=course, name="Midterm", weight_percent=30, due_date=NOW - timedelta(days=6)
    )
    AssessmentFactory(
        course=course, name="Project", weight_percent=20, due_date=NOW + timedelta(days=9)
    )
    AssessmentFactory(
        course=course,
        name="Final",
        weight_percent=40,
        max_score=200,
        due_date=NOW + timedelta(days=30),
    )
    return course


def by_name(course, name) -> Assessment:
    return Assessment.objects.get(course=course, name=name)


def names(rows) -> list[str]:
    return [row.assessment.name for row in rows]


# -- Remaining means still ahead ---------------------------------------------------------------


def test_past_and_completed_assessments_are_never_remaining(user, course):
    project = by_name(course, "Project")
    project.is_completed = True
    project.save()
    plan = grade_plan_for(user=user, course=course)
    assert names(plan.remaining) == ["Final"]
    assert names(plan.unscored) == ["Quiz 1", "Midterm", "Project"]
    assert plan.remaining_weight == 40


def test_the_page_lists_past_ones_to_score_not_as_remaining(logged_in_client, course):
    body = logged_in_client.get(reverse("mastery:grades", args=[course.pk])).content.decode()
    remaining = body.split('id="remaining-heading"')[1]
    unscored = body.split('id="unscored-heading"')[1].split('id="remaining-heading"')[0]
    assert "Midterm" in unscored and "Quiz 1" in unscored
    assert "Midterm" not in remaining and "Quiz 1" not in remaining
    assert "Final" in remaining and "Project" in remaining


# -- Needed on what remains: hand-computed -------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "target", "needed"),
    [
        # Quiz 80 (10%), Midterm 70 (30%): earned 800 + 2100 = 2900 over 40%.
        # Remaining Project 20% + Final 40% = 60%. Needed = (85 x 100 - 2900) / 60 = 93.33.
        ({"Quiz 1": 80, "Midterm": 70}, 85, 93.3),
        # Same grades, target 70: (7000 - 2900) / 60 = 68.33.
        ({"Quiz 1": 80, "Midterm": 70}, 70, 68.3),
        # Only the quiz, at 100: the midterm is past and unscored, so it is left out:
        # total 10 + 60 = 70; (90 x 70 - 1000) / 60 = 88.33.
        ({"Quiz 1": 100}, 90, 88.3),
        # A strong start secures a low target: (30 x 100 - 3800) / 60 = -13.3 -> secured.
        ({"Quiz 1": 95, "Midterm": 95}, 30, -13.3),
        # Out of reach: quiz 40, midterm 40 earn 1600; (100 x 100 - 1600) / 60 = 140.
        ({"Quiz 1": 40, "Midterm": 40}, 100, 140.0),
    ],
)
def test_needed_on_what_remains_matches_hand_computed_cases(user, course, scores, target, needed):
    for name, percent in scores.items():
        PerformanceRecordFactory(
            course=course, assessment=by_name(course, name), score=percent, max_score=100
        )
    grade_target_set(user=user, course=course, target_percent=target)
    plan = grade_plan_for(user=user, course=course)
    assert plan.needed_percent == pytest.approx(needed, abs=0.05)
    assert plan.target_is_secured == (needed <= 0)
    assert plan.target_is_reachable == (needed <= 100)
    final = next(row for row in plan.remaining if row.assessment.name == "Final")
    # Points on the 200-point final: the needed share of 200, never below 0.
    assert final.needed_points == pytest.approx(max(0.0, needed) * 2, abs=0.1)


# -- Record a score: page -------------------------------------------------------------------------


def test_page_records_a_score_on_a_past_assessment(logged_in_client, user, course):
    midterm = by_name(course, "Midterm")
    url = reverse("mastery:grades_score", args=[course.pk])
    response = logged_in_client.post(url, {"assessment": str(midterm.pk), "score": "72"})
    assert response.status_code == 302
    record = PerformanceRecord.objects.get(assessment=midterm)
    assert (record.percentage, record.source) == (72.0, EvidenceSource.MANUAL)
    # Dated when it happened: the due date, not today.
    assert record.completed_at == midterm.due_date
    midterm.refresh_from_db()
    assert midterm.is_completed
    plan = grade_plan_for(user=user, course=course)
    assert "Midterm" in names(plan.graded) and plan.current_percent == 72.0


def test_page_records_a_score_on_an_upcoming_assessment(logged_in_client, user, course):
    final = by_name(course, "Final")
    url = reverse("mastery:grades_score", args=[course.pk])
    response = logged_in_client.post(
        url, {"assessment": str(final.pk), "score": "150", "max_score": ""}
    )
    assert response.status_code == 302
    record = PerformanceRecord.objects.get(assessment=final)
    assert (record.score, record.max_score, record.completed_at) == (150.0, 200.0, NOW)
    assert names(grade_plan_for(user=user, course=course).remaining) == ["Project"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"score": "250"}, "score"),  # above the final's 200
        ({"score": "-1"}, "score"),
        ({"score": "abc"}, "score"),
        ({"score": "50", "max_score": "0"}, "max_score"),
        ({"score": "50", "assessment": "not-an-id"}, "assessment"),
    ],
)
def test_page_bad_score_shows_form_errors_and_writes_nothing(logged_in_client, course, data, field):
    final = by_name(course, "Final")
    url = reverse("mastery:grades_score", args=[course.pk])
    response = logged_in_client.post(url, {"assessment": str(final.pk), **data})
    assert response.status_code == 400
    assert f"id_{field}_error" in response.content.decode() or "errorlist" in (
        response.content.decode()
    )
    assert not PerformanceRecord.objects.exists()
    final.refresh_from_db()
    assert not final.is_completed


def test_page_cannot_score_another_students_assessment(logged_in_client, other_user, course):
    theirs = AssessmentFactory(course=CourseFactory(user=other_user), name="Theirs")
    # Through my course's page: not a choice, a form error.
    url = reverse("mastery:grades_score", args=[course.pk])
    response = logged_in_client.post(url, {"assessment": str(theirs.pk), "score": "50"})
    assert response.status_code == 400
    # Through their course's page: a 404.
    url = reverse("mastery:grades_score", args=[theirs.course_id])
    response = logged_in_client.post(url, {"assessment": str(theirs.pk), "score": "50"})
    assert response.status_code == 404
    assert not PerformanceRecord.objects.exists()


def test_record_score_link_preselects_the_assessment(logged_in_client, course):
    midterm = by_name(course, "Midterm")
    url = reverse("mastery:grades", args=[course.pk]) + f"?assessment={midterm.pk}"
    body = logged_in_client.get(url).content.decode()
    assert f'<option value="{midterm.pk}" selected>' in body


# -- Record a score: API --------------------------------------------------------------------------


def test_api_records_a_score_and_completes_the_assessment(api_client, user, course):
    project = by_name(course, "Project")
    response = api_client.post(
        f"/api/assessments/{project.pk}/score", {"score": 18, "max_score": 20}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["percentage"] == 90.0
    assert response.data["assessment"] == project.pk
    project.refresh_from_db()
    assert project.is_completed
    assert "Project" in names(grade_plan_for(user=user, course=course).graded)


@pytest.mark.parametrize(
    "body",
    [
        {"score": 101},
        {"score": "x"},
        {},
        {"score": 10, "completed_at": "2026-12-25T10:00:00Z"},  # in the future
        {"score": 10, "time_spent_min": 0},
    ],
)
def test_api_bad_score_is_a_400_and_writes_nothing(api_client, course, body):
    project = by_name(course, "Project")
    response = api_client.post(f"/api/assessments/{project.pk}/score", body, format="json")
    assert response.status_code == 400
    assert not PerformanceRecord.objects.exists()
    project.refresh_from_db()
    assert not project.is_completed


def test_api_another_students_assessment_is_a_404(other_api_client, course):
    project = by_name(course, "Project")
    response = other_api_client.post(
        f"/api/assessments/{project.pk}/score", {"score": 10}, format="json"
    )
    assert response.status_code == 404
    assert not PerformanceRecord.objects.exists()


# -- Imported grade history counts -----------------------------------------------------------------


def test_imported_grades_count_with_their_assessments_weight(api_client, user, frozen):
    course = CourseFactory(user=user, code="HIST 1301")
    AssessmentFactory(course=course, name="Essay", weight_percent=50, due_date=NOW)
    grades = [
        {"assessment_name": "Essay", "score": 80, "max_score": 100, "date": "2026-11-01"},
        {"assessment_name": "Midterm Exam", "score": 60, "max_score": 100, "date": "2026-11-03"},
    ]
    response = api_client.post(
        "/api/import/grades", {"course_id": str(course.pk), "grades": grades}, format="json"
    )
    assert response.status_code == 201, response.data
    midterm = Assessment.objects.get(course=course, name="Midterm Exam")
    # Created by the import: the midterm's typical weight, to be confirmed.
    assert (midterm.weight_percent, midterm.weight_is_estimated) == (20.0, True)
    plan = grade_plan_for(user=user, course=course)
    assert plan.graded_weight == 70
    # (80 x 50 + 60 x 20) / 70 = 74.29
    assert plan.current_percent == pytest.approx(74.3, abs=0.05)
