from datetime import date, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import Assessment, AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery.models import EvidenceSource, MasteryObservation, MasteryRecord, PerformanceRecord
from mastery.services import grades_import

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

URL = reverse("api:import-grades")
PAST = (date.today() - timedelta(days=40)).isoformat()


@pytest.fixture
def course(user):
    return CourseFactory(user=user)


@pytest.fixture
def limits(course):
    return TopicFactory(course=course, name="Limits")


@pytest.fixture
def derivatives(course):
    return TopicFactory(course=course, name="Derivatives")


def row(name="Quiz 1", score=8, max_score=10, day=PAST, topics=("Limits",)):
    return {
        "assessment_name": name,
        "score": score,
        "max_score": max_score,
        "date": day,
        "topics": list(topics),
    }


def post(client, course, grades, **extra):
    return client.post(URL, {"course_id": str(course.pk), "grades": grades, **extra}, format="json")


def test_import_matches_by_name_and_creates_flagged_assessments(
    api_client, user, course, limits, derivatives, django_capture_on_commit_callbacks
):
    existing = AssessmentFactory(course=course, name="Midterm One", weight_percent=40)
    AssessmentTopicFactory(assessment=existing, topic=derivatives)
    grades = [
        row(name="MIDTERM one", score=30, max_score=40, topics=["Derivatives"]),
        row(name="Homework 3", score=9, topics=["limits", str(derivatives.pk)]),
        row(name="homework 3", score=7, day=(date.today() - timedelta(days=20)).isoformat()),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, course, grades)
    assert response.status_code == 201, response.data
    report = response.data
    assert report["created_count"] == 3
    assert [r["assessment_action"] for r in report["rows"]] == ["match", "create", "create"]
    assert [r["action"] for r in report["rows"]] == ["created"] * 3
    assert report["rows"][0]["assessment_id"] == str(existing.pk)

    created = Assessment.objects.get(course=course, name="Homework 3")
    assert created.created_from_import
    assert created.weight_percent == 0
    assert created.type == AssessmentType.ASSIGNMENT
    assert {str(t) for t in created.topics.values_list("pk", flat=True)} == {
        str(limits.pk),
        str(derivatives.pk),
    }
    assert report["rows"][2]["assessment_id"] == str(created.pk)
    records = PerformanceRecord.objects.filter(user=user).order_by("completed_at")
    assert all(r.source == EvidenceSource.IMPORT for r in records)
    assert all(r.completed_at < timezone.now() for r in records)
    assert [r.attempt_number for r in records.filter(assessment=created)] == [1, 2]
    # Every mapped topic got the evidence: limits from the two homeworks, derivatives from all.
    assert MasteryRecord.objects.get(topic=limits).observation_count == 2
    assert MasteryRecord.objects.get(topic=derivatives).observation_count == 3


def test_imported_type_is_guessed_from_the_name(api_client, course, limits):
    response = post(api_client, course, [row(name="Final Exam"), row(name="Pop quiz 2")])
    assert response.status_code == 201
    types = dict(Assessment.objects.filter(course=course).values_list("name", "type"))
    assert types == {"Final Exam": AssessmentType.FINAL, "Pop quiz 2": AssessmentType.QUIZ}


def test_dry_run_reports_and_writes_nothing(api_client, course, limits):
    response = post(api_client, course, [row(), row(name="Quiz 2")], dry_run=True)
    assert response.status_code == 200
    assert response.data["dry_run"] is True
    assert [r["action"] for r in response.data["rows"]] == ["would_create"] * 2
    assert not PerformanceRecord.objects.exists()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": "eight"}, "score"),
        ({"max_score": 0}, "max_score"),
        ({"date": "yesterday"}, "date"),
        ({"date": (date.today() + timedelta(days=3)).isoformat()}, "date"),
        ({"topics": ["Integrals"]}, "topics"),
        ({"topics": "Limits"}, "topics"),
        ({"assessment_name": ""}, "assessment_name"),
        ({"time_spent_min": 0}, "time_spent_min"),
    ],
)
def test_each_row_rule_is_reported_with_its_field(api_client, course, limits, bad, field):
    response = post(api_client, course, [row(), row(name="Quiz 2") | bad])
    assert response.status_code == 400
    first, second = response.data["rows"]
    assert (first["action"], first["errors"]) == ("valid", [])
    assert second["action"] == "invalid"
    assert second["line"] == 2
    assert field in {error["field"] for error in second["errors"]}
    assert not PerformanceRecord.objects.exists()
    assert not Assessment.objects.exists()


