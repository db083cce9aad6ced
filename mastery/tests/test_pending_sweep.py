"""The pending sweep: a recompute whose enqueue was lost is resent once its grace has passed,
never while it may still be in flight, and resending changes nothing the second time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tasking import pending_grace
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks
from mastery.models import MasteryObservation, MasteryRecomputeRequest, MasteryRecord
from mastery.services import (
    mastery_recompute_topics,
    performance_record_create,
    performance_record_delete,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def grade_without_its_task(user, topic, correct=6):
    """The on-commit publish never runs here (the test's transaction never commits): the
    same state a broker outage leaves."""
    return performance_record_create(
        user=user,
        course=topic.course,
        score=correct,
        max_score=10,
        time_spent_min=10,
        completed_at=timezone.now() - timedelta(hours=2),
        topic_breakdown={str(topic.pk): {"correct": correct, "total": 10, "time_min": 10}},
    )


def age_requests(by: timedelta) -> None:
    MasteryRecomputeRequest.objects.update(requested_at=timezone.now() - by)


def test_grace_period_is_honoured_then_the_lost_recompute_is_resent_once(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    grade_without_its_task(user, topic)
    assert MasteryRecomputeRequest.objects.count() == 1

    age_requests(pending_grace() - timedelta(seconds=30))
    assert tasks.pending_sweep() == 0
    assert not MasteryRecord.objects.exists()

    age_requests(pending_grace() + timedelta(seconds=30))
    assert tasks.pending_sweep() == 1
    record = MasteryRecord.objects.get(topic=topic)
    assert record.observation_count == 1
    assert not MasteryRecomputeRequest.objects.exists()

    steps = list(MasteryObservation.objects.values_list("pk", flat=True))
    assert tasks.pending_sweep() == 0
    assert list(MasteryObservation.objects.values_list("pk", flat=True)) == steps


def test_one_resend_per_user_covers_all_their_topics_and_duplicates_are_harmless(user):
    course = CourseFactory(user=user)
    topics = [TopicFactory(course=course) for _ in range(2)]
    for topic in topics:
        grade_without_its_task(user, topic)
        grade_without_its_task(user, topic, correct=9)
    age_requests(pending_grace() * 2)
    assert tasks.pending_sweep() == 1
    assert sorted(MasteryRecord.objects.values_list("observation_count", flat=True)) == [2, 2]
    state = list(MasteryRecord.objects.order_by("topic_id").values_list("mastery_score", "trend"))
    # A second delivery of the same recompute (the sweep racing a late task) moves nothing.
    assert mastery_recompute_topics(user=user, topic_ids=[t.pk for t in topics]) == []
    assert (
        list(MasteryRecord.objects.order_by("topic_id").values_list("mastery_score", "trend"))
        == state
    )


def test_a_recompute_answers_only_the_requests_it_saw(user):
    topic = TopicFactory(course=CourseFactory(user=user))
    grade_without_its_task(user, topic)
    mastery_recompute_topics(user=user, topic_ids=[topic.pk])
    assert not MasteryRecomputeRequest.objects.exists()
    grade_without_its_task(user, topic, correct=2)
    assert MasteryRecomputeRequest.objects.count() == 1


def test_a_grade_for_a_deleted_topic_leaves_no_dangling_request(user):
    course = CourseFactory(user=user)
    kept, deleted = TopicFactory(course=course), TopicFactory(course=course)
    record = performance_record_create(
        user=user,
        course=course,
        score=6,
        max_score=10,
        time_spent_min=10,
        topic_breakdown={
            str(kept.pk): {"correct": 3, "total": 5},
            str(deleted.pk): {"correct": 3, "total": 5},
        },
    )
    MasteryRecomputeRequest.objects.all().delete()
    deleted.delete()
    performance_record_delete(record=record)
    assert list(MasteryRecomputeRequest.objects.values_list("topic_id", flat=True)) == [kept.pk]
