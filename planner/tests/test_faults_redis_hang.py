"""A hung Redis (SIGSTOP: it accepts connections and never answers) must not hold requests:
every Redis touch on the request path has a socket timeout, so a grade POST and a page answer,
and the grade's recompute, left pending in PostgreSQL, is done by the sweep after SIGCONT.

No timing is asserted beyond a bounded wait: each request runs in a thread given a generous
deadline, and the test fails only if a request is still waiting when it passes.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks as mastery_tasks
from mastery.models import MasteryRecomputeRequest, MasteryRecord, PerformanceRecord
from planner.testing.services import publishing_to, wait_for
from planner.testing.workers import celery_worker, database_url
from planner.tests.faults import FaultOutcome, private_redis, report_fault
from planner.tests.test_faults_redis import cache_settings, worker_is_idle

pytestmark = pytest.mark.services

# A request that waits on the hung Redis longer than this is a hang, not a slow answer.
REQUEST_DEADLINE_S = 30
GRADES = 3


def hung_cache_settings(url: str) -> dict:
    """The production cache settings (settings.py defaults) on the private Redis."""
    caches = cache_settings(url)
    caches["default"]["BACKEND"] = "planner.cache.BreakerRedisCache"
    caches["default"]["OPTIONS"].update(
        SOCKET_CONNECT_TIMEOUT=1.0, SOCKET_TIMEOUT=1.0, BREAKER_SECONDS=5.0
    )
    return caches


def answered_within(deadline_s: float, call) -> tuple[object, float]:
    """Run `call` in a thread; its result and duration, or a failure if still waiting."""
    outcome: dict = {}

    def run():
        started = time.monotonic()
        try:
            outcome["result"] = call()
        except Exception as exc:  # reported below, with the rest of the outcome
            outcome["error"] = exc
        finally:
            outcome["seconds"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(deadline_s)
    assert not thread.is_alive(), f"still waiting on the hung Redis after {deadline_s} s"
    assert "error" not in outcome, outcome.get("error")
    return outcome["result"], outcome["seconds"]


@pytest.mark.django_db(transaction=True)
def test_a_hung_redis_holds_no_request_and_the_sweep_recovers_the_work(
    require_postgres, user, client, settings
):
    settings.PENDING_SWEEP_GRACE_SECONDS = 0
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    statuses: list[int] = []
    slowest = 0.0

    def post_grade(index: int) -> int:
        payload = {
            "course": str(course.pk),
            "score": 5 + index,
            "max_score": 10,
            "time_spent_min": 15,
            "completed_at": (timezone.now() - timedelta(hours=5 - index)).isoformat(),
            "topic_breakdown": {str(topic.pk): {"correct": 5 + index, "total": 10}},
        }
        return client.post(
            reverse("api:performance-list"), json.dumps(payload), content_type="application/json"
        ).status_code

    with (
        private_redis() as server,
        publishing_to(server.url),
        override_settings(
            REDIS_URL=server.url,
            CACHES=hung_cache_settings(server.url),
            SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
        ),
        celery_worker(
            broker_url=server.url,
            database_url=database_url(connection.settings_dict),
        ) as handle,
    ):
        client.force_login(user)
        server.pause()
        try:
            for index in range(GRADES):
                status, seconds = answered_within(REQUEST_DEADLINE_S, lambda i=index: post_grade(i))
                statuses.append(status)
                slowest = max(slowest, seconds)
            for path in ("/", "/plan/"):
                response, seconds = answered_within(
                    REQUEST_DEADLINE_S, lambda path=path: client.get(path, follow=True)
                )
                statuses.append(response.status_code)
                slowest = max(slowest, seconds)
                assert reverse("accounts:login") not in response.request["PATH_INFO"]
            print(f"slowest request with Redis hung: {slowest:.2f} s")
            # Committed, and owed: the recompute waits in PostgreSQL, not in the hung broker.
            assert PerformanceRecord.objects.for_user(user).count() == GRADES
            assert MasteryRecomputeRequest.objects.filter(topic=topic).exists()
        finally:
            server.resume()
        back = time.monotonic()

        def caught_up() -> bool:
            if MasteryRecomputeRequest.objects.exists():
                if worker_is_idle(server.url):
                    mastery_tasks.pending_sweep()
                return False
            return worker_is_idle(server.url)

        wait_for(
            lambda: caught_up() and (time.sleep(0.5) or caught_up()),
            what="the sweep to recover the recompute",
            log=handle.log,
            interval_s=1.0,
            deadline_s=40,
        )
        recovery_s = time.monotonic() - back

    assert statuses == [201] * GRADES + [200, 200]
    record = MasteryRecord.objects.get(user=user, topic=topic)
    assert record.observation_count == GRADES
    report_fault(
        FaultOutcome(
            fault=f"Redis hung (SIGSTOP), slowest request {slowest:.1f} s",
            sent=GRADES,
            arrived=PerformanceRecord.objects.for_user(user).count(),
            duplicates=max(0, record.observation_count - GRADES),
            errors=sum(1 for status in statuses if status >= 500),
            recovery_s=recovery_s,
        )
    )
