"""plan(): the same input gives the same plan; a replan keeps what it can (low churn).

No database: the planner is plain Python.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from scheduling.planner import (
    Interval,
    parse_weekly_availability,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    EVENINGS,
    MONDAY,
    busy_week,
    local,
    minutes_by_task,
    request_for,
    task,
)


def test_same_input_gives_the_same_plan_whatever_the_order():
    request = busy_week(3)
    first = plan(request)
    assert plan(request) == first
    rng = random.Random(7)
    shuffled_tasks = list(request.tasks)
    rng.shuffle(shuffled_tasks)
    days = list(EVENINGS.items())
    rng.shuffle(days)
    shuffled = replace(
        request,
        tasks=tuple(shuffled_tasks),
        busy=tuple(reversed(request.busy)),
        availability=parse_weekly_availability(dict(days)),
    )
    assert plan(shuffled) == first


def test_replan_after_one_new_busy_event_moves_only_the_blocks_it_hits():
    request = request_for(
        [
            task(
                f"t{i}",
                60,
                MONDAY,
                MONDAY + timedelta(days=7),
                topic_key=f"k{i}",
                course_id=("math", "bio")[i % 2],
            )
            for i in range(8)
        ],
        MONDAY,
    )
    first = plan(request)
    assert not first.unscheduled
    hit = sorted(first.blocks, key=lambda b: b.start)[3]
    event = Interval(hit.start + timedelta(minutes=20), hit.start + timedelta(minutes=40))
    previous: dict[str, list[Interval]] = {}
    for block in first.blocks:
        previous.setdefault(block.task_id, []).append(Interval(block.start, block.end))
    again = replace(
        request,
        busy=(event,),
        tasks=tuple(
            replace(t, previous_blocks=tuple(previous.get(t.id, ()))) for t in request.tasks
        ),
    )
    second = plan(again)
    assert validate(again, second) == []
    before = {(b.task_id, b.start, b.end) for b in first.blocks}
    after = {(b.task_id, b.start, b.end) for b in second.blocks}
    assert before - after == {(hit.task_id, hit.start, hit.end)}
    assert second.kept_block_count == len(first.blocks) - 1
    assert minutes_by_task(second) == minutes_by_task(first)


def test_previous_blocks_that_broke_a_rule_are_not_kept():
    request = request_for([task("a", 60, MONDAY, MONDAY + timedelta(days=2))], MONDAY, days=2)
    stale = replace(
        request.tasks[0],
        previous_blocks=((local(MONDAY, 12), local(MONDAY, 13)),),  # outside availability
    )
    result = plan(replace(request, tasks=(stale,)))
    assert result.kept_block_count == 0
    assert validate(request, result) == []
