"""The transactional outbox, the receiver of plan_changed, Celery tasks, the sync lock and the
rate limiter."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from integrations import locks, ratelimit, services, tasks
from integrations.errors import SyncBusyError, TransientSyncError
from integrations.models import CalendarBlock, NotionTask, OutboxEntry, Provider
from integrations.tests.factories import IntegrationSettingsFactory, StudyTaskFactory
from scheduling.signals import plan_changed

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def send_plan_changed(user, *, created=(), moved=(), deleted=()):
    plan_changed.send(
        sender=None,
        user_id=user.pk,
        created=[str(t) for t in created],
        moved=[str(t) for t in moved],
        deleted=[str(t) for t in deleted],
    )


def test_plan_changed_pushes_to_every_connected_provider(
    google_connected, notion_connected, fake_google, fake_notion, django_capture_on_commit_callbacks
):
    task = StudyTaskFactory(user=google_connected.user)
    with django_capture_on_commit_callbacks(execute=True):
        send_plan_changed(task.user, created=[task.pk])

    assert CalendarBlock.objects.get(study_task=task).is_synced
    assert NotionTask.objects.get(study_task=task).is_synced
    assert OutboxEntry.objects.pending().count() == 0
    assert OutboxEntry.objects.count() == 2


def test_plan_changed_without_integrations_writes_nothing(user):
    send_plan_changed(user, created=[StudyTaskFactory(user=user).pk])
    assert not OutboxEntry.objects.exists()


def test_lost_enqueue_is_resent_by_the_sweep(
    google_connected, fake_google, monkeypatch, django_capture_on_commit_callbacks
):
    task = StudyTaskFactory(user=google_connected.user)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.sync_provider, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        send_plan_changed(task.user, created=[task.pk])
    assert OutboxEntry.objects.pending().count() == 1  # the change survived the outage
    monkeypatch.undo()
    fresh = timezone.now()
    assert tasks.outbox_sweep() == 0  # still within the grace period of its own enqueue
    OutboxEntry.objects.update(created_at=fresh - timedelta(minutes=5))

    assert tasks.outbox_sweep() == 1

    assert OutboxEntry.objects.pending().count() == 0
    assert len(fake_google.live_events(CalendarBlock.objects.get().google_calendar_id)) == 1


def test_transient_error_retries_the_task_and_honours_retry_after(
    google_connected, fake_google, monkeypatch
):
    task = StudyTaskFactory(user=google_connected.user)
    services.outbox_record_plan_change(
        user_id=task.user_id, created=[str(task.pk)], moved=[], deleted=[]
    )
    fake_google.inject_fault(
        method="GET", path_contains="calendarList", status=429, headers={"Retry-After": "30"}
    )
    countdowns = []
    original_retry = tasks.sync_provider.retry

    def recording_retry(*args, **kwargs):
        countdowns.append(kwargs["countdown"])
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(tasks.sync_provider, "retry", recording_retry)

    # Eager Celery with propagation hands the Retry back instead of running it.
    with pytest.raises(Retry) as caught:
        tasks.sync_provider.delay(str(task.user_id), Provider.GOOGLE, False)

    assert caught.value.when >= 30 and countdowns == [caught.value.when]
    entry = OutboxEntry.objects.get()
    assert entry.sent_at is None and entry.attempts == 1 and "429" in entry.last_error
    tasks.sync_provider.delay(str(task.user_id), Provider.GOOGLE, False)  # the retry
    entry.refresh_from_db()
    assert entry.sent_at is not None
    assert CalendarBlock.objects.get().is_synced


def test_last_retry_that_fails_records_the_failure_for_the_student(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    services.outbox_record_plan_change(
        user_id=task.user_id, created=[str(task.pk)], moved=[], deleted=[]
    )
    fake_google.inject_fault(method="POST", path_contains="/events", status=503, times=10)

    with pytest.raises(TransientSyncError):
        tasks.sync_provider.apply(
            args=[str(task.user_id), Provider.GOOGLE, False], retries=tasks.MAX_RETRIES
        )

    google_connected.refresh_from_db()
    assert f"failed after {1 + tasks.MAX_RETRIES} attempts" in google_connected.google_error
    assert google_connected.google_calendar_enabled  # still connected: only the sync failed
    assert OutboxEntry.objects.pending().count() == 1  # kept for the next sync


def test_retry_delay_backs_off_with_jitter_and_respects_retry_after():
    delays = [tasks.retry_delay(retries, None) for retries in range(4)]
    assert 5 <= delays[0] <= 10
    assert 20 <= delays[2] <= 40
    assert tasks.retry_delay(0, 120.0) == 120.0
    assert tasks.retry_delay(20, None) <= settings.SYNC_BACKOFF_MAX_SECONDS


def test_sync_is_skipped_while_another_worker_holds_the_lock(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    services.outbox_record_plan_change(
        user_id=task.user_id, created=[str(task.pk)], moved=[], deleted=[]
    )
    with locks.sync_lock(task.user_id, Provider.GOOGLE):
        ran = services.provider_sync(user_id=task.user_id, provider=Provider.GOOGLE, pull=False)
    assert ran is False
    assert fake_google.total_requests() == 0
    assert OutboxEntry.objects.pending().count() == 1
    assert services.provider_sync(user_id=task.user_id, provider=Provider.GOOGLE, pull=False)
    assert OutboxEntry.objects.pending().count() == 0


def test_lock_is_per_user_and_provider_and_released(user, other_user):
    with locks.sync_lock(user.pk, Provider.GOOGLE):
        with pytest.raises(SyncBusyError), locks.sync_lock(user.pk, Provider.GOOGLE):
            pass
        with locks.sync_lock(other_user.pk, Provider.GOOGLE):
            pass
        with locks.sync_lock(user.pk, Provider.NOTION):
            pass
    assert cache.get(locks.sync_lock_key(user.pk, Provider.GOOGLE)) is None


def test_poll_sweep_enqueues_only_students_whose_interval_passed(
    google_connected, other_user, monkeypatch
):
    now = timezone.now()
    google_connected.next_poll_at = now - timedelta(minutes=1)
    google_connected.save()
    IntegrationSettingsFactory(
        user=other_user, google_calendar_enabled=True, next_poll_at=now + timedelta(minutes=5)
    )
    enqueued = []
    monkeypatch.setattr(tasks.sync_provider, "delay", lambda *args: enqueued.append(args))

    assert tasks.poll_sweep() == 1

    assert enqueued == [(str(google_connected.user_id), Provider.GOOGLE, True)]


def test_local_token_bucket_paces_notion_at_its_rate(fresh_cache_and_buckets):
    waits = fresh_cache_and_buckets
    for _ in range(8):
        ratelimit.acquire("notion:test", rate=2.5, burst=3)
    assert waits[0] > 0 and len(waits) == 5
    # Each request past the burst waits a further 1/2.5 s (clock drift between calls aside).
    assert waits[-1] == pytest.approx(5 / 2.5, abs=0.1)


def test_redis_token_bucket_is_shared_and_atomic(require_redis):
    import redis

    client = redis.Redis.from_url(require_redis)
    key = "notion:redis-test"
    client.delete(ratelimit.REDIS_KEY_PREFIX + key)
    first = ratelimit.RedisTokenBucket(client)
    second = ratelimit.RedisTokenBucket(client)  # another worker
    now = 1_000_000.0
    waits = [bucket.reserve(key, rate=2.5, burst=3, now=now) for bucket in [first, second] * 3]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == [0.4, 0.8, 1.2]
    assert first.reserve(key, rate=2.5, burst=3, now=now + 10) == 0.0
    client.delete(ratelimit.REDIS_KEY_PREFIX + key)
