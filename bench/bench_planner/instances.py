"""The seeded planning instances (two-week quality cases, a semester), their variants and
the measures of a plan (churn, shape)."""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Difficulty,
    Interval,
    LockedBlock,
    PlanLimits,
    PlanRequest,
    PlanResult,
    PlanTask,
)

SLOT_MIN = 15
QUALITY_SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
# HiGHS proves optimality in 5-50 s on these sizes; the limit bounds the bench's run time.
MILP_TIME_LIMIT_S = 120.0
# HiGHS stops within 0.2% of its proven bound; the dual-bound ratio covers what is left.
MILP_RELATIVE_GAP = 0.002
TIMING_REPEATS = 3
# Share of tasks with a prerequisite in the quality instances.
PREREQUISITE_SHARE = 0.3
TZ_NAME = "America/New_York"
COURSES = ("bio", "chem", "calc", "hist", "lit", "phys")
DIFFICULTIES = tuple(Difficulty)


# -- Instances ------------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TZ_NAME))


def _availability(rng: random.Random) -> dict[str, list[dict[str, str]]]:
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
    result: dict[str, list[dict[str, str]]] = {}
    for name in weekdays:
        start = rng.choice((16, 17, 18))
        result[name] = [{"start": f"{start:02d}:00", "end": f"{start + rng.choice((3, 4)):02d}:00"}]
        if rng.random() < 0.3:
            result[name].insert(0, {"start": "07:00", "end": "08:30"})
    for name in ("saturday", "sunday"):
        result[name] = [{"start": "10:00", "end": "13:00"}, {"start": "15:00", "end": "18:30"}]
    return result


def quality_instance(seed: int) -> PlanRequest:
    """Two weeks, 15-25 tasks, about 1.3x more work than capacity so choices matter."""
    rng = random.Random(seed)
    first = date(2026, 3, 2)  # a Monday; the horizon crosses the US spring-forward (Mar 8)
    start = _local(first, 0)
    end = _local(first + timedelta(days=14), 0)
    busy = []
    for _ in range(rng.randint(3, 7)):
        day = first + timedelta(days=rng.randrange(14))
        hour = rng.choice((11, 16, 17, 18, 19))
        busy.append(Interval(_local(day, hour, 30), _local(day, hour + 1, 30)))
    locked = []
    for _ in range(rng.randint(1, 3)):
        day = first + timedelta(days=rng.randrange(14))
        locked.append(
            LockedBlock(_local(day, 19), _local(day, 20), course_id=rng.choice(COURSES[:4]))
        )
    tasks = []
    count = rng.randint(15, 25)
    for index in range(count):
        release_day = rng.choice((0, 0, 0, rng.randrange(10)))
        deadline_day = min(14, release_day + rng.randint(2, 12))
        is_splittable = rng.random() > 0.2
        duration = rng.choice(
            (30, 45, 60, 90) if not is_splittable else (45, 60, 90, 120, 180, 240)
        )
        tasks.append(
            PlanTask(
                id=f"t{index:02d}",
                duration_min=duration,
                release=_local(first + timedelta(days=release_day), 0),
                deadline=_local(first + timedelta(days=deadline_day), rng.choice((0, 12, 18))),
                priority=round(rng.uniform(1, 10), 2),
                course_id=rng.choice(COURSES[:4]),
                difficulty=rng.choice(DIFFICULTIES),
                is_splittable=is_splittable,
                min_chunk_min=rng.choice((None, 30, 45)),
                topic_key=f"topic{rng.randrange(8)}",
            )
        )
    # Prerequisites as in a course: an earlier-released task of the same course, due no later.
    for index, task in enumerate(tasks):
        options = [
            other.id
            for other in tasks[:index]
            if other.course_id == task.course_id
            and other.release <= task.release
            and other.deadline <= task.deadline
        ]
        if options and rng.random() < PREREQUISITE_SHARE:
            tasks[index] = replace(task, predecessors=(rng.choice(options),))
    # Module 3's defaults for the rules (break 10, 15 between courses, buffer 15, blocks of at
    # most 120 min, 6 a day). On the 15-minute grid a 10-minute break takes one slot, as does
    # the 15-minute course switch, so one gap of one slot is the exact rule here.
    limits = PlanLimits(
        max_hours_per_day=3.0,
        preferred_block_min=60,
        min_block_min=30,
        break_min=10,
        course_switch_break_min=15,
        buffer_min=15,
        max_block_min=120,
        max_blocks_per_day=6,
        granularity_min=SLOT_MIN,
    )
    return PlanRequest(
        tasks=tuple(tasks),
        availability=_availability(rng),
        timezone=TZ_NAME,
        now=start + timedelta(hours=rng.choice((0, 18))),
        horizon_start=start,
        horizon_end=end,
        busy=tuple(busy),
        locked=tuple(locked),
        limits=limits,
    )


