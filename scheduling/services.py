"""Every write of the scheduling layer: replans, the task lifecycle, check-ins, the ICS token.

`plan_regenerate` loads rows, builds work items (`scheduling.work`), calls the pure planner
(`scheduling.planner.plan`) and saves its output with as little churn as it can; the diff
(created, moved, deleted task ids) goes out as `plan_changed` after commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import ApplicationError
from accounts.tasking import enqueue_on_commit
from courses.models import Course, Topic
from mastery import engine
from mastery.forecasting import forecast_contexts, forecast_weights
from scheduling import planner, rules
from scheduling.models import (
    CalendarFeedToken,
    DailyCheckIn,
    PlanSnapshot,
    ReplanRequest,
    StudyTask,
    TaskStatus,
)
from scheduling.signals import plan_changed
from scheduling.work import (
    PlanningContext,
    WorkItem,
    block_length,
    build_work_items,
    exam_topics,
    horizon_for,
    load_context,
    user_zone,
)

logger = logging.getLogger(__name__)

# Cache key the integrations layer fills with the student's busy time (docs/scheduling.md).
BUSY_CACHE_KEY = "busy:{user_id}"
PLAN_LOCK_KEY = "scheduling:plan-lock:{user_id}"
# Longer than any replan takes (well under a second per plan, see bench), shorter than the
# task's hard time limit, so a crashed worker's lock expires before the retry gives up.
PLAN_LOCK_TIMEOUT_S = 120
# Leftover work shorter than this is not worth a block or a pending row.
MIN_REMAINING_MINUTES = 5
# Completed blocks this old no longer matter for caps or for the work still to do.
COMPLETED_LOOKBACK_DAYS = 60
MAX_CUSTOM_HORIZON_DAYS = 62


class PlanLocked(Exception):
    """Another replan of the same user holds the lock."""


@contextlib.contextmanager
def plan_lock(user_id):
    """One replan per user at a time, across workers (the cache is Redis in production)."""
    key = PLAN_LOCK_KEY.format(user_id=user_id)
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=PLAN_LOCK_TIMEOUT_S):
        raise PlanLocked(str(user_id))
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


# -- Busy time -------------------------------------------------------------------------------


def busy_intervals_for(user_id) -> list[planner.Interval]:
    """The busy intervals the integrations layer cached, skipping malformed entries."""
    raw = cache.get(BUSY_CACHE_KEY.format(user_id=user_id)) or []
    intervals: list[planner.Interval] = []
    for entry in raw if isinstance(raw, list | tuple) else []:
        try:
            start, end = (parse_datetime(str(value)) for value in entry)
        except (TypeError, ValueError):
            continue
        if start is None or end is None or timezone.is_naive(start) or timezone.is_naive(end):
            continue
        if end > start:
            intervals.append(planner.Interval(start, end))
    return sorted(intervals, key=lambda i: (i.start, i.end))


def busy_fingerprint(intervals: list[planner.Interval]) -> str:
    payload = json.dumps([[i.start.isoformat(), i.end.isoformat()] for i in intervals])
    return hashlib.sha256(payload.encode()).hexdigest()


def busy_intervals_set(*, user, intervals: list[tuple[datetime, datetime]]) -> bool:
    """Store busy time for `user` and replan after commit when it changed. Returns changed."""
    cleaned = sorted((s, e) for s, e in intervals if e > s)
    cache.set(
        BUSY_CACHE_KEY.format(user_id=user.pk),
        [[s.isoformat(), e.isoformat()] for s, e in cleaned],
        timeout=None,
    )
    fingerprint = busy_fingerprint(busy_intervals_for(user.pk))
    snapshot = PlanSnapshot.objects.filter(user=user).first()
    if snapshot is not None and snapshot.busy_fingerprint == fingerprint:
        return False
    plan_replan_enqueue(user_id=user.pk, reason="busy_changed")
    return True


def plan_replan_enqueue(*, user_id, reason: str) -> None:
    """Replan `user_id` in the planning queue once the current transaction has committed."""
    from scheduling.tasks import replan_user  # the task module imports this one

    # Durable before it is published: if the publish is lost, the pending sweep replans.
    ReplanRequest.objects.create(user_id=user_id, reason=reason[:40])
    enqueue_on_commit(replan_user, str(user_id), reason)


# -- Replanning ------------------------------------------------------------------------------


@dataclass
class PlanDiff:
    created: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.created or self.moved or self.deleted)


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


def _row_interval(row: StudyTask, now: datetime) -> tuple[datetime, datetime] | None:
    if row.status == TaskStatus.IN_PROGRESS:
        start = row.actual_start or row.scheduled_start or now
        planned_end = row.scheduled_end or start + timedelta(minutes=row.estimated_duration_min)
        end = max(planned_end, start + timedelta(minutes=row.estimated_duration_min))
        return (start, end) if end > start else None
    if row.status == TaskStatus.COMPLETED:
        if row.actual_start and row.actual_end and row.actual_end > row.actual_start:
            return row.actual_start, row.actual_end
        if row.scheduled_start and row.scheduled_end:
            return row.scheduled_start, row.scheduled_end
        return None
    if row.scheduled_start and row.scheduled_end:
        return row.scheduled_start, row.scheduled_end
    return None


def _done_minutes(row: StudyTask, ctx: PlanningContext) -> float:
    """Minutes of a row that already count toward its work item."""
    if row.status == TaskStatus.COMPLETED:
        # Work already folded into mastery (a self-rating, a later quiz) shrank the gap
        # itself; counting it again would under-plan.
        folded_at = max(
            (
                ctx.records[t].last_practiced_at
                for t in row.topic_ids
                if t in ctx.records and ctx.records[t].last_practiced_at
            ),
            default=None,
        )
        if folded_at is not None and row.actual_end and row.actual_end <= folded_at:
            return 0.0
        return row.estimated_duration_min * row.completion_percentage / 100
    return float(row.estimated_duration_min)


def _apply_target_grades(*, user, items: list[WorkItem]) -> None:
    """A course's target grade scales the priority of all its work (stored and planned)."""
    boosts = {
        str(course_id): rules.target_grade_boost(target)
        for course_id, target in Course.objects.for_user(user).values_list("pk", "target_grade")
    }
    for item in items:
        item.priority *= boosts.get(item.course_id, 1.0)


