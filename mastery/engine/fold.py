"""One observation at a time: initialize, update and replay, which the services fold with."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from mastery.engine.numeric import _clamp, _elapsed_days
from mastery.engine.retention import (
    PASS_SCORE_PERCENT,
    TARGET_RETENTION,
    _initial_memory,
    _next_memory,
    days_until_retention,
)
from mastery.engine.rules import (
    CI_MAX,
    CI_MIN,
    INTERVAL_MAX_DAYS,
    INTERVAL_MIN_DAYS,
    MASTERY_MAX,
    MASTERY_MIN,
    PRIOR_CI,
    PRIOR_MASTERY,
    REVIEW_MASTERY_THRESHOLD,
    _clamp_score,
    _counter_increments,
    alpha_for,
    classify_trend,
    ewma,
    initial_confidence_interval,
    shrink_confidence_interval,
)
from mastery.engine.state import Kind, MasteryState, Observation, Trend


def _review_schedule(
    *,
    mastery_score: float,
    previous_interval: int,
    stability_days: float,
    passed: bool,
    observed_at: datetime,
    target_retention: float,
) -> tuple[int, date]:
    """Interval and date of the next review.

    Below 70 mastery: tomorrow. From 70 on: the days until predicted recall falls to
    TARGET_RETENTION; after a passed recall the interval also expands to at least
    previous + 1, so it never shrinks while recall keeps succeeding. Always in [1, 365].
    """
    if mastery_score < REVIEW_MASTERY_THRESHOLD:
        interval = INTERVAL_MIN_DAYS
    else:
        target_days = math.floor(days_until_retention(stability_days, target_retention))
        if passed:
            target_days = max(previous_interval + 1, target_days)
        interval = int(_clamp(target_days, INTERVAL_MIN_DAYS, INTERVAL_MAX_DAYS))
    # The observation's own calendar date: pass a datetime in the learner's time zone.
    return interval, observed_at.date() + timedelta(days=interval)


def _check_target(target_retention: float) -> None:
    if not 0.0 < target_retention < 1.0:
        raise ValueError("target_retention must be in (0, 1)")


def initialize(obs: Observation, *, target_retention: float = TARGET_RETENTION) -> MasteryState:
    """State after the first observation of a topic.

    A diagnostic sets mastery to its score (alpha 1.0) with a CI from its question count.
    Any other first observation updates a neutral prior (50, CI 20) with its own alpha, so
    one answer moves mastery by 5 points, not to 0 or 100. The trend is always `new`.
    """
    _check_target(target_retention)
    kind = Kind(obs.kind)
    score = _clamp_score(obs.score_percent)
    alpha = alpha_for(obs, is_first=True)
    mastery = ewma(PRIOR_MASTERY, score, alpha)
    if kind is Kind.DIAGNOSTIC:
        ci = initial_confidence_interval(obs.question_count)
    else:
        ci = shrink_confidence_interval(PRIOR_CI)
    practice_increment, quiz_increment = _counter_increments(kind)
    memory = _initial_memory(score)
    passed = score >= PASS_SCORE_PERCENT
    interval, next_date = _review_schedule(
        mastery_score=mastery,
        previous_interval=0,
        stability_days=memory.stability_days,
        passed=passed,
        observed_at=obs.observed_at,
        target_retention=target_retention,
    )
    return MasteryState(
        mastery_score=mastery,
        confidence_interval=_clamp(ci, CI_MIN, CI_MAX),
        trend=Trend.NEW.value,
        review_interval_days=interval,
        next_review_date=next_date,
        last_practiced_at=obs.observed_at,
        practice_count=practice_increment,
        quiz_count=quiz_increment,
        stability_days=memory.stability_days,
        memory_difficulty=memory.memory_difficulty,
        success_count=int(passed),
        failure_count=int(not passed),
        last_alpha=alpha,
        last_retrievability=1.0,
    )


def update(
    state: MasteryState, obs: Observation, *, target_retention: float = TARGET_RETENTION
) -> MasteryState:
    """State after one more observation (EWMA, CI, trend, counters, memory, review date)."""
    _check_target(target_retention)
    kind = Kind(obs.kind)
    score = _clamp_score(obs.score_percent)
    alpha = alpha_for(obs, is_first=False)
    old_mastery = _clamp(state.mastery_score, MASTERY_MIN, MASTERY_MAX)
    mastery = ewma(old_mastery, score, alpha)
    elapsed = _elapsed_days(state.last_practiced_at, obs.observed_at)
    memory = _next_memory(state.stability_days, state.memory_difficulty, elapsed, score)
    passed = score >= PASS_SCORE_PERCENT
    interval, next_date = _review_schedule(
        mastery_score=mastery,
        previous_interval=state.review_interval_days,
        stability_days=memory.stability_days,
        passed=passed,
        observed_at=obs.observed_at,
        target_retention=target_retention,
    )
    practice_increment, quiz_increment = _counter_increments(kind)
    return replace(
        state,
        mastery_score=mastery,
        confidence_interval=shrink_confidence_interval(state.confidence_interval),
        trend=classify_trend(old_mastery, mastery).value,
        review_interval_days=interval,
        next_review_date=next_date,
        last_practiced_at=obs.observed_at,
        practice_count=state.practice_count + practice_increment,
        quiz_count=state.quiz_count + quiz_increment,
        stability_days=memory.stability_days,
        memory_difficulty=memory.memory_difficulty,
        success_count=state.success_count + int(passed),
        failure_count=state.failure_count + int(not passed),
        last_alpha=alpha,
        last_retrievability=memory.retrievability,
    )


def replay(
    observations: Iterable[Observation], *, target_retention: float = TARGET_RETENTION
) -> list[MasteryState]:
    """One state per observation: the first via initialize, the rest via update."""
    states: list[MasteryState] = []
    for obs in observations:
        if states:
            states.append(update(states[-1], obs, target_retention=target_retention))
        else:
            states.append(initialize(obs, target_retention=target_retention))
    return states
