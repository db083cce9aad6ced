"""Thin Celery tasks on the sync queue: ids in, one service call, idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.tasking import intent_sweep, publish
from integrations import providers, services
from integrations.errors import TransientSyncError
from integrations.lms import services as lms_services
from integrations.lms.sources import LmsReadError
from integrations.models import IntegrationSettings, LmsConnection, OutboxEntry

SYNC_SOFT_TIME_LIMIT = 100
SYNC_TIME_LIMIT = 120
SWEEP_TIME_LIMIT = 60
# Six retries with a 10 s base (10, 20, ... 320 s, each jittered down to half): five to ten
# minutes of trying before the failure is shown to the student.
MAX_RETRIES = 6
# Bounded batches: one sweep never floods the queue; the next one takes the rest.
SWEEP_BATCH = 500


def retry_delay(retries: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter, never sooner than the provider's Retry-After."""
    backoff = min(
        settings.SYNC_BACKOFF_MAX_SECONDS, settings.SYNC_BACKOFF_BASE_SECONDS * 2**retries
    )
    jittered = backoff * random.uniform(0.5, 1.0)
    return max(jittered, retry_after or 0.0)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SYNC_SOFT_TIME_LIMIT,
    time_limit=SYNC_TIME_LIMIT,
    max_retries=MAX_RETRIES,
)
def sync_provider(self, user_id: str, provider: str, pull: bool = False) -> bool:
    try:
        return services.provider_sync(user_id=user_id, provider=provider, pull=pull)
    except TransientSyncError as exc:
        if self.request.retries >= self.max_retries:
            # The last try failed too: stop here and tell the student and staff, instead of
            # retrying forever or failing where only the worker log would show it.
            services.integration_sync_failed(
                user_id=user_id,
                provider=provider,
                message=exc.message,
                attempts=1 + self.max_retries,
            )
            raise
        raise self.retry(
            countdown=retry_delay(self.request.retries, exc.retry_after), exc=exc
        ) from exc


@shared_task(acks_late=True, soft_time_limit=SWEEP_TIME_LIMIT - 10, time_limit=SWEEP_TIME_LIMIT)
def outbox_sweep() -> int:
    """Resends what a lost enqueue or a dead worker left in the outbox."""
    resent = intent_sweep(
        OutboxEntry.objects.pending(),
        task=sync_provider,
        age_field="created_at",
        fields=("user_id", "provider"),
        batch=SWEEP_BATCH,
        args_for=lambda row: (str(row[0]), row[1], False),
        # Younger rows are still in flight from their own enqueue.
        grace=timedelta(seconds=settings.SYNC_OUTBOX_GRACE_SECONDS),
    )
    return len(resent)


@shared_task(acks_late=True, soft_time_limit=SWEEP_TIME_LIMIT - 10, time_limit=SWEEP_TIME_LIMIT)
def poll_sweep() -> int:
    """Pulls each connected student whose auto_sync_interval_min has passed."""
    now = timezone.now()
    pollable = Q(pk__in=[])
    for registered in providers.all_providers():
        pollable |= registered.poll_condition()
    due = (
        IntegrationSettings.objects.filter(pollable)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at")[:SWEEP_BATCH]
    )
    count = 0
    for integration in due:
        for provider in services.enabled_providers(integration):
            publish(sync_provider, str(integration.user_id), provider, True)
            count += 1
    return count


# --- LMS (Canvas, Moodle) --------------------------------------------------------------------
# A full re-read of a few courses is a few dozen requests of up to LMS_FEED_TIMEOUT_SECONDS.
LMS_SYNC_SOFT_TIME_LIMIT = 240
LMS_SYNC_TIME_LIMIT = 300


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=LMS_SYNC_SOFT_TIME_LIMIT,
    time_limit=LMS_SYNC_TIME_LIMIT,
    max_retries=MAX_RETRIES,
)
def lms_sync(self, connection_id: str) -> bool:
    """Re-reads one connected LMS; new assignments, moved dates and new grades flow in."""
    connection = LmsConnection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None:
        return False
    try:
        lms_services.lms_connection_sync(connection=connection)
    except LmsReadError as exc:
        if self.request.retries >= self.max_retries:
            # The error is already on the connection for the student; the next sweep tries again.
            return False
        raise self.retry(
            countdown=retry_delay(self.request.retries, exc.retry_after), exc=exc
        ) from exc
    except ApplicationError:
        # A refused token or a broken rule: noted on the connection, a retry will not fix it.
        return False
    return True


@shared_task(acks_late=True, soft_time_limit=SWEEP_TIME_LIMIT - 10, time_limit=SWEEP_TIME_LIMIT)
def lms_sync_sweep() -> int:
    """Queues a re-read of every LMS connection whose next sync time has come."""
    now = timezone.now()
    due_ids = list(
        LmsConnection.objects.due_for_sync(now)
        .order_by("next_sync_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Claimed before publishing, so the next tick does not queue the same rows again while
    # these runs are in flight; the run itself sets the following time.
    LmsConnection.objects.filter(pk__in=due_ids).update(
        next_sync_at=now + lms_services.LMS_SYNC_INTERVAL
    )
    for connection_id in due_ids:
        publish(lms_sync, str(connection_id))
    return len(due_ids)