def _plan_request(
    ctx: PlanningContext, items: list[WorkItem], rows: list[StudyTask]
) -> tuple[planner.PlanRequest, dict[str, list[StudyTask]], list[StudyTask], str]:
    now = ctx.now
    prefs = ctx.preferences
    movable: dict[str, list[StudyTask]] = defaultdict(list)
    pending: list[StudyTask] = []
    locked: list[planner.LockedBlock] = []
    done: dict[str, float] = defaultdict(float)
    item_keys = {item.key for item in items}
    for row in rows:
        interval = _row_interval(row, now)
        if row.status == TaskStatus.PENDING:
            pending.append(row)
            continue
        is_movable = (
            row.status == TaskStatus.SCHEDULED
            and not row.is_pinned
            and interval is not None
            and interval[0] >= ctx.horizon_start
            and interval[1] <= ctx.horizon_end
        )
        if is_movable:
            movable[row.work_key].append(row)
            continue
        done[row.work_key] += _done_minutes(row, ctx)
        inside = (
            interval is not None
            and interval[1] > ctx.horizon_start
            and interval[0] < ctx.horizon_end
        )
        if inside:
            locked.append(
                planner.LockedBlock(
                    start=interval[0],
                    end=interval[1],
                    task_id=row.work_key if row.work_key in item_keys else None,
                    course_id=str(row.course_id),
                    topic_key=row.topic_ids[0] if row.topic_ids else None,
                )
            )
    tasks: list[planner.PlanTask] = []
    for item in items:
        remaining = item.minutes - done.get(item.key, 0.0)
        if not item.is_splittable and done.get(item.key, 0.0) > 0:
            continue
        remaining = int(remaining)
        if remaining < MIN_REMAINING_MINUTES:
            continue
        previous = sorted((r.scheduled_start, r.scheduled_end) for r in movable.get(item.key, []))
        tasks.append(
            planner.PlanTask(
                id=item.key,
                duration_min=remaining,
                release=item.release,
                deadline=item.deadline,
                priority=item.priority,
                course_id=item.course_id,
                difficulty=item.difficulty,
                is_splittable=item.is_splittable,
                predecessors=tuple(p for p in item.predecessors if p in item_keys),
                topic_key=item.topic_key,
                assessment_id=item.assessment_id,
                previous_blocks=tuple(planner.Interval(s, e) for s, e in previous),
            )
        )
    preferred = block_length(ctx)
    busy = busy_intervals_for(ctx.user.pk)
    try:
        request = planner.PlanRequest(
            tasks=tuple(tasks),
            availability=prefs.weekly_availability or {},
            timezone=ctx.tz.key,
            now=now,
            horizon_start=ctx.horizon_start,
            horizon_end=ctx.horizon_end,
            busy=tuple(busy),
            locked=tuple(locked),
            limits=planner.PlanLimits(
                max_hours_per_day=prefs.max_hours_per_day,
                preferred_block_min=preferred,
                min_block_min=min(planner.DEFAULT_MIN_BLOCK_MIN, preferred),
                break_min=prefs.break_length_min,
                earliest_start=prefs.earliest_start_time,
                latest_end=prefs.latest_end_time,
            ),
        )
    except planner.PlanInputError as exc:
        raise ApplicationError(f"The plan cannot be built: {exc}") from exc
    return request, movable, pending, busy_fingerprint(busy)


