"""Module 3's placement rules, checked from outside the planner, and prerequisites that serve
their dependant against a brute-force optimum.

The rule checks here are written independently of `validate`, so a bug shared by the planner
and the validator still fails a test.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.planner import (
    Interval,
    LockedBlock,
    PlanLimits,
    PlannedBlock,
    PlanRequest,
    PlanResult,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    MONDAY,
    NEW_YORK,
    local,
    request_for,
    task,
)
from scheduling.tests.planner.test_properties import plan_requests


def _timeline(request: PlanRequest, result: PlanResult) -> list[tuple]:
    """(start, end, course, is_planned) of every planned and locked block, in time order."""
    items = [(b.start, b.end, b.course_id, True) for b in result.blocks]
    items += [(lb.start, lb.end, lb.course_id, False) for lb in request.locked]
    return sorted(items, key=lambda item: (item[0], item[1]))


def assert_module3_rules(request: PlanRequest, result: PlanResult) -> None:
    limits = request.limits
    zone = ZoneInfo(request.timezone)
    for block in result.blocks:
        assert block.minutes <= limits.max_block_min
        for event in request.busy:
            # Not inside the buffer before an event, nor overlapping it.
            assert not (
                block.start < event.end
                and event.start - timedelta(minutes=limits.buffer_min) < block.end
            )
    per_day: dict[date, int] = {}
    planned_days = {b.start.astimezone(zone).date() for b in result.blocks}
    for start, _, _, _ in _timeline(request, result):
        per_day[start.astimezone(zone).date()] = per_day.get(start.astimezone(zone).date(), 0) + 1
    for day in planned_days:
        assert per_day[day] <= limits.max_blocks_per_day
    # A continuous run (blocks closer than a break) is never more than one block, whatever
    # local midnight says; different courses are kept apart by the longer gap.
    timeline = _timeline(request, result)
    for (_, end, course, planned), (start, _, other, other_planned) in itertools.pairwise(timeline):
        if not (planned or other_planned) or start < end:
            continue  # two locked blocks: the student's own doing
        gap = (start - end) // timedelta(minutes=1)
        assert gap >= limits.break_min
        if course is None or course != other:
            assert gap >= max(limits.break_min, limits.course_switch_break_min)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_requests())
def test_random_plans_keep_module3_rules_including_dst_weeks(request: PlanRequest):
    result = plan(request)
    assert validate(request, result) == []
    assert_module3_rules(request, result)


def test_defaults_are_module3s():
    limits = PlanLimits()
    assert limits.max_block_min == 120
    assert limits.buffer_min == 15
    assert limits.course_switch_break_min == 15
    assert limits.max_blocks_per_day == 6
    assert limits.gap_between("a", "a") == 10
    assert limits.gap_between("a", "b") == 15
    assert limits.gap_between("a", None) == 15


def _overloaded_week(**limit_overrides) -> PlanRequest:
    """Ten days of far more work than time: the case that used to stretch blocks to 240 min."""
    courses = ("bio", "chem", "calc")
    tasks = [
        task(
            f"t{index}",
            600,
            MONDAY,
            MONDAY + timedelta(days=10),
            priority=1.0 + index,
            course_id=courses[index % 3],
        )
        for index in range(6)
    ]
    availability = {
        day: [{"start": "09:00", "end": "21:00"}]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    limits = PlanLimits(max_hours_per_day=8.0, preferred_block_min=50, **limit_overrides)
    return request_for(tasks, MONDAY, days=10, availability=availability, limits=limits)


def test_an_overloaded_plan_keeps_blocks_short_and_days_at_six_blocks():
    request = _overloaded_week()
    result = plan(request)
    assert validate(request, result) == []
    assert_module3_rules(request, result)
    assert max(b.minutes for b in result.blocks) <= 120
    per_day: dict[date, int] = {}
    for block in result.blocks:
        day = block.start.astimezone(ZoneInfo(NEW_YORK)).date()
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) == 6  # the limit binds, and holds


def test_switching_course_needs_fifteen_minutes_staying_needs_the_break():
    tasks = [
        task("calc", 60, MONDAY, MONDAY + timedelta(days=1), course_id="calc", priority=9),
        task("bio", 60, MONDAY, MONDAY + timedelta(days=1), course_id="bio", priority=8),
    ]
    # One evening of 2 h 10 min: room for both only with a 10-minute gap, which a switch of
    # course does not allow.
    availability = {"monday": [{"start": "18:00", "end": "20:10"}]}
    request = request_for(
        tasks,
        MONDAY,
        days=1,
        availability=availability,
        limits=PlanLimits(min_block_min=60, preferred_block_min=60),
    )
    result = plan(request)
    assert validate(request, result) == []
    assert [b.task_id for b in result.blocks] == ["calc"]
    same_course = replace(request, tasks=tuple(replace(t, course_id="calc") for t in tasks))
    result = plan(same_course)
    assert validate(same_course, result) == []
    assert len(result.blocks) == 2


def test_buffer_before_a_calendar_event_is_fifteen_minutes():
    tasks = [task("calc", 60, MONDAY, MONDAY + timedelta(days=1), min_chunk_min=60)]
    availability = {"monday": [{"start": "18:00", "end": "22:00"}]}
    event = Interval(local(MONDAY, 19, 10), local(MONDAY, 22))
    request = request_for(
        tasks, MONDAY, days=1, availability=availability, busy=(event,), now=local(MONDAY, 18)
    )
    result = plan(request)
    # 18:00-19:10 minus 15 minutes of buffer leaves 55 minutes: too short for the hour.
    assert result.blocks == ()
    shorter = replace(event, start=local(MONDAY, 19, 15))
    request = replace(request, busy=(shorter,))
    result = plan(request)
    assert [(b.start, b.end) for b in result.blocks] == [(local(MONDAY, 18), local(MONDAY, 19))]


def test_breaks_and_runs_hold_across_local_midnight():
    """A 23:00-01:00 window with a one-hour cap used to give two straight hours."""
    tasks = [task("calc", 240, MONDAY, MONDAY + timedelta(days=3), min_chunk_min=30)]
    availability = {"monday": [{"start": "23:00", "end": "01:00"}]}
    request = request_for(
        tasks,
        MONDAY,
        days=3,
        availability=availability,
        limits=PlanLimits(max_hours_per_day=1.0, preferred_block_min=60),
    )
    result = plan(request)
    assert validate(request, result) == []
    assert_module3_rules(request, result)
    assert len(result.blocks) == 2
    first, second = sorted(result.blocks, key=lambda b: b.start)
    assert second.start - first.end >= timedelta(minutes=10)
    assert first.minutes + second.minutes <= 110


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("long", "longer than 120 min"),
        ("seven", "7 blocks incl. locked, at most 6"),
        ("switch", "less than 15 min apart"),
        ("midnight", "less than 10 min apart"),
        ("buffer", "outside free time"),
    ],
)
def test_validate_rejects_each_module3_violation(change, expected):
    tasks = [
        task("calc", 600, MONDAY, MONDAY + timedelta(days=2), course_id="calc"),
        task("bio", 600, MONDAY, MONDAY + timedelta(days=2), course_id="bio"),
    ]
    availability = {
        "monday": [{"start": "08:00", "end": "24:00"}],
        "tuesday": [{"start": "00:00", "end": "24:00"}],
    }
    busy = (Interval(local(MONDAY, 20), local(MONDAY, 21)),)
    request = request_for(
        tasks,
        MONDAY,
        days=2,
        availability=availability,
        busy=busy,
        limits=PlanLimits(max_hours_per_day=12.0),
    )

    def block(task_id, hour, minute, length):
        start = local(MONDAY, hour, minute)
        course = "calc" if task_id == "calc" else "bio"
        return PlannedBlock(task_id, start, start + timedelta(minutes=length), course, 0)

    blocks = {
        "long": [block("calc", 9, 0, 130)],
        "seven": [block("calc", 8 + 1 * i, 0, 30) for i in range(7)],
        "switch": [block("calc", 9, 0, 30), block("bio", 9, 40, 30)],
        "midnight": [
            block("calc", 23, 0, 60),
            PlannedBlock(
                "calc",
                local(MONDAY + timedelta(days=1), 0, 5),
                local(MONDAY + timedelta(days=1), 1, 0),
                "calc",
                1,
            ),
        ],
        "buffer": [block("calc", 19, 0, 50)],
    }[change]
    result = PlanResult(tuple(blocks), (), (), (), 0, 0.0, 0)
    assert any(expected in message for message in validate(request, result))


def test_locked_blocks_count_toward_six_a_day_and_keep_the_course_gap():
    locked = tuple(
        LockedBlock(local(MONDAY, 8 + 2 * i), local(MONDAY, 8 + 2 * i, 30), course_id="bio")
        for i in range(5)
    )
    tasks = [task("calc", 300, MONDAY, MONDAY + timedelta(days=1), course_id="calc")]
    availability = {"monday": [{"start": "08:00", "end": "23:00"}]}
    request = request_for(
        tasks,
        MONDAY,
        days=1,
        availability=availability,
        locked=locked,
        limits=PlanLimits(max_hours_per_day=10.0),
    )
    result = plan(request)
    assert validate(request, result) == []
    assert_module3_rules(request, result)
    assert len(result.blocks) == 1


# -- Prerequisites that serve the dependant ----------------------------------------------------

SLOT = 15


def brute_force_best(request: PlanRequest) -> float:
    """Max priority-weighted minutes over every plan on the 15-minute grid of one window.

    Same rules as the planner on these instances: blocks of min..max length, one grid slot of
    break between blocks (break and course switch are both 15 min here), the daily cap, at most
    `max_blocks_per_day` blocks, non-splittable tasks whole, and no prerequisite block after
    its dependant's first block.
    """
    limits = request.limits
    (window,) = request.availability
    day_start = local(MONDAY, window.start.hour, window.start.minute)
    slots = ((window.end.hour * 60 + window.end.minute) - (window.start.hour * 60)) // SLOT
    tasks = list(request.tasks)
    index = {t.id: i for i, t in enumerate(tasks)}
    gap = max(limits.break_min, limits.course_switch_break_min) // SLOT
    best = 0.0

    def search(slot, left, cap, blocks, started, value):
        nonlocal best
        best = max(best, value)
        if slot >= slots or cap <= 0 or blocks >= limits.max_blocks_per_day:
            return
        search(slot + 1, left, cap, blocks, started, value)
        for i, item in enumerate(tasks):
            if left[i] <= 0:
                continue
            if any(started[index[d.id]] for d in tasks if item.id in d.predecessors):
                continue  # a prerequisite after its dependant has begun
            shortest = min(max(item.min_chunk_min or 0, limits.min_block_min), item.duration_min)
            lengths = (
                [item.duration_min] if not item.is_splittable else range(shortest, 10**6, SLOT)
            )
            for minutes in lengths:
                length = minutes // SLOT
                if minutes > min(left[i], cap, limits.max_block_min) or slot + length > slots:
                    break
                if not item.is_splittable and left[i] != item.duration_min:
                    break
                if day_start + timedelta(minutes=(slot + length) * SLOT) > item.deadline:
                    break
                new_left = list(left)
                new_left[i] -= minutes
                new_started = list(started)
                new_started[i] = True
                search(
                    slot + length + gap,
                    new_left,
                    cap - minutes,
                    blocks + 1,
                    new_started,
                    value + item.priority * minutes,
                )

    search(0, [t.duration_min for t in tasks], limits.cap_min, 0, [False] * len(tasks), 0.0)
    return best


def _one_evening(
    tasks, availability, *, preferred_block: int, cap_hours: float = 2.0
) -> PlanRequest:
    """Monday's evening with 15-minute breaks and buffers, on the 15-minute grid."""
    limits = PlanLimits(
        max_hours_per_day=cap_hours,
        preferred_block_min=preferred_block,
        min_block_min=30,
        break_min=15,
        course_switch_break_min=15,
        buffer_min=15,
        granularity_min=SLOT,
    )
    return request_for(tasks, MONDAY, days=1, availability=availability, limits=limits)


