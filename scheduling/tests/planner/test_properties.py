"""Property: random instances and replans, every hard rule holds.

No database: the planner is plain Python.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.planner import (
    Difficulty,
    Interval,
    LockedBlock,
    PlanLimits,
    PlanRequest,
    PlanResult,
    PlanTask,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    minutes_by_task,
)

# -- Property: random instances, every hard rule holds ------------------------------------

ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata")
# Weeks with a DST change somewhere in ZONES (US Mar 8 / Nov 1, EU Mar 29 / Oct 25,
# Sydney Apr 5 / Oct 4 in 2026), plus an ordinary week.
START_DATES = (
    date(2026, 3, 5),
    date(2026, 3, 27),
    date(2026, 4, 3),
    date(2026, 10, 2),
    date(2026, 10, 23),
    date(2026, 10, 30),
    date(2026, 6, 15),
)


@st.composite
def plan_requests(draw) -> PlanRequest:
    zone = draw(st.sampled_from(ZONES))
    first = draw(st.sampled_from(START_DATES))
    days = draw(st.integers(1, 6))
    hours = days * 24
    origin = datetime.combine(first, time(0), tzinfo=ZoneInfo(zone))

    def instant(latest_hour: int):
        return origin + timedelta(minutes=draw(st.integers(0, latest_hour * 60)))

    availability: dict[str, list[dict[str, str]]] = {}
    for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        for _ in range(draw(st.sampled_from((0, 1, 1, 2, 2)))):
            start = draw(st.integers(0, 95)) * 15  # including 01:00-03:00 (DST gaps)
            end = (start + draw(st.integers(2, 40)) * 15) % (24 * 60)  # may pass midnight
            availability.setdefault(name, []).append(
                {
                    "start": f"{start // 60:02d}:{start % 60:02d}",
                    "end": f"{end // 60:02d}:{end % 60:02d}",
                }
            )
    busy = []
    for _ in range(draw(st.integers(0, 4))):
        start = instant(hours)
        busy.append(Interval(start, start + timedelta(minutes=draw(st.integers(15, 180)))))
    locked = []
    for _ in range(draw(st.integers(0, 3))):
        start = instant(hours)
        locked.append(
            LockedBlock(
                start,
                start + timedelta(minutes=draw(st.integers(15, 120))),
                task_id=draw(st.sampled_from((None, "t0", "t1"))),
                course_id="c0",
            )
        )
    count = draw(st.integers(0, 10))
    tasks = []
    for index in range(count):
        release = instant(hours // 3)
        deadline = release + timedelta(minutes=draw(st.integers(60, hours * 60)))
        # Mostly earlier tasks; sometimes any task, which makes cycles.
        highest = count if draw(st.integers(0, 9)) == 0 else index - 1
        predecessors = tuple(
            f"t{p}"
            for p in draw(st.lists(st.integers(0, max(highest, 0)), max_size=2, unique=True))
            if p != index and highest >= 0
        )
        previous = []
        for _ in range(draw(st.sampled_from((0, 0, 1)))):
            start = instant(hours)
            previous.append(Interval(start, start + timedelta(minutes=draw(st.integers(10, 120)))))
        tasks.append(
            PlanTask(
                id=f"t{index}",
                duration_min=draw(st.integers(0, 240)),
                release=release,
                deadline=deadline,
                priority=draw(st.floats(0, 10, allow_nan=False)),
                course_id=f"c{draw(st.integers(0, 2))}",
                difficulty=draw(st.sampled_from(list(Difficulty))),
                is_splittable=draw(st.booleans()),
                min_chunk_min=draw(st.one_of(st.none(), st.integers(5, 60))),
                predecessors=predecessors,
                topic_key=draw(st.one_of(st.none(), st.sampled_from(("x", "y")))),
                assessment_id=draw(st.one_of(st.none(), st.sampled_from(("a1", "a2")))),
                previous_blocks=tuple(previous),
            )
        )
    band = draw(st.sampled_from((None, None, None, (7, 23), (9, 1), "random")))
    if band == "random":
        band = draw(st.tuples(st.integers(0, 23), st.integers(0, 23)))
    limits = PlanLimits(
        max_hours_per_day=draw(st.sampled_from((0.5, 2.0, 3.0, 4.0, 8.0))),
        preferred_block_min=draw(st.integers(15, 120)),
        min_block_min=draw(st.integers(5, 45)),
        break_min=draw(st.integers(0, 30)),
        buffer_min=draw(st.integers(0, 30)),
        earliest_start=time(band[0]) if band else None,
        latest_end=time(band[1]) if band else None,
        peak_hours=tuple(draw(st.lists(st.integers(0, 23), max_size=3))),
        granularity_min=draw(st.sampled_from((1, 5, 15))),
        max_block_min=draw(st.sampled_from((45, 60, 90, 120, 180))),
        course_switch_break_min=draw(st.integers(0, 30)),
        max_blocks_per_day=draw(st.integers(1, 8)),
    )
    return PlanRequest(
        tasks=tuple(tasks),
        availability=availability,
        timezone=zone,
        now=instant(hours // 4),
        horizon_start=origin,
        horizon_end=origin + timedelta(days=days),
        busy=tuple(busy),
        locked=tuple(locked),
        limits=limits,
    )


def assert_reasons_agree_with_their_numbers(result: PlanResult) -> None:
    """A "no free stretch of N min" never stands next to a longest free stretch of N or more."""
    for item in result.unscheduled:
        found = re.match(
            r"no free stretch of (\d+) min .*longest free stretch (\d+) min", item.reason
        )
        if found:
            shortest, longest = int(found.group(1)), int(found.group(2))
            assert longest < shortest, item.reason


def assert_accounted(request: PlanRequest, result: PlanResult) -> None:
    """Every task's minutes are either planned or reported as unscheduled."""
    planned = minutes_by_task(result)
    short = {u.task_id: u.unscheduled_min for u in result.unscheduled}
    for item in request.tasks:
        if item.duration_min > 0:
            assert planned.get(item.id, 0) + short.get(item.id, 0) == item.duration_min


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_requests(), st.data())
def test_random_plans_and_replans_break_no_hard_rule(request: PlanRequest, data):
    result = plan(request)
    assert validate(request, result) == []
    assert_accounted(request, result)
    assert_reasons_agree_with_their_numbers(result)
    if not result.blocks:
        return
    # Replan as the service would: previous blocks as hints, one new calendar event.
    hit = data.draw(st.sampled_from(result.blocks))
    event = Interval(hit.start, hit.start + timedelta(minutes=data.draw(st.integers(1, 90))))
    previous: dict[str, list[Interval]] = {}
    for block in result.blocks:
        previous.setdefault(block.task_id, []).append(Interval(block.start, block.end))
    replan = replace(
        request,
        busy=(*request.busy, event),
        tasks=tuple(
            replace(t, previous_blocks=tuple(previous.get(t.id, ()))) for t in request.tasks
        ),
    )
    again = plan(replan)
    assert validate(replan, again) == []
    assert_accounted(replan, again)
    # Low churn: every block the new event (and its buffer) leaves alone is kept exactly.
    blocked_from = event.start - timedelta(minutes=request.limits.buffer_min)
    kept = {(b.task_id, b.start, b.end) for b in again.blocks if b.is_kept}
    for block in result.blocks:
        if block.end <= blocked_from or block.start >= event.end:
            assert (block.task_id, block.start, block.end) in kept