_ITEM_FIELDS = (
    "course_id",
    "assessment_id",
    "title",
    "task_type",
    "difficulty",
    "topic_ids",
    "priority_score",
    "reason",
    "work_key",
    "expected_mastery_gain",
)


def _apply_item(row: StudyTask, item: WorkItem, block_minutes: int) -> bool:
    """Copy the work item's description onto a row; True when anything changed."""
    values = {
        "course_id": uuid.UUID(item.course_id),
        "assessment_id": uuid.UUID(item.assessment_id) if item.assessment_id else None,
        "title": item.title,
        "task_type": item.task_type,
        "difficulty": item.difficulty,
        "topic_ids": list(item.topic_ids),
        "priority_score": item.priority,
        "reason": item.reason,
        "work_key": item.key,
        "expected_mastery_gain": rules.expected_gain(
            mastery=item.mastery,
            target=item.target,
            block_minutes=block_minutes,
            item_minutes=item.minutes,
        ),
    }
    changed = False
    for name in _ITEM_FIELDS:
        if getattr(row, name) != values[name]:
            setattr(row, name, values[name])
            changed = True
    return changed


def _save_plan(
    *,
    user,
    result: planner.PlanResult,
    items: list[WorkItem],
    movable: dict[str, list[StudyTask]],
    pending: list[StudyTask],
) -> PlanDiff:
    """Match planned blocks to existing rows: same key and time -> unchanged; same key at
    another time -> moved; otherwise created. Rows left over are deleted."""
    diff = PlanDiff()
    by_key = {item.key: item for item in items}
    blocks_by_key: dict[str, list[planner.PlannedBlock]] = defaultdict(list)
    for block in result.blocks:
        blocks_by_key[block.task_id].append(block)
    spare: dict[str, list[StudyTask]] = defaultdict(list)
    for key, rows in movable.items():
        spare[key].extend(sorted(rows, key=lambda r: (r.scheduled_start, str(r.pk))))
    for row in sorted(pending, key=lambda r: (r.created_at, str(r.pk))):
        spare[row.work_key].append(row)
    to_create: list[StudyTask] = []
    to_update: dict[uuid.UUID, StudyTask] = {}

    def take_row(key: str) -> StudyTask:
        if spare.get(key):
            row = spare[key].pop(0)
            diff.moved.append(str(row.pk))
            to_update[row.pk] = row
            return row
        row = StudyTask(user=user, pk=uuid.uuid4())
        diff.created.append(str(row.pk))
        to_create.append(row)
        return row

    for key in sorted(blocks_by_key):
        item = by_key[key]
        unmatched = []
        for block in sorted(blocks_by_key[key], key=lambda b: b.start):
            same = next(
                (
                    r
                    for r in spare.get(key, [])
                    if r.status == TaskStatus.SCHEDULED
                    and r.scheduled_start == block.start
                    and r.scheduled_end == block.end
                ),
                None,
            )
            if same is None:
                unmatched.append(block)
                continue
            spare[key].remove(same)
            if _apply_item(same, item, block.minutes):
                to_update[same.pk] = same
        for block in unmatched:
            row = take_row(key)
            row.scheduled_start, row.scheduled_end = block.start, block.end
            row.estimated_duration_min = block.minutes
            row.status = TaskStatus.SCHEDULED
            row.unscheduled_reason = ""
            _apply_item(row, item, block.minutes)

    for work in result.unscheduled:
        item = by_key.get(work.task_id)
        if item is None or work.unscheduled_min < MIN_REMAINING_MINUTES:
            continue
        reason = _readable(work.reason, {i.key: i.title for i in items})
        existing = next(
            (r for r in spare.get(work.task_id, []) if r.status == TaskStatus.PENDING), None
        )
        if existing is not None:
            # Still pending: not a plan change for calendars, only its text and size.
            spare[work.task_id].remove(existing)
            row, changed = existing, False
        else:
            row, changed = take_row(work.task_id), True
        if (row.estimated_duration_min, row.unscheduled_reason) != (work.unscheduled_min, reason):
            row.estimated_duration_min = work.unscheduled_min
            row.unscheduled_reason = reason
            changed = True
        row.status = TaskStatus.PENDING
        row.scheduled_start = row.scheduled_end = None
        changed = _apply_item(row, item, work.unscheduled_min) or changed
        if changed and row not in to_create:
            to_update[row.pk] = row

    leftovers = [row for rows in spare.values() for row in rows]
    diff.deleted.extend(str(row.pk) for row in leftovers)
    if leftovers:
        StudyTask.objects.filter(pk__in=[row.pk for row in leftovers]).delete()
    for row in to_create:
        row.save(force_insert=True)
    for row in to_update.values():
        row.save()
    diff.created.sort()
    diff.moved.sort()
    diff.deleted.sort()
    return diff


