"""Thin Celery tasks of the `notify` queue: ids (or a slot) in, one service call."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone

from accounts.tasking import pending_grace, publish
from journey.notifications import delivery, sweeps
from journey.notifications.kinds import NotificationKind
from journey.notifications.timing import slot_end

logger = logging.getLogger(__name__)

# One email is one SMTP exchange (well under a second on a healthy server); a batch of a
# slot's deliveries fits in a few minutes, and the hard limit leaves the soft one time to stop.
DELIVER_SOFT_TIME_LIMIT_S = 240
DELIVER_TIME_LIMIT_S = 300
# Preparing a batch of daily emails is a handful of queries plus formatting: under a few
# seconds for 500 students (bench/bench_notify.py).
SLOT_SOFT_TIME_LIMIT_S = 120
SLOT_TIME_LIMIT_S = 150
RETRY_MAX = 3
# A replan writes its snapshot and notice in its own transaction; the sweep looks back far
# enough to catch one whose on-commit task was lost, with two sweeps of overlap.
PLAN_EVENTS_LOOKBACK = timedelta(minutes=10)


def _common(name: str, soft: int, hard: int) -> dict:
    return {
        "name": name,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "soft_time_limit": soft,
        "time_limit": hard,
    }


@shared_task(
    **_common(
        "journey.tasks.notifications_deliver", DELIVER_SOFT_TIME_LIMIT_S, DELIVER_TIME_LIMIT_S
    )
)
def notifications_deliver(notification_ids: list[str]) -> int:
    """Send what is due of these notifications; each channel at most once (see delivery)."""
    sent = 0
    for notification_id in notification_ids:
        if delivery.notification_deliver(notification_id=notification_id) is not None:
            sent += 1
    return sent


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=RETRY_MAX,
    **_common("journey.tasks.slot_notify", SLOT_SOFT_TIME_LIMIT_S, SLOT_TIME_LIMIT_S),
)
def slot_notify(self, kind: str, end_iso: str | None = None) -> int:
    """One batch of the daily plan (or weekly summary) of a slot; a full batch re-queues the
    rest of the same slot."""
    end = (
        datetime.fromisoformat(end_iso)
        if end_iso
        else slot_end(timezone.now(), settings.NOTIFY_SLOT_MINUTES)
    )
    run = sweeps.slot_run(kind=kind, end=end, batch=settings.NOTIFY_BATCH_SIZE)
    if run.is_batch_full:
        publish(slot_notify, kind, end.isoformat())
    return run.created


@shared_task(**_common("journey.tasks.slot_sweep", SLOT_SOFT_TIME_LIMIT_S, SLOT_TIME_LIMIT_S))
def slot_sweep() -> None:
    """Beat, every slot: start the daily plan and weekly summary runs of the slot just ended."""
    end = slot_end(timezone.now(), settings.NOTIFY_SLOT_MINUTES).isoformat()
    for kind in (NotificationKind.DAILY_PLAN, NotificationKind.WEEKLY_SUMMARY):
        publish(slot_notify, str(kind), end)


@shared_task(**_common("journey.tasks.reminders_sweep", SLOT_SOFT_TIME_LIMIT_S, SLOT_TIME_LIMIT_S))
def reminders_sweep() -> int:
    run = sweeps.reminders_run(batch=settings.NOTIFY_BATCH_SIZE)
    if run.is_batch_full:
        publish(reminders_sweep)
    return run.created


@shared_task(**_common("journey.tasks.plan_events", SLOT_SOFT_TIME_LIMIT_S, SLOT_TIME_LIMIT_S))
def plan_events(user_id: str) -> int:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    return len(sweeps.plan_events_for_user(user=user))


@shared_task(**_common("journey.tasks.notify_sweep", SLOT_SOFT_TIME_LIMIT_S, SLOT_TIME_LIMIT_S))
def notify_sweep() -> None:
    """Beat, every minute: plan events whose task was lost, and deliveries still pending (a
    lost publish, a refused connection, or the end of quiet hours)."""
    now = timezone.now()
    batch = settings.NOTIFY_BATCH_SIZE
    for user_id in sweeps.plan_event_users(now=now, lookback=PLAN_EVENTS_LOOKBACK, batch=batch):
        publish(plan_events, user_id)
    due = sweeps.delivery_due(now=now, grace=pending_grace(), batch=batch)
    if due:
        publish(notifications_deliver, due)
