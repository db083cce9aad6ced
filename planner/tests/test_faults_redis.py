"""Redis stopped while a student posts grades and moves blocks: every request still succeeds.
Once Redis is back, a real worker catches mastery, the plan and the Notion sync up through the
pending sweeps, with nothing lost and nothing duplicated.

The outage is a private redis-server killed with SIGKILL; the shared one is never touched.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from integrations import tasks as integration_tasks
from integrations.models import NotionTask, OutboxEntry
from integrations.notion.services import notion_connect
from integrations.testing.fake_notion import FakeNotion
from mastery import tasks as mastery_tasks
from mastery.models import (
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.services import mastery_recompute_user, performance_record_create
from planner.testing.services import publishing_to, wait_for
from planner.testing.workers import celery_worker, database_url
from planner.tests.faults import private_redis
from scheduling import services as scheduling_services
from scheduling import tasks as scheduling_tasks
from scheduling.models import ReplanRequest, StudyTask, TaskStatus

pytestmark = pytest.mark.services

NOTION_TOKEN = "secret_faults_integration_token"
WORKER_QUEUES = ("mastery", "planning", "sync")
# Longer than every sweep's grace period: the outage "lasted" this long.
OUTAGE = timedelta(minutes=30)


def cache_settings(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1.0,
                "SOCKET_TIMEOUT": 2.0,
            },
        }
    }


def a_student_with_a_plan(user, notion: FakeNotion):
    """Three weak topics before a final in six days, evidence for each, Notion connected and
    the plan pushed, all in-process (tasks run eagerly here)."""
    course = CourseFactory(user=user, name="Calculus", code="MATH 2413")
    final = AssessmentFactory(
        course=course,
        name="Final",
        type=AssessmentType.FINAL,
        weight_percent=30.0,
        due_date=timezone.now() + timedelta(days=6),
    )
    topics = [TopicFactory(course=course, name=name) for name in ("Limits", "Series", "Proofs")]
    # Connected first, so every plan change below is pushed.
    notion.add_token(NOTION_TOKEN)
    integration = notion_connect(
        user=user, token=NOTION_TOKEN, parent_page_id=notion.add_parent_page()
    )
    for index, topic in enumerate(topics):
        AssessmentTopicFactory(assessment=final, topic=topic)
        performance_record_create(
            user=user,
            course=course,
            score=4 + index,
            max_score=10,
            time_spent_min=20,
            completed_at=timezone.now() - timedelta(days=2, hours=index),
            topic_breakdown={str(topic.pk): {"correct": 4 + index, "total": 10, "time_min": 20}},
        )
    scheduling_services.plan_regenerate(user=user, reason="setup")
    return course, topics, integration


def mastery_state(user) -> dict:
    return {
        str(row.topic_id): (
            row.mastery_score,
            row.confidence_interval,
            row.trend,
            row.next_review_date,
            row.observation_count,
        )
        for row in MasteryRecord.objects.for_user(user)
    }


def worker_is_idle(url: str) -> bool:
    client = redis.Redis.from_url(url)
    queued = sum(client.llen(queue) for queue in WORKER_QUEUES)
    return queued == 0 and client.hlen("unacked") == 0


@pytest.mark.django_db(transaction=True)
def test_requests_succeed_while_redis_is_down_and_the_sweeps_catch_up(
    require_postgres, user, client, settings, caplog
):
    notion = FakeNotion().start()
    settings.NOTION_BASE_URL = notion.base_url
    try:
        course, topics, integration = a_student_with_a_plan(user, notion)
        data_source = integration.notion_data_source_id
        blocks = list(
            StudyTask.objects.for_user(user)
            .filter(status=TaskStatus.SCHEDULED)
            .order_by("scheduled_start")
        )
        assert len(blocks) >= 2
        assert len(notion.rows(data_source)) == len(blocks)
        records_before = PerformanceRecord.objects.for_user(user).count()
        mastery_before = mastery_state(user)

        with (
            private_redis() as server,
            publishing_to(server.url),
            override_settings(
                CACHES=cache_settings(server.url),
                SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
            ),
        ):
            client.force_login(user)
            server.stop()
            caplog.set_level(logging.WARNING)

            statuses, slowest = _student_works_while_redis_is_down(client, course, topics, blocks)
            assert all(isinstance(status, int) for status in statuses.values()), json.dumps(
                statuses
            )
            print(f"slowest request with Redis down: {slowest:.2f} s")
            assert "could not publish" in caplog.text

            # Everything committed; nothing was folded, planned or pushed yet, and the durable
            # records say what is owed.
            assert PerformanceRecord.objects.for_user(user).count() == records_before + 3
            assert mastery_state(user) == mastery_before
            assert MasteryRecomputeRequest.objects.for_user(user).count() == 3
            assert ReplanRequest.objects.for_user(user).exists()
            assert OutboxEntry.objects.for_user(user).pending().count() == 2

            server.start()
            # The outage lasted longer than every sweep's grace period.
            MasteryRecomputeRequest.objects.update(requested_at=timezone.now() - OUTAGE)
            ReplanRequest.objects.update(requested_at=timezone.now() - OUTAGE)
            OutboxEntry.objects.pending().update(created_at=timezone.now() - OUTAGE)

            worker_env = {"NOTION_BASE_URL": notion.base_url}
            with celery_worker(
                broker_url=server.url,
                database_url=database_url(connection.settings_dict),
                extra_env=worker_env,
            ) as handle:
                # As beat sends them: through the broker, with no result to wait for.
                for sweep in (
                    mastery_tasks.pending_sweep,
                    scheduling_tasks.replan_pending_sweep,
                    integration_tasks.outbox_sweep,
                ):
                    sweep.apply_async(ignore_result=True)

                def caught_up() -> bool:
                    return (
                        worker_is_idle(server.url)
                        and not MasteryRecomputeRequest.objects.exists()
                        and not ReplanRequest.objects.exists()
                        and not OutboxEntry.objects.pending().exists()
                    )

                wait_for(
                    lambda: caught_up() and (time.sleep(0.5) or caught_up()),
                    what="mastery, the plan and the sync to catch up",
                    log=handle.log,
                )

            _assert_nothing_lost_nothing_duplicated(
                user, topics, records_before, mastery_before, notion, data_source, blocks[:2]
            )
    finally:
        notion.stop()


def _student_works_while_redis_is_down(client, course, topics, blocks):
    statuses: dict[str, int | str] = {}
    slowest = 0.0

    def timed(name, call):
        nonlocal slowest
        started = time.monotonic()
        response = call()
        slowest = max(slowest, time.monotonic() - started)
        statuses[name] = response.status_code
        if not 200 <= response.status_code < 300:
            statuses[f"{name} said"] = response.content.decode()[:500]
        return response

    for index, topic in enumerate(topics):
        payload = {
            "course": str(course.pk),
            "score": 9 - index,
            "max_score": 10,
            "time_spent_min": 25,
            "completed_at": (timezone.now() - timedelta(hours=3 - index)).isoformat(),
            "topic_breakdown": {str(topic.pk): {"correct": 9 - index, "total": 10, "time_min": 25}},
        }
        timed(
            f"grade {index}",
            lambda payload=payload: client.post(
                reverse("api:performance-list"),
                json.dumps(payload),
                content_type="application/json",
            ),
        )
    for index, block in enumerate(blocks[:2]):
        # Five minutes earlier than where it is now: still before its deadline, and inside the
        # break before it.
        current = StudyTask.objects.get(pk=block.pk)
        new_start = current.scheduled_start - timedelta(minutes=5)
        timed(
            f"move {index}",
            lambda block=block, new_start=new_start: client.put(
                reverse("api:task_reschedule", args=[block.pk]),
                # Forced: where the move lands against availability is not this test's matter.
                json.dumps({"new_start_time": new_start.isoformat(), "force": True}),
                content_type="application/json",
            ),
        )
    for name, path in (("dashboard", "/"), ("week plan", "/plan/")):
        response = timed(name, lambda path=path: client.get(path, follow=True))
        # Still logged in: the session came from the database while its cache was down.
        assert reverse("accounts:login") not in response.request["PATH_INFO"], name
    return statuses, slowest


def _assert_nothing_lost_nothing_duplicated(
    user, topics, records_before, mastery_before, notion, data_source, moved
):
    # One record per POST, every topic folded once more, one state row per topic.
    assert PerformanceRecord.objects.for_user(user).count() == records_before + 3
    after = mastery_state(user)
    assert set(after) == {str(topic.pk) for topic in topics}
    for topic in topics:
        assert after[str(topic.pk)][-1] == mastery_before[str(topic.pk)][-1] + 1
        assert MasteryObservation.objects.filter(user=user, topic=topic).count() == 2
    # Exactly what a fresh full recompute gives: folding everything again moves nothing.
    assert mastery_recompute_user(user=user) == []
    assert mastery_state(user) == after

    # The moved blocks kept their place (pinned) and each block is in Notion exactly once.
    for block in moved:
        block.refresh_from_db()
        assert block.is_pinned
    open_blocks = StudyTask.objects.for_user(user).exclude(status=TaskStatus.SKIPPED)
    scheduled = {
        str(pk)
        for pk in open_blocks.filter(scheduled_start__isnull=False).values_list("pk", flat=True)
    }
    rows = notion.rows(data_source)
    planner_ids = Counter(
        "".join(part["text"]["content"] for part in row["properties"]["Planner ID"]["rich_text"])
        for row in rows
    )
    assert all(count == 1 for count in planner_ids.values()), planner_ids
    assert scheduled <= set(planner_ids)
    assert NotionTask.objects.for_user(user).filter(study_task_id__in=scheduled).count() == len(
        scheduled
    )
