"""The entry point: build the candidate plans and keep the best."""

from __future__ import annotations

from scheduling.planner.repair import (
    GAIN_EPSILON,
    _Repair,
)
from scheduling.planner.report import _Reporting
from scheduling.planner.types import (
    PlanRequest,
    PlanResult,
)


class _Planner(_Repair, _Reporting):
    """One candidate plan: state, placement and repair passes, and its result."""


def plan(request: PlanRequest) -> PlanResult:
    """Place the request's tasks into free time; see the package docstring for the rules."""
    planner = _Planner(request)
    planner.keep_previous()
    planner.greedy()
    if not any(t.remaining > 0 for t in planner.order):
        return planner.result()
    # Over-full: repair the preference-driven plan, and also build two EDF plans (preferred and
    # long chunks); keep the one with the most weighted minutes, preferences breaking ties.
    planner.repair()
    planner.trade_prerequisites()
    planner.repack()
    planner.stretch()
    for is_dense in (False, True):
        other = _Planner(request, is_dense=is_dense)
        other.keep_previous()
        other.edf()
        other.repair()
        other.trade_prerequisites()
        other.stretch()
        if other.weighted > planner.weighted + GAIN_EPSILON:
            planner = other
    if planner.is_built_by_edf:
        planner.polish()
    return planner.result()
