"""Durable intent: work that must not be lost, recorded, published and resent in one way.

Every app that asks a worker for follow-up work (a recompute, a replan, a sync) does three
things, always the same way, through this module:

1. `intent_enqueue` writes the intent rows (a pending recompute, a replan request, an outbox
   row) in the same transaction as their cause, and publishes the task after that commit;
2. `publish` sends a task without letting a broker outage fail the request: a publish that
   fails because Redis is down or hung is logged and dropped, because the row is still there;
3. `intent_sweep` (run by beat) resends, through the same tolerant publish, every intent still
   pending after a grace period (`settings.PENDING_SWEEP_GRACE_SECONDS`).

A worker deletes the rows it answered, in the transaction that does the work, so a resend is
at worst a harmless duplicate of idempotent work. This module sits in the lowest layer so every
app may import it; it knows no task and no model by name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What an unreachable or failing broker raises from a publish: kombu wraps most connection
# errors in its OperationalError, redis-py's own can escape on some paths, and a refused or
# reset socket (or a socket timeout on a hung Redis) is an OSError.
BROKER_ERRORS = (BrokerOperationalError, RedisConnectionError, RedisTimeoutError, OSError)


# After a failed publish this process does not try the broker again for this long: a hung
# Redis costs a request its socket timeout, and paying it on every request of an outage would
# hold them all. Nothing is lost by not trying: the intent rows wait for the sweep.
BROKER_BACKOFF_S = 5.0
_broker_backoff_until = 0.0


def broker_backoff_reset() -> None:
    """Try the broker on the next publish (tests that switch brokers call this)."""
    global _broker_backoff_until
    _broker_backoff_until = 0.0


def publish(task: Task, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Send `task` now; False (and a warning) when the broker cannot take it.

    No result is kept: nothing waits on these tasks, and asking the Redis result backend to
    watch for one is a second connection that retries for many seconds while Redis is down.
    In eager mode the task runs here and its own errors propagate, as tests expect.
    """
    global _broker_backoff_until
    if task.app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return True
    if time.monotonic() < _broker_backoff_until:
        reason = "broker failed recently"
    else:
        try:
            task.apply_async(args=args, kwargs=kwargs, ignore_result=True, countdown=countdown)
        except BROKER_ERRORS as exc:
            _broker_backoff_until = time.monotonic() + BROKER_BACKOFF_S
            # The class only: a broker error's text may carry the broker URL.
            reason = exc.__class__.__name__
        else:
            return True
    logger.warning(
        "could not publish %s (%s); its pending record will be swept later", task.name, reason
    )
    return False


def enqueue_on_commit(
    task: Task, *args: Any, robust: bool = False, countdown: float | None = None, **kwargs: Any
) -> None:
    """Publish `task` once the current transaction commits (at once outside one).

    A rollback publishes nothing, and the worker always finds the committed rows. `robust`
    logs, instead of raising, an error of an eager (in-process) run: the cause has committed
    either way and its intent row is still there for the sweep.
    """
    transaction.on_commit(
        lambda: publish(task, *args, countdown=countdown, **kwargs), robust=robust
    )


def intent_enqueue(
    *,
    rows: Iterable[models.Model],
    task: Task,
    args: Sequence[Any] = (),
    robust: bool = False,
    countdown: float | None = None,
    joins: models.QuerySet | None = None,
    queued_already: Callable[[list[models.Model]], bool] | None = None,
) -> list[models.Model]:
    """Write the intent `rows` (all of one model) and publish `task(*args)` after commit.

    Inside the caller's transaction the rows commit or roll back with their cause; outside
    one they get their own. Returns the rows written.

    Debounce: `countdown` delays the task, so the rows of a burst collect before it runs, and
    when `joins` (pending rows of the same intent) already holds a row, the task already on its
    way will answer these rows too, so nothing more is published. `queued_already(rows)` asks
    the same after commit, for a task that runs at once: True when one is queued that has not
    started yet, and so will read these committed rows when it does. In-process (eager) runs
    answer at once, so there every intent publishes.
    """
    rows = list(rows)
    eager = task.app.conf.task_always_eager
    # No savepoint inside the caller's transaction (two round trips on every write that asks
    # for follow-up work): a failure here fails the cause too, which no caller recovers from.
    with transaction.atomic(savepoint=False):
        is_joining = joins is not None and not eager and joins.exists()
        if rows:
            type(rows[0])._default_manager.bulk_create(rows)
        if is_joining:
            return rows
        if queued_already is not None and not eager:
            transaction.on_commit(
                lambda: _publish_unless_queued(rows, queued_already, task, args, countdown),
                robust=robust,
            )
        else:
            enqueue_on_commit(task, *args, robust=robust, countdown=countdown)
    return rows


def _publish_unless_queued(rows, queued_already, task: Task, args, countdown) -> None:
    if not queued_already(rows):
        publish(task, *args, countdown=countdown)


def pending_grace() -> timedelta:
    """How old a pending intent must be before a sweep resends it (a setting, see README)."""
    return timedelta(seconds=settings.PENDING_SWEEP_GRACE_SECONDS)


def intents_due(
    pending: models.QuerySet,
    *,
    age_field: str,
    fields: Sequence[str],
    batch: int,
    grace: timedelta | None = None,
) -> list[tuple]:
    """The distinct `fields` of the `pending` rows older than the grace, at most `batch`.

    Younger rows may still be queued or retrying from their own publish, so they are left to
    it. Bounded: one sweep never floods the queue; the next one takes the rest.
    """
    cutoff = timezone.now() - (pending_grace() if grace is None else grace)
    return list(
        pending.filter(**{f"{age_field}__lt": cutoff})
        .order_by()
        .values_list(*fields)
        .distinct()[:batch]
    )


def intent_sweep(
    pending: models.QuerySet,
    *,
    task: Task,
    age_field: str,
    fields: Sequence[str],
    batch: int,
    args_for: Callable[[tuple], Sequence[Any]] = tuple,
    grace: timedelta | None = None,
) -> list[tuple]:
    """Resend `task` for each due intent (see `intents_due`), through the tolerant publish;
    returns the intents resent. `args_for` turns one row of `fields` into the task's args."""
    due = intents_due(pending, age_field=age_field, fields=fields, batch=batch, grace=grace)
    for row in due:
        publish(task, *args_for(row))
    return due
