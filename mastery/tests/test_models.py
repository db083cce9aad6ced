import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from mastery.models import MasteryRecord, PerformanceRecord
from mastery.tests.factories import PerformanceRecordFactory

pytestmark = pytest.mark.django_db


def test_percentage_is_computed_and_never_trusted():
    record = PerformanceRecordFactory.build(score=42, max_score=60)
    record.course = CourseFactory()
    record.user = record.course.user
    record.percentage = 99.0
    record.save()
    record.refresh_from_db()
    assert record.percentage == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"score": -1}, "score"),
        ({"score": 101, "max_score": 100}, "score"),
        ({"time_spent_min": 0}, "time_spent_min"),
        ({"max_score": 0}, "max_score"),
    ],
)
def test_performance_rules_rejected_with_message(overrides, field):
    course = CourseFactory()
    record = PerformanceRecordFactory.build(course=course, user=course.user, **overrides)
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert field in excinfo.value.message_dict
    assert PerformanceRecord.objects.count() == 0


@pytest.mark.parametrize(
    "overrides", [{"score": -1}, {"score": 101, "max_score": 100}, {"max_score": 0, "score": 0}]
)
def test_database_rejects_bad_scores(overrides):
    course = CourseFactory()
    with pytest.raises((IntegrityError, ZeroDivisionError)), transaction.atomic():
        PerformanceRecordFactory(course=course, user=course.user, **overrides)
    assert PerformanceRecord.objects.count() == 0


def test_database_rejects_zero_time_spent():
    course = CourseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PerformanceRecordFactory(course=course, user=course.user, time_spent_min=0)


def test_attempt_number_counts_retakes_per_user_and_assessment():
    assessment = AssessmentFactory()
    user = assessment.course.user
    first = PerformanceRecordFactory(course=assessment.course, user=user, assessment=assessment)
    second = PerformanceRecordFactory(course=assessment.course, user=user, assessment=assessment)
    practice = PerformanceRecordFactory(course=assessment.course, user=user)
    assert (first.attempt_number, second.attempt_number, practice.attempt_number) == (1, 2, 1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mastery_score", -0.1),
        ("mastery_score", 100.1),
        ("confidence_interval", -1),
        ("confidence_interval", 50.5),
        ("review_interval_days", 0),
        ("review_interval_days", 366),
    ],
)
def test_mastery_bounds(field, value):
    topic = TopicFactory()
    record = MasteryRecord(user=topic.course.user, topic=topic, **{field: value})
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert field in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()
    assert MasteryRecord.objects.count() == 0


def test_mastery_unique_per_user_topic():
    topic = TopicFactory()
    MasteryRecord.objects.create(user=topic.course.user, topic=topic)
    with pytest.raises(IntegrityError), transaction.atomic():
        MasteryRecord.objects.create(user=topic.course.user, topic=topic)