@st.composite
def cheap_prerequisite_instances(draw) -> PlanRequest:
    """A cheap prerequisite, a valuable dependant, maybe a bystander, one short evening."""
    hours = draw(st.sampled_from((1.5, 2.0, 2.5, 3.0)))
    end_minute = 18 * 60 + int(hours * 60)
    availability = {
        "monday": [{"start": "18:00", "end": f"{end_minute // 60:02d}:{end_minute % 60:02d}"}]
    }
    durations = st.sampled_from((30, 45, 60, 90, 120, 180))
    due = MONDAY + timedelta(days=1)
    tasks = [
        task(
            "prereq",
            draw(durations),
            MONDAY,
            due,
            priority=draw(st.floats(0.01, 2.0)),
            course_id="calc",
        ),
        task(
            "dependant",
            draw(durations),
            MONDAY,
            due,
            priority=draw(st.floats(5.0, 10.0)),
            course_id="calc",
            predecessors=("prereq",),
        ),
    ]
    if draw(st.booleans()):
        tasks.append(
            task(
                "other",
                draw(durations),
                MONDAY,
                due,
                priority=draw(st.floats(0.5, 10.0)),
                course_id=draw(st.sampled_from(("calc", "bio"))),
                is_splittable=draw(st.booleans()),
            )
        )
    cap_hours = draw(st.sampled_from((1.0, 1.5, 2.0, 3.0)))
    preferred_block = draw(st.sampled_from((30, 45, 60)))
    return _one_evening(tasks, availability, preferred_block=preferred_block, cap_hours=cap_hours)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cheap_prerequisite_instances())
