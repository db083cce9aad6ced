"""Thin Celery tasks of the `planning` queue: ids in, one service call, quiet when rows are gone."""

import logging
from collections import defaultdict
from datetime import datetime

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.db.models import Max, Min
from django.utils import timezone

from accounts.tasking import intent_sweep, intents_due, publish
from scheduling import services
from scheduling.models import GainRefreshRequest, ReplanRequest

logger = logging.getLogger(__name__)

# A replan is well under a second (bench/bench_planner/); a minute covers the largest
# students with room, and the hard limit leaves the soft one time to roll back cleanly.
REPLAN_SOFT_TIME_LIMIT_S = 60
REPLAN_TIME_LIMIT_S = 90
# Another replan of the same user holds the lock: try again shortly, a few times.
LOCKED_RETRY_COUNTDOWN_S = 5
REPLAN_MAX_RETRIES = 5
# Sweeps enqueue one task per user; this bounds one sweep's (or one nightly batch's) work.
SWEEP_SOFT_TIME_LIMIT_S = 240
SWEEP_TIME_LIMIT_S = 300
SWEEP_BATCH_SIZE = 1000
# The pending sweep leaves requests younger than settings.PENDING_SWEEP_GRACE_SECONDS to their
# own task (still queued, or retrying behind another replan's lock).
PENDING_SWEEP_TIME_LIMIT_S = 60
# Evidence arrives in bursts (an import, a quiz's answers, a script posting grades): a replan
# waits until its student's requests have been quiet this long, so a burst gets one replan.
REPLAN_DEBOUNCE_SECONDS = 2.0
# ... but never waits longer than this after the oldest request of the burst.
REPLAN_MAX_DELAY_S = 20.0


