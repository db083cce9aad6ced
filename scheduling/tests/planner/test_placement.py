"""Every hard rule of a plan, and the soft preferences that choose where a chunk goes.

No database: the planner is plain Python.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Difficulty,
    Interval,
    LockedBlock,
    PlanLimits,
    UnscheduledReason,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    MONDAY,
    NEW_YORK,
    local,
    local_day,
    minutes_by_task,
    request_for,
    task,
)

# -- Hard rules ---------------------------------------------------------------------------


def test_daily_cap_is_per_local_day_and_includes_locked_blocks():
    tasks = [task(f"t{i}", 240, MONDAY, MONDAY + timedelta(days=7)) for i in range(4)]
    locked = LockedBlock(local(MONDAY, 18), local(MONDAY, 19), task_id=None, course_id="art")
    request = request_for(tasks, MONDAY, locked=(locked,), limits=PlanLimits(max_hours_per_day=2.0))
    result = plan(request)
    assert validate(request, result) == []
    per_day: dict[date, int] = {}
    for block in result.blocks:
        per_day[local_day(block)] = per_day.get(local_day(block), 0) + block.minutes
    assert per_day[MONDAY] <= 60  # 120 cap minus the locked hour
    assert all(minutes <= 120 for minutes in per_day.values())
    assert max(per_day.values()) == 120
    assert all(
        b.end <= locked.start - timedelta(minutes=10)
        or b.start >= locked.end + timedelta(minutes=10)
        for b in result.blocks
    )


def test_breaks_between_blocks_on_the_same_day():
    tasks = [task(n, 60, MONDAY, MONDAY + timedelta(days=1), course_id=n) for n in "abc"]
    request = request_for(
        tasks, MONDAY, days=1, limits=PlanLimits(break_min=15, preferred_block_min=60)
    )
    result = plan(request)
    assert validate(request, result) == []
    blocks = sorted(result.blocks, key=lambda b: b.start)
    assert len(blocks) >= 3
    for earlier, later in itertools.pairwise(blocks):
        assert later.start - earlier.end >= timedelta(minutes=15)


def test_busy_time_and_its_buffer_stay_free():
    busy = Interval(local(MONDAY, 19), local(MONDAY, 20))
    request = request_for(
        [task("a", 200, MONDAY, MONDAY + timedelta(days=1))],
        MONDAY,
        days=1,
        busy=(busy,),
        limits=PlanLimits(buffer_min=10, preferred_block_min=200),
    )
    result = plan(request)
    assert validate(request, result) == []
    assert result.blocks
    for block in result.blocks:
        assert block.end <= local(MONDAY, 18, 50) or block.start >= local(MONDAY, 20)


def test_locked_blocks_never_move_and_are_not_replanned():
    locked = (
        LockedBlock(local(MONDAY, 18), local(MONDAY, 19), task_id="a", course_id="math"),
        LockedBlock(local(MONDAY, 20), local(MONDAY, 21), task_id="pinned", course_id="bio"),
    )
    request = request_for(
        [task("a", 60, MONDAY, MONDAY + timedelta(days=3))],
        MONDAY,
        days=3,
        locked=locked,
        limits=PlanLimits(max_hours_per_day=3.0),
    )
    result = plan(request)
    assert validate(request, result) == []
    for block in result.blocks:
        for lock in locked:
            assert block.end + timedelta(minutes=10) <= lock.start or block.start >= lock.end
    monday = sum(b.minutes for b in result.blocks if local_day(b) == MONDAY)
    assert monday <= 60  # 3 h cap minus two locked hours


def test_prerequisites_finish_before_dependants_start():
    tasks = [
        task("read", 120, MONDAY, MONDAY + timedelta(days=7), priority=1.0),
        task(
            "solve", 120, MONDAY, MONDAY + timedelta(days=7), priority=9.0, predecessors=("read",)
        ),
        task(
            "review",
            60,
            MONDAY,
            MONDAY + timedelta(days=7),
            priority=9.0,
            predecessors=("solve", "done-already"),
        ),
    ]
    request = request_for(tasks, MONDAY)
    result = plan(request)
    assert validate(request, result) == []
    assert minutes_by_task(result) == {"read": 120, "solve": 120, "review": 60}

    def span(task_id):
        blocks = [b for b in result.blocks if b.task_id == task_id]
        return min(b.start for b in blocks), max(b.end for b in blocks)

    assert span("read")[1] <= span("solve")[0]
    assert span("solve")[1] <= span("review")[0]


def test_nothing_is_placed_before_now_or_after_the_deadline():
    now = local(MONDAY, 19, 7)
    tasks = [
        task("a", 180, MONDAY, MONDAY + timedelta(days=2)),
        task("b", 120, MONDAY, MONDAY + timedelta(days=1), deadline=local(MONDAY, 21)),
    ]
    request = request_for(tasks, MONDAY, now=now)
    result = plan(request)
    assert validate(request, result) == []
    assert all(b.start >= now for b in result.blocks)
    assert all(b.end <= local(MONDAY, 21) for b in result.blocks if b.task_id == "b")
    assert min(b.start for b in result.blocks) == local(MONDAY, 19, 10)  # 5-minute grid


def test_non_splittable_task_is_one_block_or_nothing():
    tasks = [
        task("exam", 180, MONDAY, MONDAY + timedelta(days=3), is_splittable=False),
        task("huge", 300, MONDAY, MONDAY + timedelta(days=3), is_splittable=False),
    ]
    # A student who allows blocks of up to five hours.
    request = request_for(tasks, MONDAY, days=3, limits=PlanLimits(max_block_min=300))
    result = plan(request)
    assert validate(request, result) == []
    exam = [b for b in result.blocks if b.task_id == "exam"]
    assert len(exam) == 1 and exam[0].minutes == 180
    assert not [b for b in result.blocks if b.task_id == "huge"]
    (huge,) = [u for u in result.unscheduled if u.task_id == "huge"]
    # Three free evenings would hold 300 minutes, but not in one piece.
    assert huge.reason_code == UnscheduledReason.NO_LONG_ENOUGH_SLOT
    assert huge.reason.startswith("no free stretch of 300 min before deadline Mar 5 00:00")


def test_non_splittable_task_longer_than_the_longest_block_is_reported():
    tasks = [task("exam", 180, MONDAY, MONDAY + timedelta(days=3), is_splittable=False)]
    request = request_for(tasks, MONDAY, days=3)
    result = plan(request)
    assert result.blocks == ()
    (exam,) = result.unscheduled
    assert exam.reason_code == UnscheduledReason.NO_LONG_ENOUGH_SLOT
    assert "longest block allowed is 120 min" in exam.reason


def test_minimum_chunk_unless_the_whole_task_is_shorter():
    tasks = [
        task("long", 300, MONDAY, MONDAY + timedelta(days=7), min_chunk_min=60),
        task("short", 20, MONDAY, MONDAY + timedelta(days=7), min_chunk_min=60),
    ]
    request = request_for(tasks, MONDAY)
    result = plan(request)
    assert validate(request, result) == []
    assert all(b.minutes >= 60 for b in result.blocks if b.task_id == "long")
    assert [b.minutes for b in result.blocks if b.task_id == "short"] == [20]


def test_topics_are_spread_across_days_and_courses_interleaved():
    tasks = [
        task(
            "math-1", 150, MONDAY, MONDAY + timedelta(days=3), topic_key="algebra", course_id="math"
        ),
        task("bio-1", 150, MONDAY, MONDAY + timedelta(days=3), topic_key="cells", course_id="bio"),
    ]
    request = request_for(tasks, MONDAY, days=3, limits=PlanLimits(preferred_block_min=50))
    result = plan(request)
    assert validate(request, result) == []
    assert minutes_by_task(result) == {"math-1": 150, "bio-1": 150}
    for topic_task in ("math-1", "bio-1"):
        days = [local_day(b) for b in result.blocks if b.task_id == topic_task]
        assert len(days) == len(set(days)) == 3  # one session per day, not crammed
    for day in {local_day(b) for b in result.blocks}:
        courses = [
            b.course_id for b in sorted(result.blocks, key=lambda b: b.start) if local_day(b) == day
        ]
        assert all(a != b for a, b in itertools.pairwise(courses))


def test_hard_work_goes_to_peak_hours():
    tasks = [
        task(
            "proofs",
            50,
            MONDAY,
            MONDAY + timedelta(days=1),
            difficulty=Difficulty.EXAM_LEVEL,
            course_id="math",
        ),
        task(
            "flashcards",
            50,
            MONDAY,
            MONDAY + timedelta(days=1),
            difficulty=Difficulty.EASY,
            course_id="bio",
        ),
    ]
    request = request_for(tasks, MONDAY, days=1, limits=PlanLimits(peak_hours=(20,)))
    result = plan(request)
    assert validate(request, result) == []
    (proofs,) = [b for b in result.blocks if b.task_id == "proofs"]
    assert proofs.start.astimezone(ZoneInfo(NEW_YORK)).hour == 20
