"""Every write of the scheduling layer, one module per concern.

* `plan`: `plan_regenerate` loads rows, builds work items (`scheduling.work`), calls the pure
  planner (`scheduling.planner.plan`), checks the result with `scheduling.planner.validate`
  and saves it with as little churn as it can; the diff (created, moved, deleted task ids)
  goes out as `plan_changed` after commit. Also the per-user lock and the replan request.
* `plan_rows`: rows to a `PlanRequest`, and a `PlanResult` back to rows;
* `busy`: busy time from the student's calendars (PostgreSQL, cached in Redis);
* `study_tasks`: the task lifecycle (start, complete, skip, reschedule, pin);
* `checkins`: daily check-ins; `feed`: the ICS feed token; `sweeps`: what the sweeps look for.

Callers import this package (`from scheduling import services`); the names below are its
public surface.
"""

from scheduling.selectors import busy_fingerprint, busy_intervals_for
from scheduling.services.busy import (
    DEFAULT_BUSY_SOURCE,
    busy_intervals_replace,
    busy_intervals_set,
)
from scheduling.services.checkins import checkin_submit
from scheduling.services.feed import (
    FEED_TOKEN_BYTES,
    calendar_feed_revoke,
    calendar_feed_rotate,
    hash_feed_token,
)
from scheduling.services.plan import (
    COMPLETED_LOOKBACK_DAYS,
    MAX_CUSTOM_HORIZON_DAYS,
    PLAN_LOCK_KEY,
    PLAN_LOCK_TIMEOUT_S,
    PlanLocked,
    PlanOutcome,
    PlanRejected,
    plan_checked,
    plan_lock,
    plan_regenerate,
    plan_replan,
    plan_replan_enqueue,
    study_tasks_mark_missed,
)
from scheduling.services.plan_rows import MIN_REMAINING_MINUTES, PlanDiff, readiness_for
from scheduling.services.study_tasks import (
    COMPLETABLE,
    MOVABLE,
    SKIPPABLE,
    STARTABLE,
    study_task_complete,
    study_task_pin_external,
    study_task_reschedule,
    study_task_skip,
    study_task_start,
)
from scheduling.services.sweeps import (
    NIGHTLY_LOCAL_HOUR,
    nightly_mark,
    users_due_for_nightly,
    users_with_changed_busy,
    users_with_missed_blocks,
)

__all__ = [
    "COMPLETABLE",
    "COMPLETED_LOOKBACK_DAYS",
    "DEFAULT_BUSY_SOURCE",
    "FEED_TOKEN_BYTES",
    "MAX_CUSTOM_HORIZON_DAYS",
    "MIN_REMAINING_MINUTES",
    "MOVABLE",
    "NIGHTLY_LOCAL_HOUR",
    "PLAN_LOCK_KEY",
    "PLAN_LOCK_TIMEOUT_S",
    "SKIPPABLE",
    "STARTABLE",
    "PlanDiff",
    "PlanLocked",
    "PlanOutcome",
    "PlanRejected",
    "busy_fingerprint",
    "busy_intervals_for",
    "busy_intervals_replace",
    "busy_intervals_set",
    "calendar_feed_revoke",
    "calendar_feed_rotate",
    "checkin_submit",
    "hash_feed_token",
    "nightly_mark",
    "plan_checked",
    "plan_lock",
    "plan_regenerate",
    "plan_replan",
    "plan_replan_enqueue",
    "readiness_for",
    "study_task_complete",
    "study_task_pin_external",
    "study_task_reschedule",
    "study_task_skip",
    "study_task_start",
    "study_tasks_mark_missed",
    "users_due_for_nightly",
    "users_with_changed_busy",
    "users_with_missed_blocks",
]