def test_a_cheap_prerequisite_never_starves_its_dependant(request: PlanRequest):
    result = plan(request)
    assert validate(request, result) == []
    best = brute_force_best(request)
    assert result.weighted_min >= 0.9 * best - 1e-6


def test_a_near_worthless_prerequisite_gives_way_to_other_work():
    """Dropping a prerequisite worth almost nothing can let a whole block of other work in.

    The evening holds 120 minutes: prerequisite then dependant leaves 30, too few for the
    60-minute block that will not split; the bystander and 45 minutes of the dependant are
    worth more, and the dependant may be studied without its prerequisite.
    """
    due = MONDAY + timedelta(days=1)
    tasks = [
        task("prereq", 30, MONDAY, due, priority=0.01, course_id="calc"),
        task("dependant", 60, MONDAY, due, priority=10.0, predecessors=("prereq",)),
        task("other", 60, MONDAY, due, priority=5.0, course_id="bio", is_splittable=False),
    ]
    availability = {"monday": [{"start": "18:00", "end": "20:00"}]}
    request = _one_evening(tasks, availability, preferred_block=30)
    result = plan(request)
    assert validate(request, result) == []
    assert {b.task_id for b in result.blocks} >= {"other", "dependant"}
    assert result.weighted_min >= 0.9 * brute_force_best(request)