def _cushion_rows(ctx: PlanningContext, result: planner.PlanResult, items: list[WorkItem]):
    titles = {item.key: item.title for item in items}
    names = {str(a.pk): a for a in ctx.assessments}
    rows = []
    for cushion in result.cushions:
        assessment = names.get(cushion.assessment_id)
        rows.append(
            {
                "assessment_id": cushion.assessment_id,
                "assessment_name": assessment.name if assessment else "",
                "course_id": cushion.course_id,
                "deadline": cushion.deadline.isoformat(),
                "available_min": cushion.available_min,
                "required_min": cushion.required_min,
                "cushion_min": cushion.cushion_min,
                "unscheduled_min": cushion.unscheduled_min,
                "is_at_risk": cushion.is_at_risk,
                "summary": _readable(cushion.summary, titles),
                "suggestions": [
                    {
                        "work": titles.get(s.task_id, s.task_id),
                        "minutes": s.minutes,
                        "action": str(s.action),
                    }
                    for s in cushion.suggestions
                ],
            }
        )
    return rows


def _readable(text: str, titles: dict[str, str]) -> str:
    """The planner names work by id (our work keys); show titles instead."""
    for key in sorted(titles, key=len, reverse=True):
        text = text.replace(key, f"“{titles[key]}”")
    return text