@shared_task(
    bind=True,
    name="scheduling.tasks.replan_user",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=REPLAN_SOFT_TIME_LIMIT_S,
    time_limit=REPLAN_TIME_LIMIT_S,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=REPLAN_MAX_RETRIES,
)
def replan_user(self, user_id: str, reason: str = "") -> dict | None:
    """Replan one user's horizon; returns the diff. Idempotent: a rerun changes nothing."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if not self.request.is_eager:
        wait = _debounce_wait(user)
        if wait > 0:
            # More requests came in meanwhile: run once they stop (their rows wait with us).
            publish(replan_user, user_id, reason, countdown=wait)
            return None
    try:
        outcome = services.plan_replan(user=user, reason=reason)
    except services.PlanLocked as exc:
        if self.request.is_eager:
            # In-process, the lock holder is this same call stack (a replan's own on-commit
            # work asked for another); it already plans from the newest rows.
            logger.info("replan of %s skipped: one is running in this process", user_id)
            return None
        raise self.retry(countdown=LOCKED_RETRY_COUNTDOWN_S, exc=exc) from exc
    except services.PlanRejected:
        # Logged with its violations by the service; the same rows would give the same plan,
        # so no retry. The request row stays, and the pending sweep tries again later.
        return None
    if not self.request.is_eager and ReplanRequest.objects.for_user(user).exists():
        # Requested while this one planned (they joined it, but it read the rows before them).
        publish(replan_user, user_id, reason, countdown=REPLAN_DEBOUNCE_SECONDS)
    return {
        "created": outcome.diff.created,
        "moved": outcome.diff.moved,
        "deleted": outcome.diff.deleted,
    }


def _debounce_wait(user) -> float:
    """Seconds until the student's requests have been quiet for REPLAN_DEBOUNCE_SECONDS (0:
    plan now), capped at REPLAN_MAX_DELAY_S after the oldest one."""
    span = ReplanRequest.objects.for_user(user).aggregate(
        oldest=Min("requested_at"), newest=Max("requested_at")
    )
    if span["newest"] is None:
        return 0.0
    now = timezone.now()
    quiet_for = (now - span["newest"]).total_seconds()
    waited = (now - span["oldest"]).total_seconds()
    if waited >= REPLAN_MAX_DELAY_S:
        return 0.0
    return max(0.0, min(REPLAN_DEBOUNCE_SECONDS - quiet_for, REPLAN_MAX_DELAY_S - waited))


# Refreshing the gains reads the history of a few topics: seconds at most.
GAINS_SOFT_TIME_LIMIT_S = 30
GAINS_TIME_LIMIT_S = 45


@shared_task(
    name="scheduling.tasks.refresh_mastery_gains",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=GAINS_SOFT_TIME_LIMIT_S,
    time_limit=GAINS_TIME_LIMIT_S,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=REPLAN_MAX_RETRIES,
)
def refresh_mastery_gains(user_id: str, topic_ids: list[str]) -> list[str] | None:
    """Refill actual_mastery_gain of the user's completed blocks on these topics. Idempotent:
    the gain is a function of the mastery history, so a rerun writes nothing."""
    from scheduling.services.gains import study_task_gains_refresh

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return None
    return study_task_gains_refresh(user=user, topic_ids=topic_ids)


@shared_task(
    name="scheduling.tasks.mark_missed_blocks",
    acks_late=True,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT_S,
    time_limit=SWEEP_TIME_LIMIT_S,
)
def mark_missed_blocks() -> list[str]:
    """Replan every user with a block that ended unstarted; the replan marks it missed."""
    user_ids = services.users_with_missed_blocks(now=timezone.now())[:SWEEP_BATCH_SIZE]
    for user_id in user_ids:
        publish(replan_user, user_id, "missed")
    return user_ids


@shared_task(
    name="scheduling.tasks.nightly_replan_sweep",
    acks_late=True,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT_S,
    time_limit=SWEEP_TIME_LIMIT_S,
)
def nightly_replan_sweep(night_of: str | None = None, after_user_id: str | None = None) -> dict:
    """Hourly: replan users at 02:xx local time, users whose busy time changed, and users
    with missed blocks.

    The nightly part runs in batches of SWEEP_BATCH_SIZE that chain (Saleor style): a full
    batch re-queues this task for the users after its last one, with the instant the sweep
    started (`night_of`), so a long chain still covers the zones that were at 02:xx then.
    Each user is marked as it is enqueued, so a second beat in the same hour skips them.
    """
    now = datetime.fromisoformat(night_of) if night_of else timezone.now()
    batch = services.users_due_for_nightly(now=now, after_pk=after_user_id, limit=SWEEP_BATCH_SIZE)
    nightly = []
    for user, local_date in batch:
        publish(replan_user, str(user.pk), "nightly")
        services.nightly_mark(user=user, local_date=local_date)
        nightly.append(str(user.pk))
    continues = len(batch) == SWEEP_BATCH_SIZE
    if continues:
        publish(nightly_replan_sweep, now.isoformat(), nightly[-1])
    if after_user_id is not None:
        # A continuation: the busy and missed parts ran with the first batch.
        return {"nightly": nightly, "busy_changed": [], "missed": [], "continues": continues}
    busy = [u for u in services.users_with_changed_busy() if u not in nightly]
    for user_id in busy[:SWEEP_BATCH_SIZE]:
        publish(replan_user, user_id, "busy_changed")
    missed = mark_missed_blocks()
    return {"nightly": nightly, "busy_changed": busy, "missed": missed, "continues": continues}


@shared_task(
    name="scheduling.tasks.replan_pending_sweep",
    acks_late=True,
    soft_time_limit=PENDING_SWEEP_TIME_LIMIT_S - 10,
    time_limit=PENDING_SWEEP_TIME_LIMIT_S,
)
def replan_pending_sweep() -> list[str]:
    """Replans the users whose replan request a lost enqueue or a dead worker left behind.
    A duplicate is harmless: a replan of unchanged rows changes nothing."""
    resent = intent_sweep(
        ReplanRequest.objects.all(),
        task=replan_user,
        age_field="requested_at",
        fields=("user_id",),
        batch=SWEEP_BATCH_SIZE,
        args_for=lambda row: (str(row[0]), "pending"),
    )
    return [str(user_id) for (user_id,) in resent]


@shared_task(
    name="scheduling.tasks.gain_refresh_pending_sweep",
    acks_late=True,
    soft_time_limit=PENDING_SWEEP_TIME_LIMIT_S - 10,
    time_limit=PENDING_SWEEP_TIME_LIMIT_S,
)
def gain_refresh_pending_sweep() -> list[str]:
    """Resends the gain refreshes a lost publish or a dead worker left behind, one task per
    user with all their due topics. A duplicate is harmless: the gain is a pure function of
    the history."""
    due = intents_due(
        GainRefreshRequest.objects.all(),
        age_field="requested_at",
        fields=("user_id", "topic_id"),
        batch=SWEEP_BATCH_SIZE,
    )
    topics_by_user: dict[str, set[str]] = defaultdict(set)
    for user_id, topic_id in due:
        topics_by_user[str(user_id)].add(str(topic_id))
    for user_id, topic_ids in topics_by_user.items():
        publish(refresh_mastery_gains, user_id, sorted(topic_ids))
    return sorted(topics_by_user)
