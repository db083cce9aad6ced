"""The result: why work is unscheduled, assessment cushions, totals and day loads.

No database: the planner is plain Python.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduling.planner import (
    PlanLimits,
    SuggestionAction,
    UnscheduledReason,
    plan,
    validate,
)
from scheduling.tests.planner.helpers import (
    MONDAY,
    busy_week,
    local,
    request_for,
    task,
)

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
    # One free evening: two blocks of at most 120 min with a break between them hold 230.
    assert reasons["big"].reason == (
        "not enough free time before deadline Mar 4 00:00 (needs 370 min, 0 min free)"
    )
    assert reasons["then"].reason_code == UnscheduledReason.WAITING_ON_PREREQUISITE
    assert "waiting on prerequisite first" in reasons["then"].reason
    assert reasons["loop-a"].reason_code == UnscheduledReason.PREREQUISITE_CYCLE
    assert reasons["loop-b"].reason_code == UnscheduledReason.PREREQUISITE_CYCLE


def test_cushions_flag_at_risk_assessments_and_suggest_what_to_move_or_drop():
    due = MONDAY + timedelta(days=3)
    tasks = [
        task("exam-prep", 680, MONDAY, due, priority=2.0, course_id="math", assessment_id="final"),
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
    assert final.required_min == 680
    assert final.cushion_min == 40
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
