"""Tests of the pure planner: DST-correct free time, every hard rule, preferences, churn.

No database: the planner is plain Python, so these run with or without pytest-django.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.planner import (
    Difficulty,
    Interval,
    LockedBlock,
    PlanInputError,
    PlanLimits,
    PlannedBlock,
    PlanRequest,
    PlanResult,
    PlanTask,
    SuggestionAction,
    UnscheduledReason,
    WeeklyWindow,
    free_intervals,
    parse_weekly_availability,
    plan,
    validate,
)

NEW_YORK = "America/New_York"
EVENINGS = {
    day: [{"start": "18:00", "end": "22:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def local(day: date, hour: int, minute: int = 0, zone: str = NEW_YORK) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def task(task_id: str, minutes: int, first: date, due: date, **overrides) -> PlanTask:
    fields = {
        "id": task_id,
        "duration_min": minutes,
        "release": local(first, 0),
        "deadline": local(due, 0),
        "priority": 5.0,
        "course_id": "math",
    }
    fields.update(overrides)
    return PlanTask(**fields)


def request_for(tasks, first: date, days: int = 7, **overrides) -> PlanRequest:
    fields = {
        "tasks": tuple(tasks),
        "availability": EVENINGS,
        "timezone": NEW_YORK,
        "now": local(first, 0),
        "horizon_start": local(first, 0),
        "horizon_end": local(first + timedelta(days=days), 0),
    }
    fields.update(overrides)
    return PlanRequest(**fields)


def local_day(block: PlannedBlock, zone: str = NEW_YORK) -> date:
    return block.start.astimezone(ZoneInfo(zone)).date()


def minutes_by_task(result: PlanResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    for block in result.blocks:
        totals[block.task_id] = totals.get(block.task_id, 0) + block.minutes
    return totals


MONDAY = date(2026, 3, 2)  # the week before the US spring-forward (Sunday 2026-03-08)


# -- Free time and DST --------------------------------------------------------------------


def test_evening_window_keeps_local_wall_time_across_us_spring_forward():
    intervals = free_intervals(
        EVENINGS,
        timezone=NEW_YORK,
        start=local(date(2026, 3, 7), 0),
        end=local(date(2026, 3, 10), 0),
    )
    spans = [(i.start, i.end) for i in intervals]
    # Saturday, still EST (UTC-5): 18:00-22:00 local is 23:00-03:00 UTC.
    assert (utc(2026, 3, 7, 23), utc(2026, 3, 8, 3)) in spans
    # Monday after the change, EDT (UTC-4): 22:00-02:00 UTC.
    assert (utc(2026, 3, 9, 22), utc(2026, 3, 10, 2)) in spans
    # Sunday, the day of the change, is already EDT in the evening.
    assert (utc(2026, 3, 8, 22), utc(2026, 3, 9, 2)) in spans


def test_london_and_kolkata_evenings_in_utc():
    london = free_intervals(
        {
            "saturday": [{"start": "18:00", "end": "22:00"}],
            "monday": [{"start": "18:00", "end": "22:00"}],
        },
        timezone="Europe/London",
        start=utc(2026, 10, 24, 0),
        end=utc(2026, 10, 27, 0),
    )
    # BST (UTC+1) on the Saturday before the EU change, GMT on the Monday after.
    assert [(i.start, i.end) for i in london] == [
        (utc(2026, 10, 24, 17), utc(2026, 10, 24, 21)),
        (utc(2026, 10, 26, 18), utc(2026, 10, 26, 22)),
    ]
    kolkata = free_intervals(
        {"monday": [{"start": "18:00", "end": "22:00"}]},
        timezone="Asia/Kolkata",
        start=utc(2026, 3, 1, 0),
        end=utc(2026, 3, 3, 0),
    )
    assert [(i.start, i.end) for i in kolkata] == [
        (utc(2026, 3, 2, 12, 30), utc(2026, 3, 2, 16, 30))
    ]


def test_nonexistent_and_ambiguous_hours_follow_rfc5545():
    gap_day = {"sunday": [{"start": "02:00", "end": "03:00"}, {"start": "01:00", "end": "04:00"}]}
    spring = free_intervals(
        gap_day,
        timezone=NEW_YORK,
        start=local(date(2026, 3, 8), 0),
        end=local(date(2026, 3, 9), 0),
    )
    # 02:00-03:00 does not exist that night: it is read as 03:00 EDT - 03:00 EDT (empty);
    # 01:00-04:00 is 01:00 EST - 04:00 EDT, two real hours.
    assert [(i.start, i.end) for i in spring] == [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]
    fall = free_intervals(
        {"sunday": [{"start": "01:00", "end": "02:00"}]},
        timezone=NEW_YORK,
        start=local(date(2026, 11, 1), 0),
        end=local(date(2026, 11, 2), 0),
    )
    # 01:00 occurs twice; the first occurrence (EDT) is meant, so the window is two hours.
    assert [(i.start, i.end) for i in fall] == [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 7))]


def test_free_intervals_subtract_busy_with_buffer_and_clip_to_band_and_midnight():
    intervals = free_intervals(
        {"monday": [{"start": "20:00", "end": "02:00"}]},
        timezone=NEW_YORK,
        start=local(MONDAY, 0),
        end=local(MONDAY + timedelta(days=2), 0),
        busy=[Interval(local(MONDAY, 21), local(MONDAY, 21, 30))],
        buffer_min=15,
        earliest_start=time(8),
        latest_end=time(1),
    )
    assert [(i.start, i.end) for i in intervals] == [
        (local(MONDAY, 20), local(MONDAY, 20, 45)),
        (local(MONDAY, 21, 30), local(MONDAY + timedelta(days=1), 0)),
        (local(MONDAY + timedelta(days=1), 0), local(MONDAY + timedelta(days=1), 1)),
    ]


def test_inputs_are_validated():
    with pytest.raises(PlanInputError):
        task("a", 60, MONDAY, MONDAY, deadline=datetime(2026, 3, 9))  # naive
    with pytest.raises(PlanInputError):
        request_for([], MONDAY, timezone="Mars/Olympus_Mons")
    with pytest.raises(PlanInputError):
        parse_weekly_availability({"moonday": [{"start": "18:00", "end": "22:00"}]})
    with pytest.raises(PlanInputError):
        request_for([task("a", 60, MONDAY, MONDAY), task("a", 30, MONDAY, MONDAY)], MONDAY)
    windows = parse_weekly_availability({"Friday": [{"start": "19:00", "end": "24:00"}]})
    assert windows == (WeeklyWindow(4, time(19), time(0)),)


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
    request = request_for(tasks, MONDAY, days=3)
    result = plan(request)
    assert validate(request, result) == []
    exam = [b for b in result.blocks if b.task_id == "exam"]
    assert len(exam) == 1 and exam[0].minutes == 180
    assert not [b for b in result.blocks if b.task_id == "huge"]
    (huge,) = [u for u in result.unscheduled if u.task_id == "huge"]
    # Three free evenings would hold 300 minutes, but not in one piece.
    assert huge.reason_code == UnscheduledReason.NO_LONG_ENOUGH_SLOT
    assert huge.reason.startswith("no free stretch of 300 min before deadline Mar 5 00:00")


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


# -- Determinism and churn ----------------------------------------------------------------


def busy_week(seed: int) -> PlanRequest:
    rng = random.Random(seed)
    tasks = []
    for index in range(12):
        due = MONDAY + timedelta(days=rng.randint(2, 7))
        tasks.append(
            task(
                f"t{index:02d}",
                rng.choice((30, 60, 90, 120)),
                MONDAY,
                due,
                priority=round(rng.uniform(1, 9), 1),
                course_id=rng.choice(("math", "bio", "art")),
                topic_key=f"topic{rng.randrange(5)}",
                assessment_id=rng.choice((None, "midterm")),
                is_splittable=rng.random() > 0.2,
            )
        )
    busy = tuple(
        Interval(local(MONDAY + timedelta(days=d), 19), local(MONDAY + timedelta(days=d), 20))
        for d in (1, 3)
    )
    return request_for(tasks, MONDAY, busy=busy)


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


# -- Reasons, cushions, preferences -------------------------------------------------------


def test_unscheduled_work_says_why():
    now = local(MONDAY + timedelta(days=1), 0)
    tasks = [
        task("late", 60, MONDAY, MONDAY, deadline=local(MONDAY, 20)),
        task(
            "big",
            600,
            MONDAY,
            MONDAY + timedelta(days=1),
            deadline=local(MONDAY + timedelta(days=2), 0),
        ),
        task("first", 220, MONDAY, MONDAY + timedelta(days=4), priority=9.0),
        task("then", 60, MONDAY, MONDAY + timedelta(days=3), priority=1.0, predecessors=("first",)),
        task("loop-a", 30, MONDAY, MONDAY + timedelta(days=4), predecessors=("loop-b",)),
        task("loop-b", 30, MONDAY, MONDAY + timedelta(days=4), predecessors=("loop-a",)),
    ]
    request = request_for(tasks, MONDAY, now=now, limits=PlanLimits(max_hours_per_day=4.0))
    result = plan(request)
    assert validate(request, result) == []
    reasons = {u.task_id: u for u in result.unscheduled}
    assert reasons["late"].reason_code == UnscheduledReason.DEADLINE_PASSED
    assert reasons["late"].reason == "deadline already passed (Mar 2 20:00)"
    assert reasons["big"].reason_code == UnscheduledReason.NOT_ENOUGH_FREE_TIME
    assert reasons["big"].reason == (
        "not enough free time before deadline Mar 4 00:00 (needs 360 min, 0 min free)"
    )
    assert reasons["then"].reason_code == UnscheduledReason.WAITING_ON_PREREQUISITE
    assert "waiting on prerequisite first" in reasons["then"].reason
    assert reasons["loop-a"].reason_code == UnscheduledReason.PREREQUISITE_CYCLE
    assert reasons["loop-b"].reason_code == UnscheduledReason.PREREQUISITE_CYCLE


def test_cushions_flag_at_risk_assessments_and_suggest_what_to_move_or_drop():
    due = MONDAY + timedelta(days=3)
    tasks = [
        task("exam-prep", 700, MONDAY, due, priority=2.0, course_id="math", assessment_id="final"),
        task(
            "essay",
            120,
            MONDAY,
            MONDAY + timedelta(days=7),
            priority=9.0,
            course_id="lit",
            assessment_id="essay-1",
        ),
        task("reading", 120, MONDAY, due, priority=3.0, course_id="bio"),
        task("lab", 60, MONDAY, MONDAY + timedelta(days=7), priority=1.0, course_id="bio"),
    ]
    request = request_for(tasks, MONDAY, limits=PlanLimits(max_hours_per_day=4.0))
    result = plan(request)
    assert validate(request, result) == []
    cushions = {c.assessment_id: c for c in result.cushions}
    final = cushions["final"]
    assert final.available_min == 3 * 240
    assert final.required_min == 700
    assert final.cushion_min == 20
    assert final.is_at_risk and final.unscheduled_min > 0
    suggested = [s.task_id for s in final.suggestions]
    assert suggested and suggested[0] == "reading"  # lowest priority of another course first
    actions = {s.task_id: s.action for s in final.suggestions}
    assert actions["reading"] == SuggestionAction.DROP
    assert sum(s.minutes for s in final.suggestions) >= final.unscheduled_min
    if "essay" in actions:
        assert actions["essay"] == SuggestionAction.MOVE
    assert not cushions["essay-1"].is_at_risk
    assert cushions["essay-1"].suggestions == ()


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


def test_totals_and_day_loads():
    request = busy_week(5)
    result = plan(request)
    assert result.placed_min == sum(b.minutes for b in result.blocks)
    priority = {t.id: t.priority for t in request.tasks}
    assert result.weighted_min == pytest.approx(
        sum(b.minutes * priority[b.task_id] for b in result.blocks)
    )
    assert sum(d.planned_min for d in result.day_loads) == result.placed_min
    assert [d.date for d in result.day_loads] == [MONDAY + timedelta(days=i) for i in range(7)]


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
        (lambda b: replace(b, end=b.end + timedelta(minutes=5)), "less than 10 min apart"),
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
