"""Replanning: the per-user lock, `plan_regenerate`, and the durable replan request."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.coalesce import call_once, coalescing
from accounts.errors import ApplicationError
from accounts.locks import cache_lock
from accounts.tasking import intent_enqueue
from scheduling import planner
from scheduling.models import (
    PlanSnapshot,
    ReplanRequest,
    StudyTask,
    TaskStatus,
)
from scheduling.services.at_risk import cushion_rows
from scheduling.services.notices import plan_notice_record
from scheduling.services.plan_rows import (
    PlanDiff,
    _apply_target_grades,
    _plan_request,
    _readable,
    _save_plan,
    readiness_for,
)
from scheduling.signals import plan_changed
from scheduling.work import (
    WorkItem,
    build_work_items,
    horizon_for,
    load_context,
)

logger = logging.getLogger(__name__)

PLAN_LOCK_KEY = "scheduling:plan-lock:{user_id}"
SNAPSHOT_WINDOW_FIELDS = ("horizon_start", "horizon_end")
# A replan request younger than this shares the replan already published for its student; an
# older one that is still pending means that replan failed or was lost, so it publishes again.
REPLAN_COALESCE_WINDOW_S = 30
# Longer than any replan takes (well under a second per plan, see bench), shorter than the

# task's hard time limit, so a crashed worker's lock expires before the retry gives up.
PLAN_LOCK_TIMEOUT_S = 120
# Leftover work shorter than this is not worth a block or a pending row.
# Completed blocks this old no longer matter for caps or for the work still to do.
COMPLETED_LOOKBACK_DAYS = 60
MAX_CUSTOM_HORIZON_DAYS = 62


class PlanRejected(ApplicationError):
    """The planner returned a plan that breaks a hard rule; nothing was saved.

    A subclass of the one business error, so the API answers 400 and a page shows the message,
    and the transaction rolls back: the previous plan stays exactly as it was. It can only come
    from a planner bug, so it is logged as an error with every violation.
    """

    def __init__(self, violations: list[str]):
        super().__init__(
            "The new plan broke a scheduling rule, so your current plan was kept. "
            "This has been logged."
        )
        self.violations = violations


# The pure core the services call; the one seam where a test may put a double of it.
plan_core = planner.plan


def plan_checked(request: planner.PlanRequest, *, user_id) -> planner.PlanResult:
    """`plan_core(request)`, checked by `planner.validate`: a plan that breaks a hard rule
    raises `PlanRejected` instead of being returned (and so is never saved)."""
    result = plan_core(request)
    violations = planner.validate(request, result)
    if violations:
        logger.error(
            "plan for %s rejected, %d hard-rule violations: %s",
            user_id,
            len(violations),
            "; ".join(violations[:20]),
        )
        raise PlanRejected(violations)
    return result


class PlanLocked(Exception):
    """Another replan of the same user holds the lock."""


@contextlib.contextmanager
def plan_lock(user_id):
    """One replan per user at a time, across workers (the cache is Redis in production)."""
    with cache_lock(PLAN_LOCK_KEY.format(user_id=user_id), timeout=PLAN_LOCK_TIMEOUT_S) as acquired:
        if not acquired:
            raise PlanLocked(str(user_id))
        yield


def plan_replan_enqueue(*, user_id, reason: str) -> None:
    """Replan `user_id` in the planning queue once the current transaction has committed.

    Coalesced: within one request or task (accounts.coalesce) a student gets one request
    however many events asked; across requests a burst shares the replan already on its way
    (see `_replan_request_write` and the task's debounce).
    """
    call_once(("replan", str(user_id)), _replan_request_write, user_id=user_id, reason=reason)


def _replan_request_write(*, user_id, reason: str) -> None:
    from scheduling.tasks import REPLAN_DEBOUNCE_SECONDS, replan_user  # tasks import this

    # Durable before it is published: if the publish is lost, the pending sweep replans.
    # A request younger than the coalescing window means a replan is already on its way and
    # will answer this row too, so this one is only written.
    recent = timezone.now() - timedelta(seconds=REPLAN_COALESCE_WINDOW_S)
    intent_enqueue(
        rows=[ReplanRequest(user_id=user_id, reason=reason[:40])],
        task=replan_user,
        args=(str(user_id), reason),
        countdown=REPLAN_DEBOUNCE_SECONDS,
        joins=ReplanRequest.objects.filter(user_id=user_id, requested_at__gte=recent),
    )


# -- Replanning ------------------------------------------------------------------------------


@dataclass
class PlanOutcome:
    diff: PlanDiff
    result: planner.PlanResult
    items: list[WorkItem]
    snapshot: PlanSnapshot
    missed: list[str]


def study_tasks_mark_missed(*, user, now: datetime | None = None) -> list[str]:
    """Blocks whose end has passed and that were never started become `missed`."""
    now = now or timezone.now()
    rows = StudyTask.objects.for_user(user).missed_by(now).filter(is_pinned=False)
    ids = [str(pk) for pk in rows.values_list("pk", flat=True)]
    # Pinned blocks are missed too: the student placed them, but time has passed all the same.
    pinned = StudyTask.objects.for_user(user).missed_by(now).filter(is_pinned=True)
    ids += [str(pk) for pk in pinned.values_list("pk", flat=True)]
    if ids:
        StudyTask.objects.filter(pk__in=ids).update(status=TaskStatus.MISSED, updated_at=now)
    return sorted(ids)


def plan_regenerate(
    *,
    user,
    reason: str = "",
    now: datetime | None = None,
    horizon_start: datetime | None = None,
    horizon_end: datetime | None = None,
) -> PlanOutcome:
    """Regenerate tasks and replan the horizon; locked blocks stay, the rest moves minimally.

    Idempotent: with unchanged rows the planner keeps every previous block, so a second run
    changes nothing and sends no event.
    """
    now = now or timezone.now()
    default_start, default_end = horizon_for(now)
    start = max(horizon_start or default_start, now)
    end = horizon_end or default_end
    if end <= start:
        raise ApplicationError("The planning window has already ended.")
    # Hundreds of block saves retire the dashboard once, not once per block.
    with coalescing():
        return _plan_regenerate(user=user, reason=reason, now=now, start=start, end=end)


def _plan_regenerate(*, user, reason: str, now: datetime, start, end) -> PlanOutcome:
    with transaction.atomic():
        # Serializes replans of one user on the database too (rows are written in one order).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        # Requests committed before this point are answered by this plan, which reads the
        # rows they were written with; later ones stay for their own task or the sweep.
        answered = list(ReplanRequest.objects.for_user(user).values_list("pk", flat=True))
        missed = study_tasks_mark_missed(user=user, now=now)
        ctx = load_context(user=user, now=now, horizon_start=start, horizon_end=end)
        items = build_work_items(ctx)
        _apply_target_grades(user=user, items=items)
        rows = list(
            StudyTask.objects.for_user(user)
            .filter(
                Q(status__in=[TaskStatus.PENDING, TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS])
                | Q(
                    status=TaskStatus.COMPLETED,
                    updated_at__gte=now - timedelta(days=COMPLETED_LOOKBACK_DAYS),
                )
            )
            .order_by("created_at", "id")
        )
        starts_before = {str(row.pk): row.scheduled_start for row in rows}
        had_plan = any(row.scheduled_start is not None for row in rows)
        request, movable, pending, fingerprint = _plan_request(ctx, items, rows)
        result = plan_checked(request, user_id=user.pk)
        diff = _save_plan(user=user, result=result, items=items, movable=movable, pending=pending)
        snapshot = _snapshot_save(
            user=user,
            unchanged_plan=diff.is_empty and not missed,
            planned_at=now,
            reason=reason[:200],
            fields={
                "horizon_start": start,
                "horizon_end": end,
                "cushions": cushion_rows(ctx, result, items),
                "readiness": readiness_for(ctx, user),
                "unscheduled": [
                    {
                        "work": next((i.title for i in items if i.key == u.task_id), u.task_id),
                        "minutes": u.unscheduled_min,
                        "reason": _readable(u.reason, {i.key: i.title for i in items}),
                    }
                    for u in result.unscheduled
                ],
                "busy_fingerprint": fingerprint,
            },
        )
        if not diff.is_empty:
            _send_plan_changed(user_id=user.pk, diff=diff)
            if had_plan:
                # A first plan is not a change to tell about; later changes within a day are.
                plan_notice_record(
                    user=user,
                    now=now,
                    starts_before=starts_before,
                    created=list(diff.created),
                    moved=list(diff.moved),
                    deleted=list(diff.deleted),
                    reason=reason,
                )
        if answered:
            ReplanRequest.objects.filter(pk__in=answered).delete()
    logger.info(
        "replanned %s (%s): %d created, %d moved, %d deleted",
        user.pk,
        reason,
        len(diff.created),
        len(diff.moved),
        len(diff.deleted),
    )
    return PlanOutcome(diff=diff, result=result, items=items, snapshot=snapshot, missed=missed)


def _snapshot_save(
    *, user, unchanged_plan: bool, planned_at: datetime, reason: str, fields: dict
) -> PlanSnapshot:
    """Save the plan's snapshot, or nothing when neither the plan nor what it says changed:
    a replan that changes nothing writes nothing. (Its time is then the last plan's time.)"""
    snapshot = PlanSnapshot.objects.filter(user=user).first()
    if (
        snapshot is not None
        and unchanged_plan
        and all(
            getattr(snapshot, name) == value
            for name, value in fields.items()
            # The window starts at "now", so it moves on every run by itself.
            if name not in SNAPSHOT_WINDOW_FIELDS
        )
    ):
        return snapshot
    snapshot, _ = PlanSnapshot.objects.update_or_create(
        user=user, defaults={"planned_at": planned_at, "reason": reason, **fields}
    )
    return snapshot


def _send_plan_changed(*, user_id, diff: PlanDiff) -> None:
    payload = {
        "user_id": str(user_id),
        "created": list(diff.created),
        "moved": list(diff.moved),
        "deleted": list(diff.deleted),
    }
    transaction.on_commit(lambda: plan_changed.send(sender=StudyTask, **payload))


def plan_replan(*, user, reason: str) -> PlanOutcome:
    """A replan under the per-user lock (raises PlanLocked when one is already running)."""
    with plan_lock(user.pk):
        return plan_regenerate(user=user, reason=reason)
