"""The exact optimum: the same objective and hard rules as a MILP solved by HiGHS, its
solution turned back into a PlanResult and checked with `validate()`."""

from __future__ import annotations

import itertools
import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from bench.bench_planner.instances import (
    MILP_RELATIVE_GAP,
    MILP_TIME_LIMIT_S,
    SLOT_MIN,
    _quiet_c_stdout,
)
from scheduling.planner import (
    PlannedBlock,
    PlanRequest,
    PlanResult,
    free_intervals,
)

# -- Exact optimum --------------------------------------------------------------------------


def _minutes(value: datetime) -> int:
    return int((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(minutes=1))


def milp_optimum(request: PlanRequest) -> dict:
    """Exact max priority-weighted minutes on the 15-minute grid (see module docstring).

    One binary per candidate block (task, first slot, length in slots). A block with its
    trailing break must not share a grid point with any other block of the same day, which is
    exactly "no overlap and a break between blocks"; these are the clique constraints of an
    interval graph, so the LP relaxation is tight and HiGHS solves in seconds.
    """
    limits = request.limits
    tz = ZoneInfo(request.timezone)
    # One gap for every pair of blocks: exact when both gaps round up to the same number of
    # grid slots, which the quality instances ensure (checked here).
    gap_slots = -(-limits.widest_gap // SLOT_MIN)
    if -(-limits.break_min // SLOT_MIN) != gap_slots:
        raise ValueError("the MILP models one gap; break and course switch must share a slot")
    max_slots = limits.max_block_min // SLOT_MIN
    free = free_intervals(
        request.availability,
        timezone=request.timezone,
        start=max(request.horizon_start, request.now),
        end=request.horizon_end,
        busy=request.busy,
        buffer_min=limits.buffer_min,
        earliest_start=limits.earliest_start,
        latest_end=limits.latest_end,
    )
    locked = [(_minutes(b.start), _minutes(b.end), b) for b in request.locked]
    gap = limits.break_min
    usable_slots: set[int] = set()  # absolute slot numbers (minute // 15)
    for interval in free:
        minute = -(-_minutes(interval.start) // SLOT_MIN) * SLOT_MIN
        while minute + SLOT_MIN <= _minutes(interval.end):
            if all(minute + SLOT_MIN + gap <= s or minute >= e + gap for s, e, _ in locked):
                usable_slots.add(minute // SLOT_MIN)
            minute += SLOT_MIN

    def day_of(slot: int) -> date:
        return datetime.fromtimestamp(slot * SLOT_MIN * 60, tz).date()

    cap_slots: dict[date, int] = {}
    blocks_left: dict[date, int] = {}
    for day in {day_of(slot) for slot in usable_slots}:
        day_locked = [(s, e) for s, e, _ in locked if day_of(s // SLOT_MIN) == day]
        cap_slots[day] = max(0, limits.cap_min - sum(e - s for s, e in day_locked)) // SLOT_MIN
        blocks_left[day] = max(0, limits.max_blocks_per_day - len(day_locked))
    lock_end: dict[str, int] = {}
    for _, e, block in locked:
        if block.task_id:
            lock_end[block.task_id] = max(lock_end.get(block.task_id, 0), e)

    tasks = sorted(request.tasks, key=lambda t: t.id)
    now = _minutes(request.now)
    candidates: list[tuple[str, int, int]] = []  # (task id, first slot, length in slots)
    for task in tasks:
        lo = max(now, _minutes(task.release), _minutes(request.horizon_start))
        lo = max([lo] + [lock_end.get(p, 0) for p in task.predecessors])
        hi = min(_minutes(task.deadline), _minutes(request.horizon_end))
        need = task.duration_min // SLOT_MIN
        min_len = min(max(task.min_chunk_min or 0, limits.min_block_min), task.duration_min)
        shortest = need if not task.is_splittable else -(-min_len // SLOT_MIN)
        for first in sorted(usable_slots):
            if first * SLOT_MIN < lo:
                continue
            length = 0
            while (
                first + length in usable_slots
                and length < min(need, max_slots)
                and (first + length + 1) * SLOT_MIN <= hi
                and day_of(first + length) == day_of(first)
            ):
                length += 1
                start_min, end_min = first * SLOT_MIN, (first + length) * SLOT_MIN
                # The gap to a locked block depends on the two courses.
                clear = all(
                    end_min + limits.gap_between(task.course_id, b.course_id) <= s
                    or start_min >= e + limits.gap_between(task.course_id, b.course_id)
                    for s, e, b in locked
                )
                if clear and length >= shortest and (task.is_splittable or length == need):
                    candidates.append((task.id, first, length))
    priority = {t.id: t.priority for t in tasks}
    rows: list[tuple[dict[int, float], float, float]] = []
    by_task: dict[str, dict[int, float]] = {}
    by_day: dict[date, dict[int, float]] = {}
    count_by_day: dict[date, dict[int, float]] = {}
    cover: dict[int, dict[int, float]] = {}
    for column, (task_id, first, length) in enumerate(candidates):
        by_task.setdefault(task_id, {})[column] = length
        by_day.setdefault(day_of(first), {})[column] = length
        count_by_day.setdefault(day_of(first), {})[column] = 1
        # The trailing break runs on past local midnight: breaks hold across it.
        for point in range(first, first + length + gap_slots):
            cover.setdefault(point, {})[column] = 1
    for task in tasks:
        if task.id in by_task:
            rows.append((by_task[task.id], -np.inf, task.duration_min // SLOT_MIN))
    for day, coefficients in by_day.items():
        rows.append((coefficients, -np.inf, cap_slots[day]))
    for day, coefficients in count_by_day.items():
        rows.append((coefficients, -np.inf, blocks_left[day]))
    for coefficients in cover.values():
        if len(coefficients) > 1:
            rows.append((coefficients, -np.inf, 1))
    column_count = len(candidates)
    extra_upper: list[float] = []
    # Prerequisites, for each direct edge P -> D: a monotone step z over the grid (continuous,
    # 0 then 1). A block of D may start only where z = 1; a block of P may cover a slot only
    # where z = 0. Tighter than a big-M on start/finish times.
    grid = sorted(usable_slots)
    ids = {t.id for t in tasks}
    for task in tasks:
        for pred in task.predecessors:
            if pred not in ids or task.id not in by_task or pred not in by_task:
                continue
            step = {slot: column_count + k for k, slot in enumerate(grid)}
            column_count += len(grid)
            extra_upper += [1.0] * len(grid)
            for earlier, later in itertools.pairwise(grid):
                rows.append(({step[earlier]: 1, step[later]: -1}, -np.inf, 0))
            for column in by_task[task.id]:
                _, first, _ = candidates[column]
                rows.append(({column: 1, step[first]: -1}, -np.inf, 0))
            for column in by_task[pred]:
                _, first, length = candidates[column]
                rows.append(({column: 1, step[first + length - 1]: 1}, -np.inf, 1))
    data, row_ids, col_ids, lower_b, upper_b = [], [], [], [], []
    for r, (coefficients, lb, ub) in enumerate(rows):
        for column, value in coefficients.items():
            row_ids.append(r)
            col_ids.append(column)
            data.append(value)
        lower_b.append(lb)
        upper_b.append(ub)
    matrix = coo_matrix((data, (row_ids, col_ids)), shape=(len(rows), column_count)).tocsr()
    cost = np.zeros(column_count)
    for column, (task_id, _, length) in enumerate(candidates):
        cost[column] = -priority[task_id] * length * SLOT_MIN
    integrality = np.zeros(column_count)
    integrality[: len(candidates)] = 1
    upper = np.concatenate([np.ones(len(candidates)), np.array(extra_upper)])
    started = clock.perf_counter()
    with _quiet_c_stdout():
        solution = milp(
            c=cost,
            integrality=integrality,
            bounds=Bounds(np.zeros(column_count), upper),
            constraints=LinearConstraint(matrix, np.array(lower_b), np.array(upper_b)),
            options={
                "time_limit": MILP_TIME_LIMIT_S,
                "disp": False,
                "mip_rel_gap": MILP_RELATIVE_GAP,
            },
        )
    elapsed = clock.perf_counter() - started
    if solution.x is None:
        raise RuntimeError(f"MILP failed: {solution.message}")
    best = -float(solution.fun)
    bound = -float(getattr(solution, "mip_dual_bound", solution.fun))
    chosen = [candidates[i] for i in range(len(candidates)) if solution.x[i] > 0.5]
    return {
        "value": best,
        "bound": max(best, bound),
        "is_optimal": solution.status == 0,
        "seconds": elapsed,
        "variables": column_count,
        "constraints": len(rows),
        "blocks": _result_from_blocks(request, chosen),
    }


def _result_from_blocks(request: PlanRequest, chosen: list[tuple[str, int, int]]) -> PlanResult:
    tasks = {t.id: t for t in request.tasks}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    counters: dict[str, int] = {}
    planned = []
    for task_id, first, length in sorted(chosen, key=lambda c: (c[1], c[0])):
        planned.append(
            PlannedBlock(
                task_id=task_id,
                start=epoch + timedelta(minutes=first * SLOT_MIN),
                end=epoch + timedelta(minutes=(first + length) * SLOT_MIN),
                course_id=tasks[task_id].course_id,
                chunk_index=counters.get(task_id, 0),
            )
        )
        counters[task_id] = counters.get(task_id, 0) + 1
    minutes = sum(b.minutes for b in planned)
    weighted = sum(b.minutes * tasks[b.task_id].priority for b in planned)
    return PlanResult(tuple(planned), (), (), (), minutes, weighted, 0)
