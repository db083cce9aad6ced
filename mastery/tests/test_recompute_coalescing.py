"""A burst of evidence for one student publishes one recompute: evidence that commits while a
recompute of the student is queued (and has not started) joins it instead of publishing its
own, and the recompute folds every topic with a pending request when it starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import accounts.tasking
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks
from mastery.models import MasteryRecomputeRequest, MasteryRecord
from mastery.services import performance_record_create
from mastery.services.recompute import RECOMPUTE_QUEUED_KEY
from planner.celery import app as celery_app

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def published(monkeypatch):
    """The web tier's publishes, recorded instead of sent: no worker runs here, the test plays
    it by calling the task's function."""
    sent = []
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        accounts.tasking, "publish", lambda task, *args, **kwargs: sent.append((task.name, args))
    )
    return sent


@pytest.fixture
def redis_cache(require_redis, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": require_redis}
    }
    from django.core.cache import cache

    yield cache
    cache.delete_pattern(RECOMPUTE_QUEUED_KEY.format(user_id="*"))


def grade(user, topics, django_capture_on_commit_callbacks, correct=6):
    with django_capture_on_commit_callbacks(execute=True):
        return performance_record_create(
            user=user,
            course=topics[0].course,
            score=correct,
            max_score=10,
            time_spent_min=10,
            completed_at=timezone.now() - timedelta(hours=1),
            topic_breakdown={
                str(topic.pk): {"correct": correct, "total": 10, "time_min": 5} for topic in topics
            },
        )


def recomputes(sent) -> list[tuple]:
    return [args for name, args in sent if name == "mastery.tasks.recompute_topics"]


@pytest.mark.services
def test_evidence_joins_the_queued_recompute_which_folds_it_when_it_starts(
    user, redis_cache, published, django_capture_on_commit_callbacks
):
    course = CourseFactory(user=user)
    algebra, limits = TopicFactory(course=course), TopicFactory(course=course)
    first = grade(user, [algebra], django_capture_on_commit_callbacks)
    (queued,) = recomputes(published)
    assert queued == (str(user.pk), [str(algebra.pk)], str(first.pk))

    # Committed while that recompute waits in the queue: written, not published.
    grade(user, [algebra, limits], django_capture_on_commit_callbacks)
    grade(user, [limits], django_capture_on_commit_callbacks)
    assert len(recomputes(published)) == 1
    assert MasteryRecomputeRequest.objects.filter(user=user).count() == 4

    # The worker runs the one recompute: it folds every pending topic, not only its own.
    tasks.recompute_topics.run(*queued)
    assert not MasteryRecomputeRequest.objects.filter(user=user).exists()
    counts = dict(MasteryRecord.objects.filter(user=user).values_list("topic", "observation_count"))
    assert counts == {algebra.pk: 2, limits.pk: 2}

    # Started, it no longer holds the door: the next evidence publishes a recompute of its own.
    grade(user, [limits], django_capture_on_commit_callbacks)
    assert len(recomputes(published)) == 2


@pytest.mark.services
def test_evidence_publishes_when_the_cache_cannot_say(
    user, redis_cache, published, monkeypatch, django_capture_on_commit_callbacks
):
    topic = TopicFactory(course=CourseFactory(user=user))
    # What the Redis backend answers while Redis is down (its errors are ignored): None.
    from django.core.cache import caches

    monkeypatch.setattr(caches["default"], "add", lambda *args, **kwargs: None)
    grade(user, [topic], django_capture_on_commit_callbacks)
    grade(user, [topic], django_capture_on_commit_callbacks)
    assert len(recomputes(published)) == 2


def test_without_a_shared_cache_every_record_publishes(
    user, published, settings, django_capture_on_commit_callbacks
):
    # The in-process cache cannot be cleared by a worker in another process.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    topic = TopicFactory(course=CourseFactory(user=user))
    grade(user, [topic], django_capture_on_commit_callbacks)
    grade(user, [topic], django_capture_on_commit_callbacks)
    assert len(recomputes(published)) == 2
