"""The public checker of the hard rules."""

from __future__ import annotations

import bisect
import itertools
from datetime import date

from scheduling.planner.grid import (
    _ceil_min,
    _floor_min,
    _format_local,
    _free_spans,
    _to_datetime,
)
from scheduling.planner.types import (
    PlanRequest,
    PlanResult,
    _effective_min_chunk,
    _zone,
)


def validate(request: PlanRequest, result: PlanResult) -> list[str]:
    """Every hard rule `result` breaks for `request`, as readable messages (empty when valid)."""
    limits = request.limits
    tz = _zone(request.timezone)
    violations: list[str] = []
    tasks = {t.id: t for t in request.tasks}
    now = _ceil_min(request.now)
    h_start, h_end = _ceil_min(request.horizon_start), _floor_min(request.horizon_end)
    busy = [(_floor_min(b.start), _ceil_min(b.end)) for b in request.busy]
    free = _free_spans(
        request.availability,
        tz,
        h_start,
        h_end,
        busy,
        limits.buffer_min,
        limits.earliest_start,
        limits.latest_end,
    )
    free_starts = [s for s, _ in free]
    locked = [(_floor_min(b.start), _ceil_min(b.end), b) for b in request.locked]

    def local_day(minute: int) -> date:
        return _to_datetime(minute).astimezone(tz).date()

    def label(task_id: str, start: int, end: int) -> str:
        return f"block {task_id} {_format_local(start, tz)}-{_format_local(end, tz)}"

    spans: list[tuple[int, int, str]] = []
    course_of: dict[str, str] = {}
    by_task: dict[str, list[tuple[int, int]]] = {}
    for block in result.blocks:
        start, end = _floor_min(block.start), _floor_min(block.end)
        name = label(block.task_id, start, end)
        task = tasks.get(block.task_id)
        if task is None:
            violations.append(f"{name}: unknown task")
            continue
        by_task.setdefault(block.task_id, []).append((start, end))
        course_of[block.task_id] = task.course_id
        spans.append((start, end, block.task_id))
        if _ceil_min(block.start) != start or _ceil_min(block.end) != end:
            violations.append(f"{name}: not on whole minutes")
        if end <= start:
            violations.append(f"{name}: ends before it starts")
            continue
        if block.course_id != task.course_id:
            violations.append(f"{name}: course {block.course_id} is not the task's")
        if start < now:
            violations.append(f"{name}: starts before now")
        if start < h_start or end > h_end:
            violations.append(f"{name}: outside the horizon")
        if start < _ceil_min(task.release):
            violations.append(f"{name}: starts before the task's release")
        if end > _floor_min(task.deadline):
            violations.append(f"{name}: ends after the task's deadline")
        index = bisect.bisect_right(free_starts, start) - 1
        if index < 0 or free[index][1] < end:
            violations.append(f"{name}: outside free time (availability, busy + buffer)")
        for lock_start, lock_end, _ in locked:
            if lock_start < end and start < lock_end:
                violations.append(f"{name}: overlaps a locked block")
        if end - start < _effective_min_chunk(task, limits):
            violations.append(f"{name}: shorter than the minimum chunk")
        if end - start > limits.max_block_min:
            violations.append(f"{name}: longer than {limits.max_block_min} min")

    spans.sort()
    for (s1, e1, t1), (s2, e2, t2) in itertools.pairwise(spans):
        if s2 < e1:
            violations.append(f"{label(t1, s1, e1)} overlaps {label(t2, s2, e2)}")

    # Daily cap and block count per local day; locked blocks count.
    per_day: dict[date, list[tuple[int, int, bool]]] = {}
    for start, end, _ in spans:
        per_day.setdefault(local_day(start), []).append((start, end, True))
    for start, end, _ in locked:
        day = local_day(start)
        if day in per_day:
            per_day[day].append((start, end, False))
    cap = limits.cap_min
    for day in sorted(per_day):
        items = per_day[day]
        total = sum(e - s for s, e, _ in items)
        if total > cap:
            violations.append(f"{day}: {total} min planned incl. locked, cap is {cap} min")
        if len(items) > limits.max_blocks_per_day:
            violations.append(
                f"{day}: {len(items)} blocks incl. locked, at most {limits.max_blocks_per_day}"
            )

    # Breaks on the time line, not per day: a run of work never continues past local midnight
    # without its break. Switching course needs the longer gap; an unknown course is a switch.
    timeline = sorted(
        [(s, e, course_of[t], True) for s, e, t in spans]
        + [(s, e, lb.course_id, False) for s, e, lb in locked],
        key=lambda item: (item[0], item[1]),
    )
    widest = limits.widest_gap
    for index, (start, end, course, is_planned) in enumerate(timeline):
        for other_start, _, other_course, other_planned in timeline[index + 1 :]:
            if other_start - end >= widest:
                break
            if not (is_planned or other_planned) or other_start < end:
                continue
            gap = limits.gap_between(course, other_course)
            if other_start - end < gap:
                violations.append(
                    f"blocks at {_format_local(start, tz)} and {_format_local(other_start, tz)} "
                    f"are less than {gap} min apart"
                )

    for task_id in sorted(by_task):
        task = tasks[task_id]
        blocks = sorted(by_task[task_id])
        total = sum(e - s for s, e in blocks)
        if total > task.duration_min:
            violations.append(f"task {task_id}: {total} min planned, only {task.duration_min} due")
        if not task.is_splittable and (len(blocks) != 1 or total != task.duration_min):
            violations.append(f"task {task_id}: not splittable but not one full block")
        first_start = blocks[0][0]
        for pred_id in task.predecessors:
            ends = [e for _, e in by_task.get(pred_id, [])]
            ends += [e for _, e, lb in locked if lb.task_id == pred_id]
            if pred_id in tasks and ends and max(ends) > first_start:
                violations.append(
                    f"task {task_id}: starts {_format_local(first_start, tz)} before "
                    f"prerequisite {pred_id} ends {_format_local(max(ends), tz)}"
                )
    return violations
