from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from courses.models import Assessment, AssessmentTopic, Course
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_course_end_date_must_follow_start(user):
    course = CourseFactory.build(user=user, start_date=date(2026, 9, 1), end_date=date(2026, 9, 1))
    with pytest.raises(ValidationError) as excinfo:
        course.full_clean()
    assert excinfo.value.message_dict["end_date"] == ["The end date must be after the start date."]
    with pytest.raises(IntegrityError), transaction.atomic():
        course.save()
    assert Course.objects.count() == 0


@pytest.mark.parametrize("weight", [-0.1, 100.1])
def test_assessment_weight_between_0_and_100(weight):
    course = CourseFactory()
    assessment = AssessmentFactory.build(course=course, weight_percent=weight)
    with pytest.raises(ValidationError) as excinfo:
        assessment.full_clean()
    assert "weight_percent" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        assessment.save()
    assert Assessment.objects.count() == 0


def test_weights_total_is_queryable_and_exact():
    course = CourseFactory()
    AssessmentFactory(course=course, weight_percent=33.3)
    AssessmentFactory(course=course, weight_percent=33.3)
    AssessmentFactory(course=course, weight_percent=33.4)
    other = CourseFactory(user=course.user)
    annotated = {c.pk: c for c in Course.objects.with_weights_total()}
    assert annotated[course.pk].weights_total == pytest.approx(100.0)
    assert annotated[course.pk].weights_complete
    assert annotated[other.pk].weights_total == 0.0
    assert not annotated[other.pk].weights_complete
    assert Course.objects.with_weights_total().filter(weights_total_db__gte=99.99).count() == 1


def test_assessment_topic_unique_per_pair():
    link = AssessmentTopicFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentTopic.objects.create(assessment=link.assessment, topic=link.topic)


def test_topic_resource_links_validated():
    topic = TopicFactory.build(resource_links=[{"type": "podcast", "url": "ftp://x"}])
    topic.course = CourseFactory()
    with pytest.raises(ValidationError) as excinfo:
        topic.full_clean()
    messages = " ".join(excinfo.value.message_dict["resource_links"])
    assert "type must be one of" in messages
    assert "http(s) address" in messages


def test_user_delete_cascades_to_courses_topics_assessments(user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    AssessmentTopicFactory(assessment=AssessmentFactory(course=course), topic=topic)
    user.delete()
    assert Course.objects.count() == 0
    assert AssessmentTopic.objects.count() == 0


def test_history_records_course_edits(user):
    course = CourseFactory(user=user, name="Calculus")
    course.name = "Calculus I"
    course.save()
    assert [h.name for h in course.history.order_by("history_date")] == ["Calculus", "Calculus I"]
