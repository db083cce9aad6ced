"""A real Celery worker for the sync scenarios, pointed at fake providers in this process.

The fake Google and Notion servers start before the worker, so its environment can point the
real client libraries at them; the worker runs on a private redis-server (its broker, cache,
locks and rate-limit buckets), so no other test session's worker can take its messages, with
retry backoff shortened so a retried scenario takes about a second. Tests publish to that broker
as the web tier does and wait for outcomes by polling with a deadline (the deadline only bounds
how long a broken pipeline hangs; nothing here asserts a duration).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.result import allow_join_result
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from integrations import services, tasks
from integrations.models import IntegrationSettings, OutboxEntry
from integrations.notion import services as notion_services
from integrations.testing.fake_google import FakeGoogle
from integrations.testing.fake_notion import FakeNotion
from integrations.tests.conftest import NOTION_TOKEN
from planner.testing.services import wait_for as shared_wait_for
from planner.testing.workers import database_url, start_worker
from scheduling import services as scheduling_services
from scheduling.models import StudyTask
from scheduling.tests.factories import MasteryRecordFactory

WORKER_DEADLINE_S = 90
# The pin of a moved block asks for a replan, so the worker plans too.
WORKER_QUEUES = "sync,planning,mastery"
POLL_INTERVAL_S = 0.1
# Short backoff for the test worker: the production base is 10 s doubling to 600 s.
FAST_BACKOFF_ENV = {"SYNC_BACKOFF_BASE_SECONDS": "0.1", "SYNC_BACKOFF_MAX_SECONDS": "0.5"}


# The broker of the module's worker; set by the module-scoped `worker_redis` fixture, which is
# the only writer (modules run one after another within a test process).
_current_broker: dict[str, str] = {}


def worker_broker_url() -> str:
    return _current_broker["url"]


def provider_env(google: FakeGoogle, notion: FakeNotion) -> dict[str, str]:
    return {
        "GOOGLE_API_ENDPOINT": google.base_url,
        "GOOGLE_TOKEN_URI": f"{google.base_url}/token",
        "GOOGLE_AUTH_URI": f"{google.base_url}/o/oauth2/auth",
        "GOOGLE_REVOKE_URI": f"{google.base_url}/revoke",
        "GOOGLE_CLIENT_ID": "test-client.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "test-client-secret",
        "NOTION_BASE_URL": notion.base_url,
        **FAST_BACKOFF_ENV,
    }


def start_sync_worker(google, notion, **extra_env):
    from planner.testing.workers import WorkerDidNotStart

    try:
        return start_worker(
            broker_url=worker_broker_url(),
            database_url=database_url(connection.settings_dict),
            queues=WORKER_QUEUES,
            extra_env={**provider_env(google, notion), **extra_env},
        )
    except WorkerDidNotStart as exc:
        pytest.fail(f"the sync worker did not start:\n{exc}")


def wait_for(predicate, handle, what: str) -> None:
    shared_wait_for(
        predicate,
        what=what,
        log=handle.log,
        deadline_s=WORKER_DEADLINE_S,
        interval_s=POLL_INTERVAL_S,
    )


def wait_idle(handle) -> None:
    """Until the worker has nothing queued or in hand (a late-acked message stays in kombu's
    `unacked` hash while it runs), so the test database is not flushed under a running task."""
    import redis

    client = redis.Redis.from_url(worker_broker_url())

    def idle() -> bool:
        queued = sum(client.llen(queue) for queue in WORKER_QUEUES.split(","))
        return queued == 0 and client.hlen("unacked") == 0

    wait_for(lambda: idle() and (time.sleep(0.3) or idle()), handle, "the worker to go idle")


def realistic_plan(user) -> list[StudyTask]:
    """A course with a final in six days and weak topics, planned by the real planner."""
    course = CourseFactory(user=user, name="Calculus", code="MATH 2413")
    final = AssessmentFactory(
        course=course,
        name="Final",
        type=AssessmentType.FINAL,
        weight_percent=30.0,
        due_date=timezone.now() + timedelta(days=6),
    )
    for name, score in [("Limits", 45.0), ("Derivatives", 55.0), ("Integrals", 60.0)]:
        topic = TopicFactory(course=course, name=name)
        AssessmentTopicFactory(assessment=final, topic=topic)
        MasteryRecordFactory(topic=topic, mastery_score=score, confidence_interval=12.0)
    scheduling_services.plan_regenerate(user=user)
    return list(
        StudyTask.objects.for_user(user)
        .filter(scheduled_start__isnull=False)
        .order_by("scheduled_start")
    )


def google_student(google: FakeGoogle) -> IntegrationSettings:
    access, refresh = google.issue_tokens()
    return IntegrationSettings.objects.create(
        user=UserFactory(),
        google_calendar_enabled=True,
        google_access_token=access,
        google_refresh_token=refresh,
    )


def notion_student(notion: FakeNotion, *, two_way: bool = False) -> IntegrationSettings:
    notion.add_token(NOTION_TOKEN)
    integration = notion_services.notion_connect(
        user=UserFactory(), token=NOTION_TOKEN, parent_page_id=notion.add_parent_page()
    )
    integration.notion_two_way_sync = two_way
    integration.save()
    return integration


def plan_changed(integration, *, created=(), moved=()) -> None:
    """The plan-change path: outbox rows in one transaction, the sync enqueued on commit."""
    services.outbox_record_plan_change(
        user_id=integration.user_id,
        created=[str(t.pk) for t in created],
        moved=[str(t.pk) for t in moved],
        deleted=[],
    )


def wait_delivered(integration, handle) -> None:
    def drained():
        return not OutboxEntry.objects.filter(user_id=integration.user_id).pending().exists()

    wait_for(drained, handle, "the outbox to drain")


def sync(integration, provider: str, handle, *, pull: bool = True):
    """One sync_provider run through the worker, waiting for its final state (retries too)."""
    result = tasks.sync_provider.delay(str(integration.user_id), provider, pull)
    try:
        # Celery's "inside a task" flag is one global that eager runs on several threads (the
        # concurrency tests) can leave set; this process is not a worker, so waiting is fine.
        with allow_join_result():
            result.get(timeout=WORKER_DEADLINE_S, propagate=False)
    except Exception as exc:  # a timeout: show what the worker did
        pytest.fail(f"sync did not finish: {exc}\n{handle.log()}")
    return result


def calendar_of(integration) -> str:
    integration.refresh_from_db()
    return integration.google_calendar_id


def inserts(google: FakeGoogle) -> list[str]:
    return [p for m, p in google.request_log if m == "POST" and p.endswith("/events")]
