"""The rows `make bench` prints: quality against the optimum, speed, churn."""

from __future__ import annotations

import statistics
import time as clock
from collections.abc import Callable

from bench.bench_planner.exact import (
    milp_optimum,
)
from bench.bench_planner.instances import (
    MILP_RELATIVE_GAP,
    MILP_TIME_LIMIT_S,
    QUALITY_SEEDS,
    TIMING_REPEATS,
    add_busy_over,
    churn,
    plan_shape,
    quality_instance,
    semester_instance,
    week_window,
    with_previous,
)
from scheduling.planner import (
    PlanResult,
    plan,
    validate,
)

# -- Runs -----------------------------------------------------------------------------------


def _timed(function: Callable[[], PlanResult], repeats: int = TIMING_REPEATS) -> tuple:
    best = float("inf")
    result = None
    for _ in range(repeats):
        started = clock.perf_counter()
        result = function()
        best = min(best, clock.perf_counter() - started)
    return result, best


def quality_rows() -> list[dict]:
    ratios, bound_ratios, planner_times, milp_times, notes = [], [], [], [], []
    shapes = []
    proven = 0
    for seed in QUALITY_SEEDS:
        request = quality_instance(seed)
        result, seconds = _timed(lambda request=request: plan(request))
        violations = validate(request, result)
        if violations:
            raise AssertionError(f"seed {seed}: planner broke rules: {violations[:3]}")
        shapes.append(plan_shape(request, result))
        exact = milp_optimum(request)
        milp_violations = validate(request, exact["blocks"])
        if milp_violations:
            raise AssertionError(f"seed {seed}: MILP plan breaks rules: {milp_violations[:3]}")
        proven += exact["is_optimal"]
        ratios.append(result.weighted_min / exact["value"] if exact["value"] else 1.0)
        bound_ratios.append(result.weighted_min / exact["bound"] if exact["bound"] else 1.0)
        planner_times.append(seconds)
        milp_times.append(exact["seconds"])
        notes.append(
            f"seed {seed}: {len(request.tasks)} tasks, {ratios[-1]:.3f} "
            f"({result.weighted_min:.0f}/{exact['value']:.0f}, "
            f"{'optimal' if exact['is_optimal'] else 'time limit'}, {exact['seconds']:.0f} s)"
        )
    return [
        {
            "name": "weighted minutes / MILP optimum (mean)",
            "value": round(statistics.mean(ratios), 4),
            "unit": "ratio",
            "note": f"{len(ratios)} two-week instances, {proven} solved to optimality "
            f"(gap <= {MILP_RELATIVE_GAP:.1%}); target >= 0.98",
        },
        {
            "name": "weighted minutes / MILP optimum (min)",
            "value": round(min(ratios), 4),
            "unit": "ratio",
            "note": "; ".join(notes),
        },
        {
            "name": "weighted minutes / MILP dual bound (mean)",
            "value": round(statistics.mean(bound_ratios), 4),
            "unit": "ratio",
            "note": f"conservative: against HiGHS's proven upper bound; min "
            f"{min(bound_ratios):.4f}",
        },
        {
            "name": "blocks per day, two-week instances (max)",
            "value": max(s["max_blocks_per_day"] for s in shapes),
            "unit": "blocks",
            "note": "mean over days with study "
            f"{statistics.mean(s['mean_blocks_per_day'] for s in shapes):.2f}; limit 6",
        },
        {
            "name": "longest continuous run, two-week instances",
            "value": max(s["longest_run_min"] for s in shapes),
            "unit": "min",
            "note": "blocks closer than a break count as one run, across midnight too; "
            "hard maximum block 120 min",
        },
        {
            "name": "planner time, two-week instance (mean)",
            "value": round(1000 * statistics.mean(planner_times), 1),
            "unit": "ms",
        },
        {
            "name": "MILP time, two-week instance (mean)",
            "value": round(statistics.mean(milp_times), 1),
            "unit": "s",
            "note": f"time limit {MILP_TIME_LIMIT_S:.0f} s",
        },
    ]


def speed_rows() -> list[dict]:
    semester = semester_instance()
    result, seconds = _timed(lambda: plan(semester))
    if validate(semester, result):
        raise AssertionError("semester plan breaks rules")
    total = sum(t.duration_min for t in semester.tasks)
    shape = plan_shape(semester, result)
    rows = [
        {
            "name": "semester plan (16 weeks, 6 courses, 300 tasks)",
            "value": round(1000 * seconds, 1),
            "unit": "ms",
            "note": f"{len(result.blocks)} blocks, {result.placed_min}/{total} min placed",
        },
        {
            "name": "semester plan: longest continuous run (preferred block 50)",
            "value": shape["longest_run_min"],
            "unit": "min",
            "note": f"blocks per day max {shape['max_blocks_per_day']}, mean "
            f"{shape['mean_blocks_per_day']:.2f}; longest block {shape['longest_block_min']} min",
        },
    ]
    week = week_window(semester, week=6)
    first = plan(week)
    replan_request = add_busy_over(with_previous(week, first), first, len(first.blocks) // 2)
    second, replan_seconds = _timed(lambda: plan(replan_request))
    if validate(replan_request, second):
        raise AssertionError("replan breaks rules")
    rows.append(
        {
            "name": "7-day replan (with previous blocks, one new busy event)",
            "value": round(1000 * replan_seconds, 2),
            "unit": "ms",
            "note": f"{len(week.tasks)} tasks, {len(second.blocks)} blocks",
        }
    )
    rows.append(
        {
            "name": "churn after one busy event, 7-day replan",
            "value": round(churn(first, second), 4),
            "unit": "share of blocks moved",
            "note": f"{round(churn(first, second) * len(first.blocks))} of {len(first.blocks)}",
        }
    )
    semester_again = add_busy_over(with_previous(semester, result), result, len(result.blocks) // 3)
    third, semester_replan_seconds = _timed(lambda: plan(semester_again))
    if validate(semester_again, third):
        raise AssertionError("semester replan breaks rules")
    rows.append(
        {
            "name": "churn after one busy event, semester replan",
            "value": round(churn(result, third), 4),
            "unit": "share of blocks moved",
            "note": f"{round(churn(result, third) * len(result.blocks))} of {len(result.blocks)}; "
            f"replan {1000 * semester_replan_seconds:.0f} ms",
        }
    )
    return rows


def run() -> list[dict]:
    return quality_rows() + speed_rows()


def _print_table(rows: list[dict]) -> None:
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        unit = r.get("unit", "")
        print(f"{r['name']:<{width}}  {r['value']!s:>10} {unit}")
        if r.get("note"):
            print(f"{'':<{width}}  {r['note']}")
