"""Publishing Celery tasks after commit without letting a broker outage fail the request.

Every app enqueues its follow-up work through `enqueue_on_commit`. The caller has already
written a durable record of that work in the same transaction (a pending recompute, a replan
request, an outbox row) and a beat sweep resends whatever is still pending after a grace
period. So a publish that fails because Redis is down is logged and dropped here: the request
that committed still succeeds, and nothing is lost.

This module sits in the lowest layer so every app may import it; it knows no task by name.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What an unreachable or failing broker raises from a publish: kombu wraps most connection
# errors in its OperationalError, redis-py's own can escape on some paths, and a refused or
# reset socket is an OSError.
BROKER_ERRORS = (BrokerOperationalError, RedisConnectionError, RedisTimeoutError, OSError)


def publish(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send `task` now; False (and a warning) when the broker cannot take it.

    No result is kept: nothing waits on these tasks, and asking the Redis result backend to
    watch for one is a second connection that retries for many seconds while Redis is down.
    In eager mode the task runs here and its own errors propagate, as tests expect.
    """
    if task.app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs, ignore_result=True)
    except BROKER_ERRORS as exc:
        # The class only: a broker error's text may carry the broker URL.
        logger.warning(
            "could not publish %s (%s); its pending record will be swept later",
            task.name,
            exc.__class__.__name__,
        )
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Publish `task` once the current transaction commits (at once outside one).

    A rollback publishes nothing, and the worker always finds the committed rows.
    """
    transaction.on_commit(lambda: publish(task, *args, **kwargs))
