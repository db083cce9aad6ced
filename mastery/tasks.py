"""Thin Celery tasks of the `mastery` queue: ids in, one service call, quiet when rows are gone."""

import uuid
from collections import defaultdict

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone

from accounts.tasking import intents_due, publish
from mastery.models import MasteryRecomputeRequest
from mastery.services import mastery_recompute_topics, recompute_topics_started

# A topic's fold is milliseconds per hundred records; a minute covers the largest histories
# and the hard limit leaves the soft one time to roll the transaction back cleanly.
RECOMPUTE_SOFT_TIME_LIMIT_S = 60
RECOMPUTE_TIME_LIMIT_S = 90
# Lock timeouts and dropped connections are transient; a recompute is a pure fold, so a retry
# is always safe.
RECOMPUTE_MAX_RETRIES = 5
RECOMPUTE_RETRY_BACKOFF_MAX_S = 120
# The sweep leaves requests younger than settings.PENDING_SWEEP_GRACE_SECONDS to their own
# task. Bounded: one sweep never floods the queue; the next one, a minute later, takes the rest.
PENDING_SWEEP_BATCH = 500
PENDING_SWEEP_TIME_LIMIT_S = 60


def forget_failed_recompute(task, exc, task_id, args, kwargs, einfo):
    """A recompute that failed for good is recorded as a FailedTask (accounts/failed_tasks.py);
    its pending requests go, or the sweep would resend the same poison input every minute.
    New evidence for these topics writes a new request, so a fixed cause heals by itself."""
    args, kwargs = list(args or []), kwargs or {}
    user_id = args[0] if args else kwargs.get("user_id")
    topic_ids = args[1] if len(args) > 1 else kwargs.get("topic_ids")
    # The arguments may be the very thing that is wrong; only well-formed ids are looked up.
    user_id = _uuid_or_none(user_id)
    topic_ids = [topic_id for topic_id in map(_uuid_or_none, topic_ids or []) if topic_id]
    if user_id and topic_ids:
        MasteryRecomputeRequest.objects.filter(
            user_id=user_id, topic_id__in=topic_ids, requested_at__lte=timezone.now()
        ).delete()


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@shared_task(
    name="mastery.tasks.recompute_topics",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RECOMPUTE_SOFT_TIME_LIMIT_S,
    time_limit=RECOMPUTE_TIME_LIMIT_S,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=RECOMPUTE_RETRY_BACKOFF_MAX_S,
    retry_jitter=True,
    max_retries=RECOMPUTE_MAX_RETRIES,
    on_failure=forget_failed_recompute,
)
def recompute_topics(user_id: str, topic_ids: list[str], new_record_id: str | None = None):
    """Fold the user's evidence for these topics; returns the ids whose mastery moved.

    Idempotent: the fold is deterministic, so a redelivered task writes nothing new.
    `new_record_id` lets a just-created record take the fast path when that is exact.
    """
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return []
    if not recompute_topics.app.conf.task_always_eager:
        topic_ids = recompute_topics_started(user_id=user.pk, topic_ids=topic_ids)
    return mastery_recompute_topics(user=user, topic_ids=topic_ids, new_record_id=new_record_id)


@shared_task(
    name="mastery.tasks.pending_sweep",
    acks_late=True,
    soft_time_limit=PENDING_SWEEP_TIME_LIMIT_S - 10,
    time_limit=PENDING_SWEEP_TIME_LIMIT_S,
)
def pending_sweep() -> int:
    """Resends the recomputes a lost enqueue or a dead worker left behind; returns how many
    users got one, each with all their due topics. A duplicate is harmless: the fold is
    idempotent."""
    stale = intents_due(
        MasteryRecomputeRequest.objects.all(),
        age_field="requested_at",
        fields=("user_id", "topic_id"),
        batch=PENDING_SWEEP_BATCH,
    )
    topics_by_user: dict[str, set[str]] = defaultdict(set)
    for user_id, topic_id in stale:
        topics_by_user[str(user_id)].add(str(topic_id))
    for user_id, topic_ids in topics_by_user.items():
        publish(recompute_topics, user_id, sorted(topic_ids), None)
    return len(topics_by_user)


@shared_task(name="mastery.tasks.fit_forecast", soft_time_limit=600, time_limit=660)
def fit_forecast() -> dict:
    """Weekly (beat): refit the forecast's weights on all evidence so far."""
    from mastery.forecasting import forecast_fit

    fit = forecast_fit()
    return {"version": fit.model.version if fit.model else None, "rows": fit.rows}


# A fit replays up to fsrs_fit.MAX_FIT_REVIEWS reviews per candidate: 15 s on an idle core for
# the Anki log's 4,000 most recent reviews, 96 s on a loaded one; five minutes is ample.
FIT_CARD_PARAMETERS_SOFT_TIME_LIMIT_S = 300
FIT_CARD_PARAMETERS_TIME_LIMIT_S = 330


@shared_task(
    name="mastery.tasks.fit_card_parameters",
    acks_late=True,
    soft_time_limit=FIT_CARD_PARAMETERS_SOFT_TIME_LIMIT_S,
    time_limit=FIT_CARD_PARAMETERS_TIME_LIMIT_S,
)
def fit_card_parameters(user_id: str) -> None:
    """A student's own FSRS parameters from their card reviews (services.cards)."""
    from mastery.services.cards import card_parameters_fit

    user = get_user_model().objects.filter(pk=_uuid_or_none(user_id)).first()
    if user is None:
        return
    card_parameters_fit(user=user)
