"""The real pipeline: API -> commit -> Redis -> `celery worker` -> PostgreSQL."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import MasteryRecord

pytestmark = pytest.mark.services

# Polling, not a timed assertion: the deadline only bounds how long a broken pipeline hangs.
WORKER_DEADLINE_S = 60
POLL_INTERVAL_S = 0.25


def wait_for(predicate):
    deadline = time.monotonic() + WORKER_DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL_INTERVAL_S)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_posted_grade_changes_mastery_through_a_real_worker(
    require_redis, require_postgres, celery_broker, worker_log, api_client, user
):
    topic = TopicFactory(course=CourseFactory(user=user))
    payload = {
        "course": str(topic.course_id),
        "score": 9,
        "max_score": 10,
        "time_spent_min": 20,
        "completed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": 9, "total": 10, "time_min": 20}},
    }
    response = api_client.post(reverse("api:performance-list"), payload, format="json")
    assert response.status_code == 201
    # Eager mode is off: nothing ran in this process.
    assert not MasteryRecord.objects.filter(topic=topic).exists()

    assert wait_for(lambda: MasteryRecord.objects.filter(topic=topic).exists()), worker_log()
    record = MasteryRecord.objects.get(topic=topic)
    assert record.observation_count == 1
    assert record.mastery_score > 50

    payload["score"] = 1
    payload["completed_at"] = timezone.now().isoformat()
    payload["topic_breakdown"][str(topic.pk)]["correct"] = 1
    assert (
        api_client.post(reverse("api:performance-list"), payload, format="json").status_code == 201
    )
    assert wait_for(lambda: MasteryRecord.objects.get(topic=topic).observation_count == 2), (
        worker_log()
    )
    assert MasteryRecord.objects.get(topic=topic).mastery_score < record.mastery_score
