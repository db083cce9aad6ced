"""The durable-intent helper on its own (accounts.tasking), with a real model's rows: record
with the cause, publish only after commit, resend what is older than the grace, never fail on a
broker outage. Each user (mastery, scheduling, integrations) has its own sweep tests too.

Also the atomic cache lock (accounts.locks) that the replan and the sync take.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.locks import cache_lock
from accounts.tasking import intent_enqueue, intent_sweep, intents_due, pending_grace
from mastery.tasks import recompute_topics
from planner.testing.services import free_port, publishing_to
from scheduling.models import ReplanRequest
from scheduling.tasks import replan_user

pytestmark = pytest.mark.django_db


def replan_rows(*users):
    return [ReplanRequest(user=user, reason="test") for user in users]


def test_rows_commit_with_their_cause_and_the_task_is_published_after_commit(
    user, django_capture_on_commit_callbacks
):
    with (
        mock.patch("accounts.tasking.publish") as publish,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        intent_enqueue(rows=replan_rows(user), task=replan_user, args=(str(user.pk), "x"))
        assert ReplanRequest.objects.count() == 1
        publish.assert_not_called()
    assert len(callbacks) == 1
    publish.assert_called_once_with(replan_user, str(user.pk), "x", countdown=None)


def test_a_rollback_leaves_no_row_and_publishes_nothing(user, django_capture_on_commit_callbacks):
    with (
        mock.patch("accounts.tasking.publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        intent_enqueue(rows=replan_rows(user), task=replan_user, args=(str(user.pk),))
        raise RuntimeError("the cause failed")
    assert not ReplanRequest.objects.exists()
    publish.assert_not_called()


def test_the_sweep_resends_only_what_is_older_than_the_configured_grace(user, other_user, settings):
    settings.PENDING_SWEEP_GRACE_SECONDS = 120
    assert pending_grace() == timedelta(seconds=120)
    ReplanRequest.objects.bulk_create(replan_rows(user, user, other_user))
    ReplanRequest.objects.filter(user=user).update(
        requested_at=timezone.now() - timedelta(seconds=121)
    )
    ReplanRequest.objects.filter(user=other_user).update(
        requested_at=timezone.now() - timedelta(seconds=119)
    )
    with mock.patch("accounts.tasking.publish") as publish:
        resent = intent_sweep(
            ReplanRequest.objects.all(),
            task=replan_user,
            age_field="requested_at",
            fields=("user_id",),
            batch=10,
            args_for=lambda row: (str(row[0]), "pending"),
        )
    # One resend per distinct intent, never the young one.
    assert resent == [(user.pk,)]
    publish.assert_called_once_with(replan_user, str(user.pk), "pending")


def test_the_sweep_is_bounded_by_its_batch(user, other_user):
    ReplanRequest.objects.bulk_create(replan_rows(user, other_user))
    due = intents_due(
        ReplanRequest.objects.all(),
        age_field="requested_at",
        fields=("user_id",),
        batch=1,
        grace=timedelta(0),
    )
    assert len(due) == 1


def test_a_sweep_with_the_broker_down_logs_and_keeps_the_rows(user, caplog):
    ReplanRequest.objects.bulk_create(replan_rows(user))
    caplog.set_level(logging.WARNING, logger="accounts.tasking")
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):
        resent = intent_sweep(
            ReplanRequest.objects.all(),
            task=recompute_topics,
            age_field="requested_at",
            fields=("user_id",),
            batch=10,
            args_for=lambda row: (str(row[0]), [], None),
            grace=timedelta(0),
        )
    assert resent == [(user.pk,)]
    assert "could not publish mastery.tasks.recompute_topics" in caplog.text
    assert ReplanRequest.objects.count() == 1


def test_a_cache_lock_is_exclusive_and_released_by_its_holder():
    with cache_lock("test-lock", timeout=30) as first:
        assert first
        with cache_lock("test-lock", timeout=30) as second:
            assert not second
        with cache_lock("other-lock", timeout=30) as other:
            assert other
    with cache_lock("test-lock", timeout=30) as again:
        assert again


@pytest.mark.services
def test_an_expired_redis_lock_is_never_released_by_its_old_holder(settings):
    """The old get-then-delete could delete a lock another worker took after it expired."""
    from planner.tests.faults import private_redis

    with private_redis() as server:
        settings.CACHES = {
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": server.url}
        }
        first_holder = contextlib.ExitStack()
        assert first_holder.enter_context(cache_lock("expiring", timeout=0.2))
        time.sleep(0.4)
        with cache_lock("expiring", timeout=30) as second:
            assert second
            # The first holder leaves now, after its lock expired and another took it.
            first_holder.close()
            with cache_lock("expiring", timeout=30) as third:
                assert not third


def test_beat_sends_every_periodic_task_without_a_result_to_wait_on():
    from django.conf import settings

    from planner.celery import app

    # Beat subscribes to the result backend for any task whose result is kept.
    for name, entry in app.conf.beat_schedule.items():
        assert entry["options"]["ignore_result"] is True, name
    pending = ("mastery-pending-sweep", "replan-pending-sweep", "gain-refresh-pending-sweep")
    for name in pending:
        schedule = settings.CELERY_BEAT_SCHEDULE[name]["schedule"]
        assert schedule == settings.PENDING_SWEEP_INTERVAL_SECONDS
