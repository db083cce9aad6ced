"""Tasks that failed for good: one row per failure, so a poison input is seen, not retried.

A task retries only transient errors, a bounded number of times (each task says how many).
When it still fails, or fails on an error no retry can fix, Celery gives up; this module
records that failure with its error, so an operator finds it in the admin (read-only) and
/readyz counts it. The rest of the work goes on: one student's bad row fails one task, not a
queue.

Tasks take ids, so the recorded arguments hold no personal data; the error text is capped and
stripped of characters the database cannot store.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

# Long enough for an exception's message; a traceback belongs in the worker log.
ERROR_MAX_LENGTH = 2000
# /readyz reports failures of the last day: a recent poison task, not all history.
RECENT_FAILURE_WINDOW = timedelta(days=1)


class FailedTaskQuerySet(models.QuerySet):
    def recent(self, *, now=None):
        return self.filter(failed_at__gte=(now or timezone.now()) - RECENT_FAILURE_WINDOW)


class FailedTask(models.Model):
    id = models.BigAutoField(primary_key=True)
    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    error_type = models.CharField(max_length=200)
    error = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = FailedTaskQuerySet.as_manager()

    class Meta:
        app_label = "accounts"
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} failed {self.failed_at:%Y-%m-%d %H:%M} ({self.error_type})"


def _storable(value):
    """JSON-safe and free of what PostgreSQL cannot store (NUL, lone surrogates)."""
    from accounts.hygiene import is_clean_text

    if isinstance(value, str):
        return "".join(char for char in value if is_clean_text(char))
    if isinstance(value, dict):
        return {str(_storable(str(key))): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _storable(str(value))


def failed_task_record(*, task_name, task_id, args, kwargs, exc, retries=0) -> FailedTask | None:
    """Records one final failure; never raises, so recording cannot fail the worker."""
    try:
        return FailedTask.objects.create(
            task_name=str(task_name)[:200],
            task_id=str(task_id or "")[:64],
            args=_storable(list(args or [])),
            kwargs=_storable(dict(kwargs or {})),
            error_type=type(exc).__name__[:200],
            error=_storable(str(exc))[:ERROR_MAX_LENGTH],
            retries=max(int(retries or 0), 0),
        )
    except Exception:  # the database may be the very thing that failed
        logger.warning("could not record the failure of %s", task_name, exc_info=True)
        return None


def failed_task_details() -> dict:
    """For /readyz: how many tasks failed for good in the last day. Informational: a poison
    task is a bug to look at, not a reason to take the web tier out of rotation."""
    try:
        return {"failed_tasks_last_day": FailedTask.objects.recent().count()}
    except Exception:  # the database check above already reports an outage
        return {"failed_tasks_last_day": None}


def on_task_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra):
    """Celery's task_failure signal: sent once, after the last retry, never for a retry."""
    request = getattr(sender, "request", None)
    failed_task_record(
        task_name=getattr(sender, "name", "unknown"),
        task_id=task_id,
        args=args,
        kwargs=kwargs,
        exc=exception,
        retries=getattr(request, "retries", 0),
    )
    logger.error(
        "task %s failed for good (%s)", getattr(sender, "name", "unknown"), type(exception).__name__
    )