def semester_instance(seed: int = 7, *, weeks: int = 16, task_count: int = 300) -> PlanRequest:
    """A semester: 6 courses, weekly readings/problem sets, chains, exams, default preferences."""
    rng = random.Random(seed)
    first = date(2026, 8, 31)  # crosses the US fall-back (Nov 1)
    start = _local(first, 0)
    end = _local(first + timedelta(days=7 * weeks), 0)
    days = 7 * weeks
    busy = []
    for day_offset in range(days):
        for _ in range(rng.choice((0, 0, 1, 2))):
            hour = rng.choice((12, 17, 18, 19, 20, 21))
            day = first + timedelta(days=day_offset)
            busy.append(Interval(_local(day, hour), _local(day, hour, 45)))
    tasks = []
    per_course = task_count // len(COURSES)
    for course_index, course in enumerate(COURSES):
        previous_id = None
        for index in range(per_course):
            task_id = f"{course}-{index:03d}"
            release_day = int(index * days / per_course)
            deadline_day = min(days, release_day + rng.randint(4, 14))
            is_exam_prep = index % 12 == 11
            duration = rng.choice((30, 45, 60, 90, 120)) if not is_exam_prep else 240
            chained = previous_id is not None and rng.random() < 0.3
            tasks.append(
                PlanTask(
                    id=task_id,
                    duration_min=duration,
                    release=_local(first + timedelta(days=release_day), 0),
                    deadline=_local(first + timedelta(days=deadline_day), 9),
                    priority=round(rng.uniform(1, 10) + (3 if is_exam_prep else 0), 2),
                    course_id=course,
                    difficulty=Difficulty.EXAM_LEVEL if is_exam_prep else rng.choice(DIFFICULTIES),
                    is_splittable=rng.random() > 0.15 or duration > 120,
                    predecessors=(previous_id,) if chained else (),
                    topic_key=f"{course}-topic{index // 3}",
                    assessment_id=f"{course}-exam{index // 12}",
                )
            )
            previous_id = task_id
        del course_index
    return PlanRequest(
        tasks=tuple(tasks),
        availability={
            "monday": [{"start": "18:00", "end": "22:00"}],
            "tuesday": [{"start": "18:00", "end": "22:00"}],
            "wednesday": [{"start": "18:00", "end": "22:00"}],
            "thursday": [{"start": "18:00", "end": "22:00"}],
            "friday": [{"start": "19:00", "end": "22:00"}],
            "saturday": [{"start": "09:00", "end": "21:00"}],
            "sunday": [{"start": "09:00", "end": "21:00"}],
        },
        timezone=TZ_NAME,
        now=start,
        horizon_start=start,
        horizon_end=end,
        busy=tuple(busy),
        limits=PlanLimits(peak_hours=(9, 10, 11, 18, 19)),
    )


def week_window(request: PlanRequest, *, week: int) -> PlanRequest:
    """The 7-day rolling horizon a nightly replan would see, starting `week` weeks in."""
    start = request.horizon_start + timedelta(days=7 * week)
    end = start + timedelta(days=7)
    tasks = tuple(t for t in request.tasks if t.release < end and t.deadline > start)
    busy = tuple(b for b in request.busy if b.end > start and b.start < end)
    known = {t.id for t in tasks}
    tasks = tuple(
        replace(t, predecessors=tuple(p for p in t.predecessors if p in known)) for t in tasks
    )
    return replace(request, tasks=tasks, busy=busy, now=start, horizon_start=start, horizon_end=end)


def with_previous(request: PlanRequest, result: PlanResult) -> PlanRequest:
    blocks: dict[str, list[Interval]] = {}
    for block in result.blocks:
        blocks.setdefault(block.task_id, []).append(Interval(block.start, block.end))
    tasks = tuple(replace(t, previous_blocks=tuple(blocks.get(t.id, ()))) for t in request.tasks)
    return replace(request, tasks=tasks)


def add_busy_over(request: PlanRequest, result: PlanResult, pick: int) -> PlanRequest:
    """Add one 1-hour calendar event on top of the `pick`-th planned block."""
    block = sorted(result.blocks, key=lambda b: (b.start, b.task_id))[pick]
    event = Interval(block.start + timedelta(minutes=15), block.start + timedelta(minutes=75))
    return replace(request, busy=(*request.busy, event))


def churn(before: PlanResult, after: PlanResult) -> float:
    kept = {(b.task_id, b.start, b.end) for b in after.blocks}
    moved = sum(1 for b in before.blocks if (b.task_id, b.start, b.end) not in kept)
    return moved / max(1, len(before.blocks))


@contextlib.contextmanager
def _quiet_c_stdout():
    """HiGHS sometimes prints from C despite disp=False; keep the table readable."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def plan_shape(request: PlanRequest, result: PlanResult) -> dict:
    """Blocks per local day (locked included) and the longest continuous run of study: blocks
    closer than a break count as one run, across local midnight too."""
    tz = ZoneInfo(request.timezone)
    spans = sorted(
        [(b.start, b.end) for b in result.blocks] + [(b.start, b.end) for b in request.locked]
    )
    per_day: dict[date, int] = {}
    for start, _ in spans:
        per_day[start.astimezone(tz).date()] = per_day.get(start.astimezone(tz).date(), 0) + 1
    longest = 0
    run_start = run_end = None
    for start, end in spans:
        if run_end is None or start - run_end >= timedelta(minutes=request.limits.break_min):
            run_start = start
        run_end = max(end, run_end or end)
        longest = max(longest, int((run_end - run_start) // timedelta(minutes=1)))
    return {
        "max_blocks_per_day": max(per_day.values(), default=0),
        "mean_blocks_per_day": statistics.mean(per_day.values()) if per_day else 0.0,
        "longest_run_min": longest,
        "longest_block_min": max((b.minutes for b in result.blocks), default=0),
    }