def readiness_for(ctx: PlanningContext, user) -> list[dict]:
    """P(ready) per upcoming exam in the horizon: the weighted mean over its topics of the
    engine's predicted recall on the exam date, now and after the blocks planned before it."""
    exams = [
        a for a in ctx.assessments if a.type in rules.EXAM_TYPES and a.due_date <= ctx.horizon_end
    ]
    if not exams:
        return []
    planned = defaultdict(list)
    rows = (
        StudyTask.objects.for_user(user)
        .filter(
            status__in=[TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS], scheduled_end__gt=ctx.now
        )
        .values_list("topic_ids", "scheduled_end")
    )
    for topic_ids, end in rows:
        for topic_id in topic_ids or []:
            planned[str(topic_id)].append(end)
    readiness = []
    weights = forecast_weights()
    for exam in exams:
        topics = exam_topics(ctx, exam)
        topic_rows = Topic.objects.filter(pk__in=[t.topic_id for t in topics])
        contexts = forecast_contexts(user, topic_rows)
        topics = [
            replace(t, context=contexts.get(t.topic_id, engine.NEUTRAL_CONTEXT)) for t in topics
        ]
        reviews = {
            t.topic_id: [m for m in planned.get(t.topic_id, []) if m <= exam.due_date]
            for t in topics
        }
        readiness.append(
            {
                "assessment_id": str(exam.pk),
                "assessment_name": exam.name,
                "due_date": exam.due_date.isoformat(),
                "p_ready_now": round(rules.readiness(topics, exam.due_date, {}, weights), 4),
                "p_ready_planned": round(
                    rules.readiness(topics, exam.due_date, reviews, weights), 4
                ),
            }
        )
    return readiness


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
        request, movable, pending, fingerprint = _plan_request(ctx, items, rows)
        result = planner.plan(request)
        diff = _save_plan(user=user, result=result, items=items, movable=movable, pending=pending)
        snapshot, _ = PlanSnapshot.objects.update_or_create(
            user=user,
            defaults={
                "planned_at": now,
                "reason": reason[:200],
                "horizon_start": start,
                "horizon_end": end,
                "cushions": _cushion_rows(ctx, result, items),
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


# -- Task lifecycle ----------------------------------------------------------------------------

STARTABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)
COMPLETABLE = (TaskStatus.IN_PROGRESS, TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)
SKIPPABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED, TaskStatus.IN_PROGRESS)
MOVABLE = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)


def _locked_task(task: StudyTask) -> StudyTask:
    return StudyTask.objects.select_for_update().get(pk=task.pk)


def _status_error(task: StudyTask, action: str) -> ApplicationError:
    label = TaskStatus(task.status).label.lower()
    return ApplicationError(
        f"A {label} task cannot be {action}.", field_errors={"status": [f"Task is {label}."]}
    )


def study_task_start(*, task: StudyTask, now: datetime | None = None) -> StudyTask:
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in STARTABLE:
            raise _status_error(task, "started")
        task.status = TaskStatus.IN_PROGRESS
        task.actual_start = now
        task.save(update_fields=["status", "actual_start", "updated_at"])
    return task


