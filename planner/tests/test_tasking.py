"""The broker-tolerant enqueue with a broker that is really not there: a free port nobody
listens on, so the publish fails the way it does in production, not through a mock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tasking import enqueue_on_commit, publish
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import MasteryRecomputeRequest, MasteryRecord
from mastery.tasks import recompute_topics
from planner.testing.services import free_port, publishing_to
from scheduling.models import ReplanRequest
from scheduling.services import busy_intervals_for
from scheduling.tests.factories import StudyTaskFactory

pytestmark = pytest.mark.django_db

BROKER_PASSWORD = "broker-password-never-logged"


@pytest.fixture
def broker_down():
    with publishing_to(f"redis://:{BROKER_PASSWORD}@127.0.0.1:{free_port()}/0"):
        yield


def test_publish_to_an_unreachable_broker_logs_a_warning_without_secrets(broker_down, user, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.tasking")
    assert publish(recompute_topics, str(user.pk), [], None) is False
    assert "could not publish mastery.tasks.recompute_topics" in caplog.text
    assert BROKER_PASSWORD not in caplog.text


def test_enqueue_on_commit_publishes_only_after_commit_and_never_raises(
    broker_down, user, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.WARNING, logger="accounts.tasking")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit(recompute_topics, str(user.pk), [], None)
        assert "could not publish" not in caplog.text
    assert len(callbacks) == 1
    assert "could not publish" in caplog.text


def test_a_grade_posted_with_the_broker_down_is_kept_with_its_pending_recompute(
    broker_down, api_client, user, django_capture_on_commit_callbacks
):
    topic = TopicFactory(course=CourseFactory(user=user))
    payload = {
        "course": str(topic.course_id),
        "score": 8,
        "max_score": 10,
        "time_spent_min": 20,
        "completed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": 8, "total": 10, "time_min": 20}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(reverse("api:performance-list"), payload, format="json")
    assert response.status_code == 201, response.content
    assert not MasteryRecord.objects.filter(topic=topic).exists()
    assert list(MasteryRecomputeRequest.objects.values_list("topic_id", flat=True)) == [topic.pk]


def test_a_block_moved_with_the_broker_down_is_kept_with_its_pending_replan(
    broker_down, api_client, user, django_capture_on_commit_callbacks
):
    block = StudyTaskFactory(course=CourseFactory(user=user))
    new_start = timezone.now() + timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.put(
            reverse("api:task_reschedule", args=[block.pk]),
            # Forced: the broker, not the student's availability, is what this test is about.
            {"new_start_time": new_start.isoformat(), "force": True},
            format="json",
        )
    assert response.status_code == 200, response.content
    block.refresh_from_db()
    assert block.is_pinned and block.scheduled_start == new_start
    assert list(ReplanRequest.objects.values_list("reason", flat=True)) == ["moved_by_hand"]


@pytest.fixture
def cache_down(settings):
    """The Redis cache pointed at a port nobody listens on, as in production settings."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }


def test_with_the_cache_down_throttled_writes_and_busy_time_act_as_misses(
    cache_down, api_client, user
):
    response = api_client.post(reverse("api:tokens"), {"name": "script"}, format="json")
    assert response.status_code == 201, response.content
    assert busy_intervals_for(user.pk) == []
