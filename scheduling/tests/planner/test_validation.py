"""validate() catches every kind of violation and accepts a good plan.

No database: the planner is plain Python.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduling.planner import (
    Interval,
    LockedBlock,
    PlanLimits,
    PlannedBlock,
    PlanResult,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    MONDAY,
    busy_week,
    local,
    local_day,
    request_for,
    task,
)

# -- The validator catches every kind of violation ----------------------------------------


def test_validate_reports_each_broken_rule():
    tasks = [
        task("a", 120, MONDAY, MONDAY + timedelta(days=2), min_chunk_min=30),
        task("b", 60, MONDAY, MONDAY + timedelta(days=2), predecessors=("a",), is_splittable=False),
        task("c", 30, MONDAY, MONDAY + timedelta(days=1), deadline=local(MONDAY, 19)),
    ]
    request = request_for(
        tasks,
        MONDAY,
        days=2,
        now=local(MONDAY, 18, 30),
        busy=(
            Interval(local(MONDAY + timedelta(days=1), 20), local(MONDAY + timedelta(days=1), 21)),
        ),
        locked=(LockedBlock(local(MONDAY, 21), local(MONDAY, 22)),),
        limits=PlanLimits(max_hours_per_day=2.0, break_min=10),
    )

    def block(task_id, start, end, course="math", index=0):
        return PlannedBlock(task_id, start, end, course, index)

    bad = PlanResult(
        blocks=(
            block("c", local(MONDAY, 18), local(MONDAY, 19, 30)),  # before now, after deadline
            block("a", local(MONDAY, 19, 35), local(MONDAY, 19, 50)),  # too short, no break
            block("a", local(MONDAY, 19, 45), local(MONDAY, 21, 30), index=1),  # overlaps
            block("b", local(MONDAY, 12), local(MONDAY, 12, 30)),  # outside free time, split
            block(
                "b",
                local(MONDAY + timedelta(days=1), 20, 10),
                local(MONDAY + timedelta(days=1), 20, 40),
                index=1,
            ),  # in busy time + buffer, and before prerequisite "a" ends
            block("ghost", local(MONDAY, 18), local(MONDAY, 19)),
            block(
                "a",
                local(MONDAY + timedelta(days=1), 18),
                local(MONDAY + timedelta(days=1), 19),
                course="bio",
                index=2,
            ),  # wrong course, "a" over its duration
        ),
        unscheduled=(),
        cushions=(),
        day_loads=(),
        placed_min=0,
        weighted_min=0.0,
        kept_block_count=0,
    )
    text = "\n".join(validate(request, bad))
    for expected in (
        "starts before now",
        "ends after the task's deadline",
        "shorter than the minimum chunk",
        "less than 10 min apart",
        "overlaps block a",
        "overlaps a locked block",
        "outside free time",
        "not splittable but not one full block",
        "unknown task",
        "course bio is not the task's",
        "only 120 due",
        "cap is 120 min",
        "before prerequisite a ends",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda b: replace(b, start=b.start + timedelta(days=9), end=b.end + timedelta(days=9)),
            "outside the horizon",
        ),
        (lambda b: replace(b, end=b.end + timedelta(seconds=1)), "not on whole minutes"),
        (lambda b: replace(b, end=b.end + timedelta(minutes=5)), "min apart"),
        (lambda b: replace(b, start=b.start - timedelta(hours=12)), "outside free time"),
    ],
)
def test_validate_flags_a_single_mutated_block(mutate, expected):
    request = busy_week(11)
    result = plan(request)
    assert validate(request, result) == []
    blocks = sorted(result.blocks, key=lambda b: b.start)
    # A block followed by another on the same day, so stretching it breaks the break rule.
    index = next(
        i for i in range(len(blocks) - 1) if local_day(blocks[i]) == local_day(blocks[i + 1])
    )
    broken = replace(result, blocks=(*blocks[:index], mutate(blocks[index]), *blocks[index + 1 :]))
    assert any(expected in message for message in validate(request, broken))


def test_validate_accepts_a_good_plan_and_checks_locked_prerequisites():
    request = request_for(
        [
            task("b", 60, MONDAY, MONDAY + timedelta(days=2), predecessors=("a",)),
            task("a", 30, MONDAY, MONDAY + timedelta(days=2)),
        ],
        MONDAY,
        days=2,
        locked=(
            LockedBlock(
                local(MONDAY + timedelta(days=1), 20),
                local(MONDAY + timedelta(days=1), 21),
                task_id="a",
            ),
        ),
    )
    result = plan(request)
    assert validate(request, result) == []
    b_start = min(b.start for b in result.blocks if b.task_id == "b")
    assert b_start >= local(MONDAY + timedelta(days=1), 21)
    early = replace(
        result,
        blocks=(PlannedBlock("b", local(MONDAY, 18), local(MONDAY, 19), "math", 0),),
    )
    assert any("before prerequisite a" in v for v in validate(request, early))
