"""From rows to a `PlanRequest`, and from a `PlanResult` back to rows with little churn."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from accounts.errors import ApplicationError
from courses.models import Course, Topic
from mastery import card_selectors, engine
from mastery.forecasting import forecast_contexts, forecast_weights
from scheduling import planner, rules
from scheduling.models import (
    StudyTask,
    TaskStatus,
)
from scheduling.selectors import busy_fingerprint, busy_intervals_for
from scheduling.work import (
    PlanningContext,
    WorkItem,
    block_length,
    exam_topics,
)

# Leftover work shorter than this is not worth a block or a pending row.
MIN_REMAINING_MINUTES = 5


@dataclass
class PlanDiff:
    created: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.created or self.moved or self.deleted)


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
                buffer_min=prefs.calendar_buffer_min,
                max_block_min=prefs.max_block_length_min,
                course_switch_break_min=prefs.min_break_between_courses_min,
                max_blocks_per_day=prefs.max_blocks_per_day,
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


def _readable(text: str, titles: dict[str, str]) -> str:
    """The planner names work by id (our work keys); show titles instead."""
    for key in sorted(titles, key=len, reverse=True):
        text = text.replace(key, f"“{titles[key]}”")
    return text


def readiness_for(ctx: PlanningContext, user) -> list[dict]:
    """P(ready) per upcoming exam in the horizon: the weighted mean over its topics of the
    fitted forecast's P(correct) on the exam date, now and after the blocks planned before
    it (mastery.forecasting: the same weights and context as every forecast)."""
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
    card_rows = card_selectors.card_recall_rows(
        user=user,
        topic_ids={str(link.topic_id) for exam in exams for link in exam.assessment_topics.all()},
    )
    parameters = card_selectors.student_parameters(user=user) if card_rows else None
    for exam in exams:
        topics = exam_topics(ctx, exam)
        if not topics:
            # No topics, no recall to predict: readiness is unknown, not 0%.
            continue
        topic_rows = Topic.objects.filter(pk__in=[t.topic_id for t in topics])
        contexts = forecast_contexts(user, topic_rows)
        topics = [
            replace(t, context=contexts.get(t.topic_id, engine.NEUTRAL_CONTEXT)) for t in topics
        ]
        reviews = {
            t.topic_id: [m for m in planned.get(t.topic_id, []) if m <= exam.due_date]
            for t in topics
        }
        card_recall = (
            card_selectors.mean_card_recall(card_rows, at=exam.due_date, parameters=parameters)
            if card_rows
            else {}
        )
        exam_cards = [card_recall[t.topic_id] for t in topics if t.topic_id in card_recall]
        card_count = sum(count for _, count in exam_cards)
        readiness.append(
            {
                "assessment_id": str(exam.pk),
                "assessment_name": exam.name,
                "course_code": exam.course.code,
                "due_date": exam.due_date.isoformat(),
                "p_ready_now": round(
                    rules.readiness(topics, exam.due_date, {}, weights, card_recall), 4
                ),
                "p_ready_planned": round(
                    rules.readiness(topics, exam.due_date, reviews, weights, card_recall), 4
                ),
                "card_count": card_count,
                "card_recall": (
                    round(sum(r * n for r, n in exam_cards) / card_count, 4) if card_count else None
                ),
            }
        )
    return readiness
