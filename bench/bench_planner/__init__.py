"""Benchmark of scheduling.planner: quality against the exact optimum, speed, and churn.

Quality: seeded two-week instances (15-25 tasks, about 1.3x more work than free time, 30% with
a same-course prerequisite, crossing the US spring-forward) on a 15-minute grid (every time,
duration, buffer and break a multiple of 15 minutes, planner granularity 15), so the planner
and an exact MILP choose from the same set of plans. The MILP (scipy.optimize.milp / HiGHS) maximises the same objective the
planner maximises, priority-weighted minutes, under every hard rule: availability, busy time
plus buffer, locked blocks, release, deadline, now, per-local-day cap (locked included), breaks
between blocks on the same day, minimum chunk length, non-splittable tasks and prerequisite
order (direct edges; the planner also keeps room for whole chains, which can only cost it).
Each MILP solution is turned into a PlanResult and checked with `validate()`, which guards the
model and the validator against each other. Ratios are reported against HiGHS's best plan and,
conservatively, against its proven upper bound (the two differ by at most the MIP gap unless
the time limit is hit).

Speed: a 16-week semester (6 courses, 300 tasks) planned from scratch; a 7-day replan.
Churn: share of previously planned blocks that move when one busy interval is added.

The package splits it by concern: `instances` (the seeded cases), `exact` (the MILP optimum)
and `runs` (the rows). Run: `.venv/bin/python -m bench.bench_planner`.
"""

from bench.bench_planner.runs import run

__all__ = ["run"]
