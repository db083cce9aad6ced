"""One observation at a time: initialize, update and replay, which the services fold with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from fsrs import Scheduler

from mastery.engine.numeric import _clamp, _elapsed_days
from mastery.engine.retention import (
    FSRS_DEFAULT_PARAMETERS,
    PASS_SCORE_PERCENT,
    TARGET_RETENTION,
    grade_for,
    review,
    review_with,
    scheduler_for,
    to_card,
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
    answers_of,
    classify_trend,
    ewma,
    honest_interval,
    initial_confidence_interval,
    shrink_confidence_interval,
)
from mastery.engine.state import Kind, MasteryState, Observation, Trend


def _review_schedule(
    *,
    mastery_score: float,
    previous_interval: int,
    library_interval: int,
    passed: bool,
    observed_at: datetime,
    min_interval_days: int = INTERVAL_MIN_DAYS,
) -> tuple[int, date]:
    """Interval and date of the next review.

    Below 70 mastery: tomorrow. From 70 on: the fsrs library's interval (days until predicted
    recall falls to the target retention); after a passed recall the interval also expands
    to at least previous + 1, so it never shrinks while recall keeps succeeding. Always in
    [the student's shortest review interval (at least 1), 365].
    """
    shortest = int(_clamp(min_interval_days, INTERVAL_MIN_DAYS, INTERVAL_MAX_DAYS))
    if mastery_score < REVIEW_MASTERY_THRESHOLD:
        interval = shortest
    else:
        target_days = library_interval
        if passed:
            target_days = max(previous_interval + 1, target_days)
        interval = int(_clamp(target_days, shortest, INTERVAL_MAX_DAYS))
    # The observation's own calendar date: pass a datetime in the learner's time zone.
    return interval, observed_at.date() + timedelta(days=interval)


def _check_target(target_retention: float) -> None:
    if not 0.0 < target_retention < 1.0:
        raise ValueError("target_retention must be in (0, 1)")


def initialize(
    obs: Observation,
    *,
    target_retention: float = TARGET_RETENTION,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
    min_interval_days: int = INTERVAL_MIN_DAYS,
) -> MasteryState:
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
    seed_ci = _clamp(ci, CI_MIN, CI_MAX)
    right, wrong = answers_of(obs)
    practice_increment, quiz_increment = _counter_increments(kind)
    memory = review(
        None,
        grade_for(score, obs.recall_grade),
        obs.observed_at,
        parameters=parameters,
        target_retention=target_retention,
    )
    passed = score >= PASS_SCORE_PERCENT
    interval, next_date = _review_schedule(
        mastery_score=mastery,
        previous_interval=0,
        library_interval=memory.interval_days,
        passed=passed,
        observed_at=obs.observed_at,
        min_interval_days=min_interval_days,
    )
    return MasteryState(
        mastery_score=mastery,
        confidence_interval=honest_interval(seed_ci, right, wrong),
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
        answers_right=right,
        answers_wrong=wrong,
        seed_interval=seed_ci,
    )


def update(
    state: MasteryState,
    obs: Observation,
    *,
    target_retention: float = TARGET_RETENTION,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
    min_interval_days: int = INTERVAL_MIN_DAYS,
) -> MasteryState:
    """State after one more observation (EWMA, CI, trend, counters, memory, review date)."""
    _check_target(target_retention)
    return _update_with(
        scheduler_for(tuple(parameters), target_retention), state, obs, min_interval_days
    )


def _update_with(
    scheduler: Scheduler, state: MasteryState, obs: Observation, min_interval_days: int
) -> MasteryState:
    """`update` with the library's scheduler already chosen.

    A replay folds thousands of observations, so this step builds the new state directly
    (no `dataclasses.replace`, which walks the fields each time) and asks for the scheduler
    once. The arithmetic is `update`'s, in the same order, so the numbers are the same bits.
    """
    kind = Kind(obs.kind)
    score = _clamp_score(obs.score_percent)
    alpha = alpha_for(obs, is_first=False)
    old_mastery = _clamp(state.mastery_score, MASTERY_MIN, MASTERY_MAX)
    mastery = ewma(old_mastery, score, alpha)
    observed_at = obs.observed_at
    # An observation dated before the last one (a late import) counts as same-moment.
    last = state.last_practiced_at
    if last is not None and _elapsed_days(last, observed_at) <= 0.0:
        last = observed_at
    memory = review_with(
        scheduler,
        to_card(state.stability_days, state.memory_difficulty, last),
        grade_for(score, obs.recall_grade),
        observed_at,
    )
    passed = score >= PASS_SCORE_PERCENT
    interval, next_date = _review_schedule(
        mastery_score=mastery,
        previous_interval=state.review_interval_days,
        library_interval=memory.interval_days,
        passed=passed,
        observed_at=observed_at,
        min_interval_days=min_interval_days,
    )
    practice_increment, quiz_increment = _counter_increments(kind)
    # Rows saved before the seed interval was stored: their shown interval was the seed's.
    seed_ci = shrink_confidence_interval(state.seed_interval or state.confidence_interval)
    right, wrong = answers_of(obs)
    right += state.answers_right
    wrong += state.answers_wrong
    return MasteryState(
        mastery_score=mastery,
        confidence_interval=honest_interval(seed_ci, right, wrong),
        trend=classify_trend(old_mastery, mastery).value,
        review_interval_days=interval,
        next_review_date=next_date,
        last_practiced_at=observed_at,
        practice_count=state.practice_count + practice_increment,
        quiz_count=state.quiz_count + quiz_increment,
        stability_days=memory.stability_days,
        memory_difficulty=memory.memory_difficulty,
        success_count=state.success_count + int(passed),
        failure_count=state.failure_count + int(not passed),
        last_alpha=alpha,
        last_retrievability=memory.retrievability,
        answers_right=right,
        answers_wrong=wrong,
        seed_interval=seed_ci,
    )


def replay(
    observations: Iterable[Observation],
    *,
    target_retention: float = TARGET_RETENTION,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
    min_interval_days: int = INTERVAL_MIN_DAYS,
) -> list[MasteryState]:
    """One state per observation: the first via initialize, the rest via update."""
    _check_target(target_retention)
    scheduler = scheduler_for(tuple(parameters), target_retention)
    states: list[MasteryState] = []
    for obs in observations:
        if states:
            states.append(_update_with(scheduler, states[-1], obs, min_interval_days))
        else:
            states.append(
                initialize(
                    obs,
                    target_retention=target_retention,
                    parameters=parameters,
                    min_interval_days=min_interval_days,
                )
            )
    return states