def study_task_complete(
    *,
    task: StudyTask,
    completion_percentage: float = 100.0,
    self_rating: int | None = None,
    now: datetime | None = None,
) -> StudyTask:
    """Finish a task; a self-rating (1-5) becomes low-weight evidence for its topics."""
    from mastery.services import performance_record_create_self_rating

    now = now or timezone.now()
    if not 0 < completion_percentage <= 100:
        raise ApplicationError(
            "Completion must be above 0 and at most 100 percent.",
            field_errors={"completion_percentage": ["Must be above 0 and at most 100."]},
        )
    if self_rating is not None and not 1 <= self_rating <= 5:
        raise ApplicationError(
            "The rating must be from 1 to 5.", field_errors={"self_rating": ["Must be 1 to 5."]}
        )
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in COMPLETABLE:
            raise _status_error(task, "completed")
        if task.actual_start is None:
            task.actual_start = now - timedelta(minutes=task.estimated_duration_min)
        task.actual_end = max(now, task.actual_start + timedelta(minutes=1))
        task.status = TaskStatus.COMPLETED
        task.completion_percentage = float(completion_percentage)
        task.self_rating = self_rating
        task.save()
        if self_rating is not None:
            topics = list(Topic.objects.for_user(task.user).filter(pk__in=task.topic_ids))
            if topics:
                minutes = max(1, round((task.actual_end - task.actual_start).total_seconds() / 60))
                performance_record_create_self_rating(
                    user=task.user,
                    course=task.course,
                    topics=topics,
                    rating=self_rating,
                    time_spent_min=minutes,
                    completed_at=task.actual_end,
                )
        elif completion_percentage < 100:
            # The unfinished part is still needed: place it again.
            plan_replan_enqueue(user_id=task.user_id, reason="partial_completion")
    return task


def study_task_skip(*, task: StudyTask, reason: str = "") -> StudyTask:
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in SKIPPABLE:
            raise _status_error(task, "skipped")
        task.status = TaskStatus.SKIPPED
        task.skip_reason = reason.strip()[:2000]
        task.save(update_fields=["status", "skip_reason", "updated_at"])
        plan_replan_enqueue(user_id=task.user_id, reason="skipped")
    return task


def _fmt_local(moment: datetime, tz) -> str:
    local = moment.astimezone(tz)
    return f"{rules.short_date(local.date())} {local:%H:%M}"


def study_task_reschedule(
    *, task: StudyTask, new_start: datetime, now: datetime | None = None
) -> StudyTask:
    """Move a block by hand; it is pinned there. A clash with another block or busy time is
    refused with what it clashes with."""
    now = now or timezone.now()
    if timezone.is_naive(new_start):
        new_start = timezone.make_aware(new_start, user_zone(task.user))
    tz = user_zone(task.user)
    with transaction.atomic():
        task = _locked_task(task)
        if task.status not in MOVABLE:
            raise _status_error(task, "moved")
        if new_start < now:
            raise ApplicationError(
                "A block cannot be moved into the past.",
                field_errors={"new_start_time": ["Must be in the future."]},
            )
        new_end = new_start + timedelta(minutes=task.estimated_duration_min)
        clash = (
            StudyTask.objects.for_user(task.user)
            .filter(status__in=[TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED])
            .scheduled_between(new_start, new_end)
            .exclude(pk=task.pk)
            .order_by("scheduled_start")
            .first()
        )
        if clash is not None:
            message = (
                f"Conflicts with “{clash.title}” "
                f"({_fmt_local(clash.scheduled_start, tz)}–{_fmt_local(clash.scheduled_end, tz)})."
            )
            raise ApplicationError(message, field_errors={"new_start_time": [message]})
        for busy in busy_intervals_for(task.user_id):
            if busy.start < new_end and new_start < busy.end:
                message = (
                    "Conflicts with busy time in your calendar "
                    f"({_fmt_local(busy.start, tz)}–{_fmt_local(busy.end, tz)})."
                )
                raise ApplicationError(message, field_errors={"new_start_time": [message]})
        task.scheduled_start, task.scheduled_end = new_start, new_end
        task.status = TaskStatus.SCHEDULED
        task.is_pinned = True
        task.unscheduled_reason = ""
        task.save()
        _send_plan_changed(user_id=task.user_id, diff=PlanDiff(moved=[str(task.pk)]))
        # Other blocks may now be over the daily cap or redundant: let the planner adapt.
        plan_replan_enqueue(user_id=task.user_id, reason="moved_by_hand")
    return task


def study_task_pin_external(*, task: StudyTask, start: datetime, end: datetime) -> StudyTask:
    """The student moved the block in their own calendar: their time wins, with no clash
    check, and the plan is rebuilt around the pinned block."""
    with transaction.atomic():
        task = _locked_task(task)
        task.scheduled_start, task.scheduled_end = start, end
        task.is_pinned = True
        if task.status in (TaskStatus.PENDING, TaskStatus.MISSED):
            task.status = TaskStatus.SCHEDULED
        task.save()
        plan_replan_enqueue(user_id=task.user_id, reason="moved_in_calendar")
    return task


