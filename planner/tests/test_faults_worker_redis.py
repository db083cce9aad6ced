"""Redis stopped for 15 s under a busy mastery worker started as the Procfile starts it
(prefork, under planner.supervise): the worker goes on consuming once Redis is back, and every
grade is folded exactly once.

Redis comes back empty, as Redis without persistence does: the queued messages are gone with
it. Nothing is lost because each grade's pending recompute is a row in PostgreSQL, and the
pending sweep resends those through the broker once it is back. Grades posted while Redis is
down commit too; their publish fails fast and the same sweep picks them up.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tasking import intent_enqueue
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks as mastery_tasks
from mastery.models import (
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.services import mastery_recompute_user
from planner.testing.services import publishing_to, wait_for
from planner.testing.workers import celery_worker, database_url
from planner.tests.faults import FaultOutcome, private_redis, report_fault
from planner.tests.test_faults_worker import RECEIVED, long_history

pytestmark = pytest.mark.services

OUTAGE_S = 15
TOPICS = 4
GRADES_BEFORE = 24
# A fold of this many records takes a second or two: long enough to be cut by the outage.
HISTORY_LENGTH = 1500
GRADES_DURING = 8
GRADES_AFTER = 8
# Beat's pending sweep, compressed: resend only what is left once the queue has drained.
SWEEP_INTERVAL_S = 3
# As the Procfile runs it: a prefork pool of two under the supervisor.
WORKER = {
    "queues": "mastery",
    "pool": "prefork",
    "concurrency": 2,
    "supervised": True,
    "as_procfile": True,
}


def post_grade(client, course, topic, index: int) -> int:
    payload = {
        "course": str(course.pk),
        "score": index % 10,
        "max_score": 10,
        "time_spent_min": 10,
        "completed_at": (timezone.now() - timedelta(minutes=500 - index)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": index % 10, "total": 10, "time_min": 10}},
    }
    response = client.post(
        reverse("api:performance-list"), json.dumps(payload), content_type="application/json"
    )
    return response.status_code


def is_idle(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        return client.llen("mastery") == 0 and client.hlen("unacked") == 0
    except redis.RedisError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_busy_worker_outlives_a_redis_outage_and_every_grade_is_folded_once(
    require_postgres, user, client, settings
):
    # Every pending recompute older than nothing is due: the sweep below is the one beat
    # sends after the outage.
    settings.PENDING_SWEEP_GRACE_SECONDS = 0
    course = CourseFactory(user=user)
    topics = [TopicFactory(course=course) for _ in range(TOPICS)]
    long_topic = TopicFactory(course=course)
    long_history(user, long_topic, HISTORY_LENGTH)
    client.force_login(user)
    statuses: list[int] = []

    with (
        private_redis() as server,
        publishing_to(server.url),
        celery_worker(
            broker_url=server.url, database_url=database_url(connection.settings_dict), **WORKER
        ) as handle,
    ):
        supervisor_pid = handle.process.pid
        # The web tier's cache is on the broker's Redis, as in production: a recompute waiting
        # in the queue is marked there, and the worker clears the mark when it starts one.
        settings.CACHES = {
            "default": {
                "BACKEND": "planner.cache.BreakerRedisCache",
                "LOCATION": server.url,
                "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_TIMEOUT": 1.0},
            }
        }
        for index in range(GRADES_BEFORE):
            statuses.append(post_grade(client, course, topics[index % TOPICS], index))
        # Busy: a fold that takes seconds is running when Redis goes, with more work queued.
        intent_enqueue(
            rows=[MasteryRecomputeRequest(user=user, topic=long_topic)],
            task=mastery_tasks.recompute_topics,
            args=(str(user.pk), [str(long_topic.pk)], None),
        )
        assert handle.wait_for_log_match(RECEIVED, timeout=60), handle.log()
        busy = not is_idle(server.url)
        server.stop()
        for index in range(GRADES_BEFORE, GRADES_BEFORE + GRADES_DURING):
            statuses.append(post_grade(client, course, topics[index % TOPICS], index))
        time.sleep(OUTAGE_S)
        server.start()
        back = time.monotonic()

        # The worker (or its supervisor's replacement) consumes again: the sweep's resends and
        # new grades published now are all folded.
        mastery_tasks.pending_sweep()
        total = GRADES_BEFORE + GRADES_DURING + GRADES_AFTER
        for index in range(GRADES_BEFORE + GRADES_DURING, total):
            statuses.append(post_grade(client, course, topics[index % TOPICS], index))

        last_sweep = time.monotonic()

        def caught_up() -> bool:
            nonlocal last_sweep
            if not MasteryRecomputeRequest.objects.exists():
                return is_idle(server.url)
            if is_idle(server.url) and time.monotonic() - last_sweep > SWEEP_INTERVAL_S:
                # A resend lost in the reconnect is sent again, as the next beat would.
                mastery_tasks.pending_sweep()
                last_sweep = time.monotonic()
            return False

        wait_for(caught_up, what="every grade to be folded", log=handle.log, deadline_s=90)
        recovery_s = time.monotonic() - back
        assert handle.process.poll() is None, handle.log()
        assert handle.process.pid == supervisor_pid
        worker_log = handle.log(tail=1_000_000)

    assert busy, "the worker had finished before Redis stopped; the test proved nothing"
    assert statuses == [201] * total
    records = PerformanceRecord.objects.for_user(user).count() - (HISTORY_LENGTH - 1)
    assert records == total
    assert MasteryRecord.objects.get(topic=long_topic).observation_count == HISTORY_LENGTH - 1
    per_topic = total // TOPICS
    duplicates = 0
    for topic in topics:
        row = MasteryRecord.objects.get(user=user, topic=topic)
        steps = MasteryObservation.objects.filter(user=user, topic=topic).count()
        duplicates += max(0, steps - per_topic)
        assert (row.observation_count, steps) == (per_topic, per_topic)
    # Exactly what a fresh full recompute gives.
    assert mastery_recompute_user(user=user) == []
    restarts = worker_log.count("supervise: started") - 1
    report_fault(
        FaultOutcome(
            fault=f"Redis stopped {OUTAGE_S} s (worker restarts: {restarts})",
            sent=total,
            arrived=records,
            duplicates=duplicates,
            errors=sum(1 for status in statuses if status >= 500),
            recovery_s=recovery_s,
        )
    )
    assert "Unrecoverable error" not in worker_log, worker_log[-4000:]