def test_a_row_that_is_not_an_object_is_reported(api_client, course, limits):
    response = post(api_client, course, [row(), "Quiz 2,8,10"])
    assert response.status_code == 400
    assert response.data["rows"][1]["errors"][0]["field"] == "row"


def test_topic_outside_a_mapped_assessment_is_a_row_error(api_client, course, limits, derivatives):
    mapped = AssessmentFactory(course=course, name="Quiz 1")
    AssessmentTopicFactory(assessment=mapped, topic=limits)
    response = post(api_client, course, [row(topics=["Derivatives"])])
    assert response.status_code == 400
    assert response.data["rows"][0]["errors"][0]["field"] == "topics"


def test_unmapped_existing_assessment_takes_the_rows_topics(
    api_client, course, limits, django_capture_on_commit_callbacks
):
    unmapped = AssessmentFactory(course=course, name="Quiz 1")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api_client, course, [row()]).status_code == 201
    assert list(unmapped.topics.all()) == [limits]
    assert MasteryRecord.objects.get(topic=limits).observation_count == 1


def test_another_users_course_is_a_400(api_client, other_user):
    foreign = CourseFactory(user=other_user)
    TopicFactory(course=foreign, name="Limits")
    response = post(api_client, foreign, [row()])
    assert response.status_code == 400
    assert "course_id" in response.data
    assert not PerformanceRecord.objects.exists()


def test_empty_grades_is_a_400(api_client, course):
    response = post(api_client, course, [])
    assert response.status_code == 400
    assert "grades" in response.data


def test_late_import_lands_in_fold_order(user, course, limits, django_capture_on_commit_callbacks):
    from mastery.services import performance_record_create

    with django_capture_on_commit_callbacks(execute=True):
        recent = performance_record_create(
            user=user,
            course=course,
            score=9,
            max_score=10,
            time_spent_min=10,
            topic_breakdown={str(limits.pk): {"correct": 9, "total": 10, "time_min": 10}},
        )
    with django_capture_on_commit_callbacks(execute=True):
        report = grades_import(user=user, course=course, grades=[row(score=2)])
    assert report.is_valid
    steps = list(MasteryObservation.objects.filter(topic=limits).order_by("sequence"))
    assert [s.performance_record_id for s in steps][-1] == recent.pk
    assert steps[0].performance_record.source == EvidenceSource.IMPORT


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.integers(min_value=1, max_value=8),
    data=st.data(),
)
def test_one_bad_row_anywhere_writes_nothing(user, course, limits, size, data):
    bad_at = data.draw(st.integers(min_value=0, max_value=size - 1), label="bad_at")
    breakage = data.draw(
        st.sampled_from(
            [
                {"score": 999},
                {"date": "2099-01-01"},
                {"topics": ["Nope"]},
                {"max_score": -5},
                {"date": None},
            ]
        ),
        label="breakage",
    )
    grades = [row(name=f"Quiz {i}", score=i % 10) for i in range(size)]
    grades[bad_at] = grades[bad_at] | breakage
    with transaction.atomic():
        report = grades_import(user=user, course=course, grades=grades)
        assert not report.is_valid
        assert [bool(r.errors) for r in report.rows] == [i == bad_at for i in range(size)]
        assert [r.line for r in report.rows] == list(range(1, size + 1))
        assert not PerformanceRecord.objects.exists()
        assert not Assessment.objects.exists()
        transaction.set_rollback(True)
