"""The grade planner: weighted grade so far, the score needed for a target, the prediction."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery.grades import grade_plan_for, grade_target_set
from mastery.tests.factories import PerformanceRecordFactory
from scheduling.tests.factories import MasteryRecordFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def course(user):
    course = CourseFactory(user=user, code="MATH 2413")
    past = timezone.now() - timedelta(days=5)
    quiz = AssessmentFactory(course=course, name="Quiz", weight_percent=20, due_date=past)
    homework = AssessmentFactory(course=course, name="Homework", weight_percent=20, due_date=past)
    final = AssessmentFactory(course=course, name="Final", weight_percent=60, max_score=200)
    PerformanceRecordFactory(course=course, assessment=quiz, score=90, completed_at=past)
    # A retake replaces the first attempt.
    PerformanceRecordFactory(course=course, assessment=homework, score=50, completed_at=past)
    PerformanceRecordFactory(course=course, assessment=homework, score=70)
    limits, rates = TopicFactory(course=course), TopicFactory(course=course)
    AssessmentTopicFactory(assessment=final, topic=limits, weight_in_assessment=75)
    AssessmentTopicFactory(assessment=final, topic=rates, weight_in_assessment=25)
    MasteryRecordFactory(topic=limits, mastery_score=80)
    MasteryRecordFactory(topic=rates, mastery_score=40)
    return course


def test_current_grade_is_weighted_over_graded_work(user, course):
    plan = grade_plan_for(user=user, course=course)
    assert plan.current_percent == pytest.approx(80.0)
    assert plan.graded_weight == 40 and plan.remaining_weight == 60
    assert [row.assessment.name for row in plan.remaining] == ["Final"]


def test_needed_score_for_a_target(user, course):
    grade_target_set(user=user, course=course, target_percent=85)
    plan = grade_plan_for(user=user, course=course)
    # (85 × 100 − 80 × 40) / 60
    assert plan.needed_percent == pytest.approx(88.3, abs=0.05)
    assert plan.target_is_reachable and not plan.target_is_secured
    assert plan.remaining[0].needed_points == pytest.approx(176.7, abs=0.1)
    grade_target_set(user=user, course=course, target_percent=100)
    assert grade_plan_for(user=user, course=course).needed_percent == pytest.approx(113.3, abs=0.1)
    assert grade_plan_for(user=user, course=course).target_is_reachable is False


def test_predicted_grade_from_mastery(user, course):
    plan = grade_plan_for(user=user, course=course)
    # The final predicts 80 × .75 + 40 × .25 = 70; overall (80 × 40 + 70 × 60) / 100.
    assert plan.remaining[0].predicted_percent == pytest.approx(70.0)
    assert plan.predicted_percent == pytest.approx(74.0)


def test_prediction_counts_only_scored_topics_and_an_empty_share_as_one(user, course):
    midterm = AssessmentFactory(course=course, name="Midterm", weight_percent=10)
    scored, unweighted, unscored = TopicFactory.create_batch(3, course=course)
    AssessmentTopicFactory(assessment=midterm, topic=scored, weight_in_assessment=3)
    AssessmentTopicFactory(assessment=midterm, topic=unweighted, weight_in_assessment=None)
    AssessmentTopicFactory(assessment=midterm, topic=unscored, weight_in_assessment=50)
    MasteryRecordFactory(topic=scored, mastery_score=90)
    MasteryRecordFactory(topic=unweighted, mastery_score=50)
    plan = grade_plan_for(user=user, course=course)
    rows = {row.assessment.name: row for row in plan.remaining}
    # (90 × 3 + 50 × 1) / 4; the topic without a score is left out, not counted as 0.
    assert rows["Midterm"].predicted_percent == pytest.approx(80.0)
    assert all(row.predicted_percent is None for row in plan.graded + plan.unscored)


def test_target_validation_and_clearing(user, other_user, course):
    with pytest.raises(ApplicationError):
        grade_target_set(user=user, course=course, target_percent=120)
    with pytest.raises(ApplicationError):
        grade_target_set(user=other_user, course=course, target_percent=80)
    grade_target_set(user=user, course=course, target_percent=80)
    course.refresh_from_db()
    assert course.target_grade == 80
    grade_target_set(user=user, course=course, target_percent=None)
    course.refresh_from_db()
    assert course.target_grade is None


def test_the_page_saves_a_target_and_shows_the_plan(logged_in_client, user, course):
    url = reverse("mastery:grades", args=[course.pk])
    response = logged_in_client.post(url, {"target_percent": "85"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.target_grade == 85
    body = logged_in_client.get(url).content.decode()
    assert "88.3%" in body and "80.0%" in body and "74.0%" in body
    bad = logged_in_client.post(url, {"target_percent": "150"})
    assert bad.status_code == 400
    assert "id_target_percent_error" in bad.content.decode()
    course.refresh_from_db()
    assert course.target_grade == 85


def test_the_index_lists_every_course(logged_in_client, course):
    body = logged_in_client.get(reverse("mastery:grades_index")).content.decode()
    assert "MATH 2413" in body and "80.0%" in body


def test_another_students_course_is_a_404(logged_in_client, other_user):
    foreign = CourseFactory(user=other_user)
    url = reverse("mastery:grades", args=[foreign.pk])
    assert logged_in_client.get(url).status_code == 404
    assert logged_in_client.post(url, {"target_percent": "90"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.target_grade is None


def test_a_course_without_grades(logged_in_client, user):
    course = CourseFactory(user=user)
    body = logged_in_client.get(reverse("mastery:grades", args=[course.pk])).content.decode()
    assert "No graded assessments yet." in body
