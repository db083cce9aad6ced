"""The student's shortest review interval reaches the fold (services, not just the engine)."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.services import preferences_update
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import MasteryRecord
from mastery.services import performance_record_create

pytestmark = pytest.mark.django_db


def quiz(user, course, topic, correct, day):
    return performance_record_create(
        user=user,
        course=course,
        assessment=None,
        score=float(correct),
        max_score=10.0,
        time_spent_min=10,
        completed_at=datetime(2025, 10, day, 9, 0, tzinfo=UTC),
        topic_breakdown={str(topic.pk): {"correct": correct, "total": 10, "time_min": 5}},
        source="api",
    )


@pytest.mark.parametrize(("shortest", "expected"), [(None, 1), (4, 4)])
def test_a_weak_topic_is_reviewed_after_the_students_shortest_interval(
    user, shortest, expected, django_capture_on_commit_callbacks
):
    if shortest is not None:
        preferences_update(user=user, min_review_interval_days=shortest)
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        quiz(user, course, topic, 3, 1)  # mastery far below 70: seed says "tomorrow"
        quiz(user, course, topic, 4, 2)
    row = MasteryRecord.objects.get(user=user, topic=topic)
    assert row.review_interval_days == expected
    assert 1 <= row.review_interval_days <= 365


def test_one_answer_is_not_shown_as_plus_or_minus_fifteen_over_the_api(
    user, api_client, django_capture_on_commit_callbacks
):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        performance_record_create(
            user=user,
            course=course,
            assessment=None,
            score=1.0,
            max_score=1.0,
            time_spent_min=2,
            completed_at=datetime(2025, 10, 1, 9, 0, tzinfo=UTC),
            topic_breakdown={str(topic.pk): {"correct": 1, "total": 1, "time_min": 2}},
            source="api",
        )
    body = api_client.get(reverse("api:mastery-topic-detail", args=[topic.pk])).json()
    # One right answer: the interval is one posterior SD of Beta(2, 1), not the seed's 15.
    assert body["confidence_interval"] == pytest.approx(100 * (2 / 36) ** 0.5, abs=0.1)


def test_a_new_shortest_interval_reaches_the_stored_review_dates_without_new_evidence(
    user, other_user, django_capture_on_commit_callbacks
):
    topics = {}
    for student in (user, other_user):
        course = CourseFactory(user=student)
        topics[student] = TopicFactory(course=course)
        with django_capture_on_commit_callbacks(execute=True):
            quiz(student, course, topics[student], 3, 1)
            quiz(student, course, topics[student], 4, 2)
    assert MasteryRecord.objects.get(user=user).review_interval_days == 1

    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=user, min_review_interval_days=6)

    row = MasteryRecord.objects.get(user=user)
    assert row.review_interval_days == 6
    assert row.next_review_date == datetime(2025, 10, 8, tzinfo=UTC).date()
    # Another student's dates are theirs: nothing of theirs was recomputed.
    assert MasteryRecord.objects.get(user=other_user).review_interval_days == 1


def test_a_preference_the_fold_does_not_read_recomputes_nothing(
    user, django_capture_on_commit_callbacks
):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        quiz(user, course, topic, 3, 1)
    # A stored date no fold would give: a recompute would put it back.
    marker = datetime(2025, 12, 25, tzinfo=UTC).date()
    MasteryRecord.objects.filter(user=user).update(next_review_date=marker)

    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=user, max_hours_per_day=2.5)
    assert MasteryRecord.objects.get(user=user).next_review_date == marker

    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=user, min_review_interval_days=2)
    assert MasteryRecord.objects.get(user=user).next_review_date != marker
