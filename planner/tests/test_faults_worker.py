"""A worker killed with SIGKILL in the middle of a mastery recompute: the same message is
delivered again to the next worker, runs to the end once, and leaves exactly what a fresh
recompute gives.

The task is slow for an honest reason: the topic has a long history, and the fold replays
every piece of evidence and writes a history row for each. Redelivery is Redis's own: a
late-acked message whose worker vanished goes back on the queue once the visibility timeout
has passed, which the test workers shorten through CELERY_VISIBILITY_TIMEOUT.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import (
    EvidenceSource,
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.services import mastery_recompute_user, performance_record_create
from planner.testing.services import publishing_to, wait_for
from planner.testing.workers import celery_worker, database_url, start_worker, stop_worker
from planner.tests.faults import FaultOutcome, private_redis, report_fault

pytestmark = pytest.mark.services

# Enough evidence that one fold takes seconds, so the kill lands inside it.
HISTORY_LENGTH = 4000
VISIBILITY_TIMEOUT_S = 2
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S)}
# Once the task is received the fold has begun; this pause only moves the kill past its first
# statements. The assertions below check the kill really came before the end.
KILL_AFTER_RECEIVED_S = 0.5
RECEIVED = re.compile(r"Task mastery\.tasks\.recompute_topics\[([0-9a-f-]+)\] received")


def long_history(user, topic, length: int = HISTORY_LENGTH) -> None:
    """A semester of daily practice on one topic, stored as the grade import stores it."""
    start = timezone.now() - timedelta(days=30)
    PerformanceRecord.objects.bulk_create(
        PerformanceRecord(
            user=user,
            course=topic.course,
            score=float(index % 10),
            max_score=10.0,
            percentage=float(index % 10) * 10,
            time_spent_min=10,
            completed_at=start + timedelta(minutes=5 * index),
            topic_breakdown={str(topic.pk): {"correct": index % 10, "total": 10, "time_min": 10}},
            source=EvidenceSource.IMPORT,
        )
        for index in range(length - 1)
    )


def state_of(user) -> list[tuple]:
    return list(
        MasteryRecord.objects.for_user(user).values_list(
            "topic_id", "mastery_score", "confidence_interval", "trend", "observation_count"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_recompute_killed_mid_task_is_redelivered_and_completes_once(require_postgres, user):
    topic = TopicFactory(course=CourseFactory(user=user))
    long_history(user, topic)
    database = database_url(connection.settings_dict)

    with private_redis() as server, publishing_to(server.url):
        first = start_worker(broker_url=server.url, database_url=database, extra_env=WORKER_ENV)
        try:
            # The newest grade arrives through the API's service: one request row, one message.
            performance_record_create(
                user=user,
                course=topic.course,
                score=7,
                max_score=10,
                time_spent_min=15,
                topic_breakdown={str(topic.pk): {"correct": 7, "total": 10, "time_min": 15}},
            )
            assert first.wait_for_log("recompute_topics[", timeout=60), first.log()
            task_id = RECEIVED.search(first.log(tail=1_000_000)).group(1)
            time.sleep(KILL_AFTER_RECEIVED_S)
            first.kill()
            killed_at = time.monotonic()
            first_log = first.log(tail=1_000_000)
        finally:
            stop_worker(first)

        # Killed inside the fold: its transaction rolled back and nothing was acknowledged.
        assert f"recompute_topics[{task_id}] succeeded" not in first_log, first_log[-4000:]
        assert not MasteryRecord.objects.filter(topic=topic).exists()
        assert MasteryRecomputeRequest.objects.filter(topic=topic).count() == 1

        # Past the visibility timeout, the next worker takes the same message back.
        time.sleep(VISIBILITY_TIMEOUT_S + 1)
        with celery_worker(
            broker_url=server.url, database_url=database, extra_env=WORKER_ENV
        ) as second:
            wait_for(
                lambda: f"recompute_topics[{task_id}] succeeded" in second.log(tail=1_000_000),
                what="the redelivered recompute to finish",
                log=second.log,
            )
            second_log = second.log(tail=1_000_000)
            recovery_s = time.monotonic() - killed_at
        succeeded = re.findall(
            rf"recompute_topics\[{task_id}\] succeeded in ([0-9.]+)s", second_log
        )
        print(f"the redelivered fold of {HISTORY_LENGTH} records took {succeeded[0]} s")

    assert second_log.count(f"recompute_topics[{task_id}] received") == 1
    assert len(succeeded) == 1
    # Exactly once in effect: one state row, one history step per record, no request left.
    assert MasteryRecord.objects.filter(topic=topic).count() == 1
    assert MasteryObservation.objects.filter(topic=topic).count() == HISTORY_LENGTH
    assert state_of(user)[0][-1] == HISTORY_LENGTH
    assert not MasteryRecomputeRequest.objects.exists()
    folded = state_of(user)
    assert mastery_recompute_user(user=user) == []
    assert state_of(user) == folded
    report_fault(
        FaultOutcome(
            fault="worker SIGKILLed mid-recompute",
            sent=1,
            arrived=PerformanceRecord.objects.filter(user=user).count() - (HISTORY_LENGTH - 1),
            duplicates=MasteryObservation.objects.filter(topic=topic).count() - HISTORY_LENGTH,
            errors=0,
            recovery_s=recovery_s,
        )
    )