@pytest.mark.parametrize(
    ("prerequisite", "dependant", "other", "evening_hours", "preferred_block"),
    [
        # The other work is 15 minutes short, less than a block: only a new layout holds it.
        ((30, 1.14), (30, 6.33), (45, 6.30, True), 2.0, 60),
        ((30, 0.2), (45, 8.53), (60, 4.46, False), 2.5, 45),
    ],
)
def test_a_day_is_laid_out_again_for_minutes_short_of_a_block(
    prerequisite, dependant, other, evening_hours, preferred_block
):
    due = MONDAY + timedelta(days=1)
    tasks = [
        task("prereq", prerequisite[0], MONDAY, due, priority=prerequisite[1], course_id="calc"),
        task(
            "dependant",
            dependant[0],
            MONDAY,
            due,
            priority=dependant[1],
            course_id="calc",
            predecessors=("prereq",),
        ),
        task(
            "other",
            other[0],
            MONDAY,
            due,
            priority=other[1],
            course_id="calc",
            is_splittable=other[2],
        ),
    ]
    end = 18 * 60 + int(evening_hours * 60)
    availability = {"monday": [{"start": "18:00", "end": f"{end // 60:02d}:{end % 60:02d}"}]}
    request = _one_evening(tasks, availability, preferred_block=preferred_block)
    result = plan(request)
    assert validate(request, result) == []
    assert result.weighted_min >= 0.9 * brute_force_best(request)


def test_two_task_case_gives_the_day_to_the_dependant():
    """The measured 0.016 case: a cheap prerequisite took the whole cap."""
    due = MONDAY + timedelta(days=1)
    tasks = [
        task("prereq", 120, MONDAY, due, priority=0.1, course_id="calc"),
        task("dependant", 120, MONDAY, due, priority=6.0, predecessors=("prereq",)),
    ]
    availability = {"monday": [{"start": "18:00", "end": "20:00"}]}
    request = request_for(
        tasks,
        MONDAY,
        days=1,
        availability=availability,
        limits=PlanLimits(max_hours_per_day=2.0, granularity_min=SLOT, min_block_min=30),
    )
    result = plan(request)
    assert validate(request, result) == []
    minutes = {b.task_id: 0 for b in result.blocks}
    for b in result.blocks:
        minutes[b.task_id] += b.minutes
    assert minutes.get("dependant", 0) >= 90
    assert result.weighted_min >= 0.9 * brute_force_best(request)