# -- Check-ins --------------------------------------------------------------------------------


def checkin_submit(
    *,
    user,
    difficulty: int,
    time_burden: int,
    mood: int | None = None,
    energy: int | None = None,
    note: str = "",
    on_date: date | None = None,
) -> DailyCheckIn:
    """Today's check-in (local date); a second one the same day replaces the first."""
    errors = {}
    for name, value, required in (
        ("difficulty", difficulty, True),
        ("time_burden", time_burden, True),
        ("mood", mood, False),
        ("energy", energy, False),
    ):
        if value is None and not required:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[name] = ["Must be a whole number from 1 to 5."]
    if errors:
        raise ApplicationError("The check-in is invalid.", field_errors=errors)
    day = on_date or timezone.now().astimezone(user_zone(user)).date()
    with transaction.atomic():
        checkin, _ = DailyCheckIn.objects.update_or_create(
            user=user,
            date=day,
            defaults={
                "difficulty": difficulty,
                "time_burden": time_burden,
                "mood": mood,
                "energy": energy,
                "note": (note or "").strip()[:2000],
            },
        )
        plan_replan_enqueue(user_id=user.pk, reason="checkin")
    return checkin


# -- Calendar feed ----------------------------------------------------------------------------

# 32 random bytes: unguessable, and URL-safe so it fits a path segment.
FEED_TOKEN_BYTES = 32


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def calendar_feed_rotate(*, user) -> tuple[CalendarFeedToken, str]:
    """A new secret feed URL; the old one stops working. The raw token is returned once."""
    raw = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with transaction.atomic():
        CalendarFeedToken.objects.for_user(user).active().update(revoked_at=timezone.now())
        token = CalendarFeedToken.objects.create(user=user, token_hash=hash_feed_token(raw))
    return token, raw


def calendar_feed_revoke(*, user) -> int:
    return CalendarFeedToken.objects.for_user(user).active().update(revoked_at=timezone.now())


# -- Sweeps ----------------------------------------------------------------------------------

# The nightly replan runs at this local hour.
NIGHTLY_LOCAL_HOUR = 2


def users_due_for_nightly(*, now: datetime | None = None):
    """Active users whose local clock reads 02:xx and who were not replanned tonight."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    now = now or timezone.now()
    user_model = get_user_model()
    zones = []
    for name in (
        user_model.objects.filter(is_active=True).values_list("timezone", flat=True).distinct()
    ):
        try:
            if now.astimezone(ZoneInfo(name)).hour == NIGHTLY_LOCAL_HOUR:
                zones.append(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    users = user_model.objects.filter(is_active=True, timezone__in=zones).select_related(
        "plan_snapshot"
    )
    due = []
    for candidate in users.order_by("pk"):
        today = now.astimezone(ZoneInfo(candidate.timezone)).date()
        snapshot = getattr(candidate, "plan_snapshot", None)
        if snapshot is None or snapshot.last_nightly_date != today:
            due.append((candidate, today))
    return due


def nightly_mark(*, user, local_date: date) -> None:
    PlanSnapshot.objects.filter(user=user).update(last_nightly_date=local_date)


def users_with_changed_busy() -> list[str]:
    """Users whose cached busy time differs from what their last plan used."""
    changed = []
    for user_id, fingerprint in PlanSnapshot.objects.values_list("user_id", "busy_fingerprint"):
        if busy_fingerprint(busy_intervals_for(user_id)) != fingerprint:
            changed.append(str(user_id))
    return sorted(changed)


def users_with_missed_blocks(*, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    ids = StudyTask.objects.missed_by(now).values_list("user_id", flat=True).distinct()
    return sorted(str(pk) for pk in ids)
