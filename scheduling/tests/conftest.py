"""A student with one course, three topics (B needs A), a final in six days and a quiz."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.services import preferences_get_current
from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from scheduling.tests.factories import MasteryRecordFactory

# A Tuesday noon in New York (17:00 UTC): evenings and the weekend are free for study.
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@dataclass
class Setup:
    user: object
    course: object
    topic_a: object
    topic_b: object
    topic_c: object
    final: object
    quiz: object


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


def make_setup(user) -> Setup:
    prefs = preferences_get_current(user=user)
    prefs.max_hours_per_day = 3.0
    prefs.save()
    course = CourseFactory(user=user, name="Calculus", code="MATH 2413")
    topic_a = TopicFactory(course=course, name="Limits")
    topic_b = TopicFactory(
        course=course, name="Derivatives", prerequisite_topic_ids=[str(topic_a.pk)]
    )
    topic_c = TopicFactory(course=course, name="Integrals")
    final = AssessmentFactory(
        course=course,
        name="Final",
        type=AssessmentType.FINAL,
        weight_percent=30.0,
        due_date=NOW + timedelta(days=6),
    )
    AssessmentTopicFactory(assessment=final, topic=topic_b, weight_in_assessment=60)
    AssessmentTopicFactory(assessment=final, topic=topic_c, weight_in_assessment=40)
    quiz = AssessmentFactory(
        course=course, name="Quiz 3", weight_percent=5.0, due_date=NOW + timedelta(days=3)
    )
    AssessmentTopicFactory(assessment=quiz, topic=topic_c)
    MasteryRecordFactory(topic=topic_a, mastery_score=45.0, confidence_interval=12.0)
    MasteryRecordFactory(topic=topic_b, mastery_score=55.0, confidence_interval=12.0)
    MasteryRecordFactory(topic=topic_c, mastery_score=70.0, confidence_interval=8.0)
    return Setup(user, course, topic_a, topic_b, topic_c, final, quiz)


@pytest.fixture
def setup(user, frozen):
    return make_setup(user)


@pytest.fixture
def other_setup(other_user, frozen):
    return make_setup(other_user)
