"""The adaptive loop end to end through a real worker: a poor grade is posted, mastery drops,
the replan adds practice on that topic, and plan_changed carries that task in its diff."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from integrations.models import IntegrationSettings, OutboxEntry
from mastery.models import MasteryRecord
from scheduling.models import StudyTask

pytestmark = pytest.mark.services

# Polling, not a timed assertion: the deadline only bounds how long a broken pipeline hangs.
WORKER_DEADLINE_S = 90
POLL_INTERVAL_S = 0.25


def wait_for(predicate) -> bool:
    deadline = time.monotonic() + WORKER_DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL_INTERVAL_S)
    return predicate()


def grade(api_client, topic, *, correct: int, hours_ago: float) -> None:
    payload = {
        "course": str(topic.course_id),
        "score": correct,
        "max_score": 10,
        "time_spent_min": 20,
        "completed_at": (timezone.now() - timedelta(hours=hours_ago)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": correct, "total": 10, "time_min": 20}},
    }
    response = api_client.post(reverse("api:performance-list"), payload, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.django_db(transaction=True)
def test_poor_grade_replans_with_practice_through_a_real_worker(
    require_redis, require_postgres, celery_broker, worker_log, api_client, user
):
    topic = TopicFactory(course=CourseFactory(user=user), name="Series")
    # A connected provider makes every plan_changed diff visible as outbox rows.
    IntegrationSettings.objects.create(
        user=user,
        notion_enabled=True,
        notion_access_token="secret_x",
        notion_database_id="db",
        notion_data_source_id="ds",
    )

    grade(api_client, topic, correct=9, hours_ago=30)
    assert wait_for(lambda: MasteryRecord.objects.filter(topic=topic).exists()), worker_log()
    before = MasteryRecord.objects.get(topic=topic).mastery_score

    grade(api_client, topic, correct=1, hours_ago=1)
    assert wait_for(lambda: MasteryRecord.objects.get(topic=topic).observation_count == 2), (
        worker_log()
    )
    dropped = MasteryRecord.objects.get(topic=topic)
    assert dropped.mastery_score < before
    assert dropped.trend == "declining"

    practice_key = f"practice:{topic.pk}:1"  # the first of three sessions
    assert wait_for(lambda: StudyTask.objects.filter(user=user, work_key=practice_key).exists()), (
        worker_log()
    )
    practice = StudyTask.objects.filter(user=user, work_key=practice_key)
    assert all(task.scheduled_start > timezone.now() for task in practice)
    practice_ids = {str(task.pk) for task in practice}
    assert wait_for(
        lambda: (
            practice_ids
            <= set(OutboxEntry.objects.filter(user=user).values_list("study_task_id", flat=True))
        )
    ), worker_log()
