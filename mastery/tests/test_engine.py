"""Unit tests, one per seed rule, and Hypothesis properties for the pure mastery engine."""

import itertools
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mastery import engine
from mastery.engine import (
    Difficulty,
    DifficultyCurve,
    Kind,
    MasteryState,
    Observation,
    Trend,
    alpha_for,
    initialize,
    predict,
    recommend_difficulty,
    replay,
    update,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def obs(
    score: float = 80.0,
    *,
    kind: str = Kind.QUIZ,
    questions: int = 10,
    at: datetime = T0,
    difficulty: str = Difficulty.MEDIUM,
) -> Observation:
    return Observation(
        score_percent=score,
        question_count=questions,
        time_spent_min=20.0,
        difficulty_level=difficulty,
        kind=kind,
        observed_at=at,
    )


def state(mastery: float = 50.0, **changes: object) -> MasteryState:
    base = MasteryState(
        mastery_score=mastery,
        confidence_interval=15.0,
        trend=Trend.STABLE,
        review_interval_days=1,
        next_review_date=T0.date(),
        last_practiced_at=T0 - timedelta(days=1),
        practice_count=1,
        quiz_count=0,
    )
    return replace(base, **changes)


# --- initialize ----------------------------------------------------------------------------


def test_initialize_from_diagnostic_sets_mastery_to_its_score_with_trend_new():
    result = initialize(obs(72.5, kind=Kind.DIAGNOSTIC, questions=12))
    assert result.mastery_score == 72.5
    assert result.trend == Trend.NEW
    assert result.practice_count == 1
    assert result.quiz_count == 0
    assert result.last_practiced_at == T0


def test_initialize_single_question_diagnostic_still_uses_alpha_one():
    result = initialize(obs(0.0, kind=Kind.DIAGNOSTIC, questions=1))
    assert result.mastery_score == 0.0
    assert result.seed_interval == 15.0


@pytest.mark.parametrize("score", [0.0, 100.0])
def test_one_answer_never_shows_the_seed_plus_or_minus_fifteen(score):
    # "0 ± 15" claimed a certainty one answer cannot give. One posterior SD of
    # Beta(2, 1) is sqrt(2/36) = 23.6 points.
    result = initialize(obs(score, kind=Kind.DIAGNOSTIC, questions=1))
    assert result.mastery_score == score  # the seed's rule for the score stays
    assert result.confidence_interval == pytest.approx(100 * (2 / 36) ** 0.5)


def test_the_interval_narrows_with_answers_like_one_over_root_n():
    widths = [
        initialize(obs(75.0, kind=Kind.DIAGNOSTIC, questions=n)).confidence_interval
        for n in (1, 4, 16, 100)
    ]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] == pytest.approx(5.0)  # many answers: the seed's floor of 5 again


@pytest.mark.parametrize(
    ("questions", "expected_ci"),
    [(0, 15.0), (1, 15.0), (3, 15.0), (20, 5.0), (50, 5.0), (11, 15.0 - 10.0 * 8 / 17)],
)
def test_initial_confidence_interval_from_question_count(questions, expected_ci):
    result = initialize(obs(60.0, kind=Kind.DIAGNOSTIC, questions=questions))
    assert result.seed_interval == pytest.approx(expected_ci)
    assert result.confidence_interval >= result.seed_interval


def test_initial_confidence_interval_is_non_increasing_in_question_count():
    values = [engine.initial_confidence_interval(n) for n in range(0, 60)]
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))


@pytest.mark.parametrize(("score", "expected"), [(0.0, 45.0), (100.0, 55.0)])
def test_initialize_non_diagnostic_single_question_only_nudges_the_prior(score, expected):
    result = initialize(obs(score, kind=Kind.PRACTICE, questions=1))
    assert result.mastery_score == pytest.approx(expected)
    assert result.trend == Trend.NEW
    assert result.seed_interval == pytest.approx(18.0)  # prior 20 shrunk once
    assert result.confidence_interval == pytest.approx(100 * (2 / 36) ** 0.5)


def test_initialize_non_diagnostic_quiz_updates_prior_with_quiz_alpha():
    result = initialize(obs(80.0, kind=Kind.QUIZ, questions=10))
    assert result.mastery_score == pytest.approx(59.0)
    assert result.quiz_count == 1
    assert result.practice_count == 0


# --- alpha ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.QUIZ, 0.3),
        (Kind.MIDTERM, 0.5),
        (Kind.FINAL, 0.5),
        (Kind.ASSIGNMENT, 0.3),
        (Kind.PROJECT, 0.3),
        (Kind.PRACTICE, 0.3),  # seed 000 / Module 2: practice quiz 0.3 (was 0.2)
        (Kind.REVIEW, 0.3),
        (Kind.DIAGNOSTIC, 0.3),
    ],
)
def test_alpha_by_kind(kind, expected):
    assert alpha_for(obs(kind=kind, questions=10), is_first=False) == expected


def test_flashcard_review_has_its_own_rate_whatever_its_question_count():
    """One card review is one question, yet weaker evidence than a single quiz question: its
    rate is FLASHCARD_ALPHA (chosen on the Anki review log, docs/mastery.md), first or not."""
    from mastery.engine.rules import FLASHCARD_ALPHA

    assert FLASHCARD_ALPHA < 0.1
    for is_first in (True, False):
        assert alpha_for(obs(kind=Kind.FLASHCARD, questions=1), is_first=is_first) == (
            FLASHCARD_ALPHA
        )


def test_alpha_first_diagnostic_is_one():
    assert alpha_for(obs(kind=Kind.DIAGNOSTIC, questions=10), is_first=True) == 1.0
    assert alpha_for(obs(kind=Kind.DIAGNOSTIC, questions=1), is_first=True) == 1.0


@pytest.mark.parametrize("kind", [k for k in Kind if k not in (Kind.DIAGNOSTIC, Kind.FLASHCARD)])
def test_alpha_single_question_beats_kind(kind):
    assert alpha_for(obs(kind=kind, questions=1), is_first=False) == 0.1
    assert alpha_for(obs(kind=kind, questions=1), is_first=True) == 0.1


def test_alpha_single_question_applies_to_a_later_diagnostic():
    assert alpha_for(obs(kind=Kind.DIAGNOSTIC, questions=1), is_first=False) == 0.1


# --- EWMA update ---------------------------------------------------------------------------


def test_update_quiz_ewma():
    assert update(state(50.0), obs(80.0, kind=Kind.QUIZ)).mastery_score == 59.0


@pytest.mark.parametrize("kind", [Kind.MIDTERM, Kind.FINAL])
def test_update_exam_ewma(kind):
    assert update(state(50.0), obs(90.0, kind=kind)).mastery_score == 70.0


def test_update_single_question_ewma():
    assert update(state(50.0), obs(100.0, kind=Kind.QUIZ, questions=1)).mastery_score == 55.0


def test_update_records_alpha_for_history():
    assert update(state(50.0), obs(80.0, kind=Kind.MIDTERM)).last_alpha == 0.5


# --- confidence interval -------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [(15.0, 13.5), (5.2, 5.0), (5.0, 5.0), (80.0, 50.0)])
def test_confidence_interval_shrinks_to_a_floor_of_five(before, after):
    # Plenty of answers behind the state, so the evidence term is below the seed's.
    many = {"answers_right": 400.0, "answers_wrong": 100.0}
    result = update(state(confidence_interval=before, **many), obs())
    assert result.seed_interval == pytest.approx(after)
    assert result.confidence_interval == pytest.approx(after)


def test_rows_saved_before_the_seed_interval_was_stored_shrink_their_shown_interval():
    result = update(state(confidence_interval=15.0, seed_interval=0.0), obs())
    assert result.seed_interval == pytest.approx(13.5)


# --- trend ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (50.0, 55.0, Trend.STABLE),
        (50.0, 55.01, Trend.IMPROVING),
        (50.0, 45.0, Trend.STABLE),
        (50.0, 44.99, Trend.DECLINING),
        (50.0, 50.0, Trend.STABLE),
    ],
)
def test_classify_trend_thresholds(old, new, expected):
    assert engine.classify_trend(old, new) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (60.0, Trend.STABLE),
        (60.02, Trend.IMPROVING),
        (40.0, Trend.STABLE),
        (39.98, Trend.DECLINING),
    ],
)
def test_update_sets_trend_from_mastery_change(score, expected):
    # Exams use alpha 0.5, so new = (score + 50) / 2 lands exactly on the thresholds.
    assert update(state(50.0), obs(score, kind=Kind.MIDTERM)).trend == expected


# --- counters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "practice_delta", "quiz_delta"),
    [
        (Kind.QUIZ, 0, 1),
        (Kind.MIDTERM, 0, 1),
        (Kind.FINAL, 0, 1),
        (Kind.ASSIGNMENT, 0, 1),
        (Kind.PROJECT, 0, 1),
        (Kind.PRACTICE, 1, 0),
        (Kind.REVIEW, 1, 0),
        (Kind.DIAGNOSTIC, 1, 0),
    ],
)
def test_counters(kind, practice_delta, quiz_delta):
    before = state(practice_count=3, quiz_count=2)
    after = update(before, obs(kind=kind))
    assert after.practice_count == 3 + practice_delta
    assert after.quiz_count == 2 + quiz_delta


# --- spaced review -------------------------------------------------------------------------


def test_below_seventy_next_review_is_tomorrow():
    late_evening = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)
    result = update(state(60.0, review_interval_days=30), obs(70.0, at=late_evening))
    assert result.mastery_score < 70
    assert result.review_interval_days == 1
    assert result.next_review_date == date(2025, 3, 4)


def test_at_seventy_a_passed_review_expands_the_previous_interval():
    before = state(90.0, review_interval_days=10, stability_days=2.0)
    result = update(before, obs(100.0, at=T0))
    assert result.mastery_score >= 70
    assert result.review_interval_days >= 11
    assert result.next_review_date == T0.date() + timedelta(days=result.review_interval_days)


def test_at_seventy_interval_is_days_until_recall_falls_to_target():
    # A large stability dominates previous+1; R(S, S) = 0.9 so the fsrs library's interval
    # is S' rounded to whole days.
    before = state(90.0, review_interval_days=3, stability_days=20.0, memory_difficulty=5.0)
    result = update(before, obs(100.0, at=T0))
    assert result.review_interval_days == round(result.stability_days)
    # Rounded to the nearest day, so recall on the due day is within half a day of 90%.
    on_due_day = engine.retrievability(result.review_interval_days, result.stability_days)
    assert on_due_day >= engine.retrievability(result.stability_days + 0.5, result.stability_days)


def test_lower_target_retention_gives_longer_intervals():
    before = state(90.0, review_interval_days=1, stability_days=10.0)
    strict = update(before, obs(100.0), target_retention=0.95)
    lenient = update(before, obs(100.0), target_retention=0.8)
    assert lenient.review_interval_days > strict.review_interval_days


def test_failed_review_at_high_mastery_does_not_expand_the_interval():
    before = state(95.0, review_interval_days=30, stability_days=30.0)
    result = update(before, obs(10.0, kind=Kind.PRACTICE, questions=1))
    assert result.mastery_score >= 70
    assert result.review_interval_days < 30


def test_interval_is_capped_at_a_year():
    before = state(99.0, review_interval_days=365, stability_days=30_000.0)
    result = update(before, obs(100.0))
    assert result.review_interval_days == 365


# --- difficulty selection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mastery", "expected"),
    [
        (0.0, Difficulty.EASY),
        (39.9, Difficulty.EASY),
        (40.0, Difficulty.MEDIUM),
        (59.9, Difficulty.MEDIUM),
        (60.0, Difficulty.HARD),
        (79.9, Difficulty.HARD),
        (80.0, Difficulty.EXAM_LEVEL),
        (100.0, Difficulty.EXAM_LEVEL),
    ],
)
def test_difficulty_from_mastery_boundaries(mastery, expected):
    result = recommend_difficulty(
        mastery_score=mastery,
        trend=Trend.STABLE,
        curve=DifficultyCurve.BALANCED,
        days_until_exam=None,
    )
    assert result == expected


def _recommend(mastery: float, trend: str, curve: str, days: float | None = None) -> str:
    return recommend_difficulty(
        mastery_score=mastery, trend=trend, curve=curve, days_until_exam=days
    )


@pytest.mark.parametrize(
    ("mastery", "expected"),
    [(65.0, Difficulty.MEDIUM), (85.0, Difficulty.HARD), (10.0, Difficulty.EASY)],
)
def test_declining_trend_steps_down_one_level(mastery, expected):
    assert _recommend(mastery, Trend.DECLINING, DifficultyCurve.BALANCED) == expected


@pytest.mark.parametrize(
    ("mastery", "expected"),
    [(45.0, Difficulty.HARD), (10.0, Difficulty.MEDIUM), (95.0, Difficulty.EXAM_LEVEL)],
)
def test_improving_with_aggressive_curve_steps_up_one_level(mastery, expected):
    assert _recommend(mastery, Trend.IMPROVING, DifficultyCurve.AGGRESSIVE) == expected


@pytest.mark.parametrize("curve", [DifficultyCurve.BALANCED, DifficultyCurve.GENTLE])
def test_improving_without_aggressive_curve_keeps_the_level(curve):
    assert _recommend(45.0, Trend.IMPROVING, curve) == Difficulty.MEDIUM


def test_gentle_curve_never_goes_above_the_mastery_level():
    for mastery in (10.0, 45.0, 65.0, 90.0):
        for trend in Trend:
            level = _recommend(mastery, trend, DifficultyCurve.GENTLE)
            levels = engine.DIFFICULTY_LEVELS
            assert levels.index(Difficulty(level)) <= levels.index(
                engine.difficulty_for_mastery(mastery)
            )


@pytest.mark.parametrize("days", [0.0, 3.0, 7.0])
def test_exam_within_a_week_with_mastery_sixty_is_exam_level(days):
    assert _recommend(60.0, Trend.DECLINING, DifficultyCurve.GENTLE, days) == Difficulty.EXAM_LEVEL


def test_exam_more_than_a_week_away_does_not_override():
    assert _recommend(60.0, Trend.STABLE, DifficultyCurve.BALANCED, 7.01) == Difficulty.HARD


@pytest.mark.parametrize("mastery", [10.0, 59.9])
def test_exam_within_three_days_below_sixty_is_medium(mastery):
    assert _recommend(mastery, Trend.STABLE, DifficultyCurve.BALANCED, 3.0) == Difficulty.MEDIUM


def test_exam_four_to_seven_days_away_below_sixty_keeps_the_level():
    assert _recommend(20.0, Trend.STABLE, DifficultyCurve.BALANCED, 5.0) == Difficulty.EASY


def test_exam_in_the_past_is_ignored():
    assert _recommend(70.0, Trend.STABLE, DifficultyCurve.BALANCED, -1.0) == Difficulty.HARD


# --- bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [-50.0, 1000.0, float("inf"), float("-inf")])
def test_scores_are_clamped(score):
    first = initialize(obs(score, kind=Kind.DIAGNOSTIC))
    later = update(state(50.0), obs(score, kind=Kind.FINAL))
    for result in (first, later):
        assert 0.0 <= result.mastery_score <= 100.0


def test_out_of_range_stored_state_is_brought_back_into_bounds():
    wild = state(250.0, confidence_interval=400.0, review_interval_days=10_000, stability_days=-3)
    result = update(wild, obs(100.0))
    assert 0.0 <= result.mastery_score <= 100.0
    assert 0.0 <= result.confidence_interval <= 50.0
    assert 1 <= result.review_interval_days <= 365


def test_invalid_observations_are_rejected():
    with pytest.raises(ValueError):
        obs(kind="homework")
    with pytest.raises(ValueError):
        obs(difficulty="impossible")
    with pytest.raises(ValueError):
        obs(float("nan"))
    with pytest.raises(ValueError):
        obs(questions=-1)
    with pytest.raises(ValueError):
        initialize(obs(), target_retention=1.0)


# --- storage -------------------------------------------------------------------------------


def _columns(result: MasteryState) -> dict[str, object]:
    return {
        "mastery_score": result.mastery_score,
        "confidence_interval": result.confidence_interval,
        "trend": result.trend,
        "review_interval_days": result.review_interval_days,
        "next_review_date": result.next_review_date,
        "last_practiced_at": result.last_practiced_at,
        "practice_count": result.practice_count,
        "quiz_count": result.quiz_count,
    }


def test_state_round_trips_through_columns_and_memory_blob():
    result = replay([obs(40.0), obs(90.0, at=T0 + timedelta(days=3))])[-1]
    memory = result.to_memory_dict()
    assert set(memory) == set(engine.MEMORY_FIELD_NAMES)
    rebuilt = MasteryState.from_storage(**_columns(result), memory={**memory, "future": 1})
    assert rebuilt == result


def test_state_rebuilds_with_defaults_when_memory_blob_is_missing():
    result = initialize(obs(70.0, kind=Kind.DIAGNOSTIC))
    rebuilt = MasteryState.from_storage(**_columns(result), memory=None)
    assert rebuilt.stability_days == engine.DEFAULT_STABILITY_DAYS
    assert rebuilt.success_count == 0
    assert update(rebuilt, obs(80.0, at=T0 + timedelta(days=2))).mastery_score == 73.0


# --- memory model and prediction -----------------------------------------------------------


def test_retrievability_is_ninety_percent_after_one_stability():
    assert engine.retrievability(7.0, 7.0) == pytest.approx(0.9)
    assert engine.days_until_retention(7.0) == 7


def test_predict_falls_with_time_since_practice():
    result = replay([obs(80.0, kind=Kind.DIAGNOSTIC), obs(90.0, at=T0 + timedelta(days=2))])[-1]
    last = result.last_practiced_at
    assert last is not None
    chances = [predict(result, last + timedelta(days=d)) for d in (0, 1, 7, 30, 365)]
    assert all(0.0 <= p <= 1.0 for p in chances)
    assert chances == sorted(chances, reverse=True)
    assert chances[0] > chances[-1]


def test_predict_rises_with_mastery():
    low = predict(state(30.0), T0)
    high = predict(state(90.0), T0)
    assert high > low


def test_the_default_forecast_rests_on_the_share_of_answers_right_not_the_ewma():
    # Same memory, same EWMA score; 9 of 10 right against 1 of 10 right.
    strong = state(50.0, answers_right=9.0, answers_wrong=1.0)
    weak = state(50.0, answers_right=1.0, answers_wrong=9.0)
    assert predict(strong, T0) > predict(weak, T0)
    share = engine.PREDICT_FEATURE_NAMES.index("logit_share")
    assert engine.predict_features(strong, T0)[share] == pytest.approx(math.log(10 / 2))
    assert engine.predict_features(weak, T0)[share] == pytest.approx(math.log(2 / 10))
    # Memory enters as its own log-odds: the sum of the two, from an even prior.
    recall = engine.retrievability_at(strong, T0)
    expected = engine.sigmoid(math.log(5.0) + math.log(recall / (1.0 - recall)))
    assert predict(strong, T0) == pytest.approx(expected)


def test_one_answer_counts_as_one_answer_in_the_forecast():
    # The Beta share after a single answer is 2/3 or 1/3, not certainty either way.
    right = initialize(obs(100.0, questions=1, kind=Kind.PRACTICE))
    wrong = initialize(obs(0.0, questions=1, kind=Kind.PRACTICE))
    share = engine.PREDICT_FEATURE_NAMES.index("logit_share")
    assert engine.predict_features(right, T0)[share] == pytest.approx(math.log(2.0))
    assert engine.predict_features(wrong, T0)[share] == pytest.approx(-math.log(2.0))
    a_week_on = T0 + timedelta(days=7)
    assert predict(right, a_week_on) > predict(wrong, a_week_on)


def test_a_state_without_answer_counts_forecasts_from_its_mastery_score():
    # Rows saved before answer counts were kept rebuild with 0 right and 0 wrong.
    share = engine.PREDICT_FEATURE_NAMES.index("logit_share")
    mastery = engine.PREDICT_FEATURE_NAMES.index("logit_mastery")
    features = engine.predict_features(state(80.0), T0)
    assert features[share] == pytest.approx(features[mastery]) == pytest.approx(math.log(4.0))


def test_spaced_success_grows_stability_more_when_recall_was_low():
    before = state(80.0, stability_days=5.0, memory_difficulty=5.0, last_practiced_at=T0)
    soon = update(before, obs(100.0, at=T0 + timedelta(days=2)))
    late = update(before, obs(100.0, at=T0 + timedelta(days=20)))
    assert soon.stability_days > before.stability_days
    assert late.stability_days > soon.stability_days
    assert late.last_retrievability < soon.last_retrievability


def test_failure_lowers_stability_and_raises_difficulty():
    before = state(80.0, stability_days=10.0, memory_difficulty=5.0, last_practiced_at=T0)
    after = update(before, obs(20.0, at=T0 + timedelta(days=10)))
    assert after.stability_days < before.stability_days
    assert after.memory_difficulty > before.memory_difficulty
    assert after.failure_count == before.failure_count + 1


def test_naive_and_aware_datetimes_mix():
    naive = datetime(2025, 3, 5, 9, 0)
    result = update(state(50.0), obs(80.0, at=naive))
    assert 0.0 <= predict(result, T0 + timedelta(days=5)) <= 1.0


def test_replay_initializes_then_updates():
    observations = [obs(70.0, kind=Kind.DIAGNOSTIC), obs(80.0, at=T0 + timedelta(days=1))]
    states = replay(observations)
    assert len(states) == 2
    assert states[0] == initialize(observations[0])
    assert states[1] == update(states[0], observations[1])
    assert replay([]) == []


# --- properties ----------------------------------------------------------------------------

scores = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([0.0, 100.0, float("inf"), float("-inf")]),
)
observations = st.builds(
    Observation,
    score_percent=scores,
    question_count=st.integers(min_value=0, max_value=200),
    time_spent_min=st.floats(min_value=0, max_value=600),
    difficulty_level=st.sampled_from(list(Difficulty)),
    kind=st.sampled_from(list(Kind)),
    observed_at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
histories = st.lists(observations, min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(histories)
def test_bounds_always_hold(history):
    for result in replay(history):
        assert 0.0 <= result.mastery_score <= 100.0
        assert 0.0 <= result.confidence_interval <= 50.0
        assert isinstance(result.review_interval_days, int)
        assert 1 <= result.review_interval_days <= 365
        assert result.trend in set(Trend)
        assert result.last_practiced_at is not None
        expected_date = result.last_practiced_at.date() + timedelta(
            days=result.review_interval_days
        )
        assert result.next_review_date == expected_date
        assert 0.0 <= predict(result, result.last_practiced_at) <= 1.0


@settings(max_examples=200, deadline=None)
@given(histories)
def test_replay_is_deterministic(history):
    assert replay(history) == replay(list(history))


@settings(max_examples=200, deadline=None)
@given(histories)
def test_replay_equals_folding_update(history):
    folded = [initialize(history[0])]
    for item in history[1:]:
        folded.append(update(folded[-1], item))
    assert replay(history) == folded


@settings(max_examples=200, deadline=None)
@given(
    histories,
    st.floats(min_value=0, max_value=3650),
    st.floats(min_value=0, max_value=3650),
)
def test_predict_is_in_unit_interval_and_never_rises_with_time(history, first, second):
    result = replay(history)[-1]
    assert result.last_practiced_at is not None
    sooner, later = sorted((first, second))
    p_sooner = predict(result, result.last_practiced_at + timedelta(days=sooner))
    p_later = predict(result, result.last_practiced_at + timedelta(days=later))
    assert 0.0 <= p_later <= p_sooner <= 1.0


def test_elapsed_time_is_exact_across_a_dst_change():
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    # 23 real hours apart: the clocks spring forward overnight.
    before = datetime(2026, 3, 7, 12, 0, tzinfo=new_york)
    after = datetime(2026, 3, 8, 12, 0, tzinfo=new_york)

    def fold(first, second):
        return engine.update(
            engine.initialize(obs(80, kind="diagnostic", at=first)), obs(90, kind="quiz", at=second)
        )

    local = fold(before, after)
    utc = fold(before.astimezone(UTC), after.astimezone(UTC))
    assert local.stability_days == pytest.approx(utc.stability_days)
    later = after + timedelta(days=3)
    assert engine.predict(local, later) == pytest.approx(engine.predict(utc, later.astimezone(UTC)))


# --- FSRS from the library: stored state and interval bounds --------------------------------


def test_memory_round_trips_through_the_library_card():
    result = replay([obs(40.0), obs(90.0, at=T0 + timedelta(days=3))])[-1]
    card = engine.to_card(result.stability_days, result.memory_difficulty, result.last_practiced_at)
    assert (card.stability, card.difficulty, card.last_review) == (
        result.stability_days,
        result.memory_difficulty,
        result.last_practiced_at,
    )
    # The library's own serialisation of that card round-trips too.
    assert type(card).from_dict(card.to_dict()).to_dict() == card.to_dict()
    later = T0 + timedelta(days=10)
    assert engine.retrievability_at(result, later) == pytest.approx(
        engine.retrievability(7.0, result.stability_days)
    )


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.floats(0, 100), min_size=1, max_size=12),
    gaps=st.lists(st.floats(0, 400), min_size=12, max_size=12),
    shortest=st.integers(1, 365),
    retention=st.floats(0.7, 0.97),
)
def test_intervals_stay_within_the_seed_bounds_and_the_students_shortest(
    scores, gaps, shortest, retention
):
    moments = [T0 + timedelta(days=sum(gaps[:i])) for i in range(len(scores))]
    states = replay(
        [obs(s, at=m) for s, m in zip(scores, moments, strict=False)],
        target_retention=retention,
        min_interval_days=shortest,
    )
    for result in states:
        assert max(1, shortest) <= result.review_interval_days <= 365
        assert result.next_review_date == (
            result.last_practiced_at.date() + timedelta(days=result.review_interval_days)
        )


@settings(max_examples=60, deadline=None)
@given(
    right=st.floats(0, 500),
    wrong=st.floats(0, 500),
    seed_interval=st.floats(0, 50),
)
def test_the_shown_interval_is_never_narrower_than_the_seed_or_the_evidence(
    right, wrong, seed_interval
):
    shown = engine.honest_interval(seed_interval, right, wrong)
    assert shown >= min(50.0, seed_interval)
    assert shown >= min(50.0, engine.evidence_interval(right, wrong))
    assert shown <= 50.0


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.floats(0, 100), min_size=1, max_size=6),
    days=st.lists(st.floats(0, 500), min_size=2, max_size=6),
    ability=st.floats(-3, 3),
    ease=st.floats(-3, 3),
)
def test_the_forecast_is_a_probability_that_never_rises_unpractised(scores, days, ability, ease):
    states = replay([obs(s, at=T0 + timedelta(days=i)) for i, s in enumerate(scores)])
    context = engine.ForecastContext(learner_ability=ability, topic_ease=ease)
    last = states[-1]
    moments = sorted(last.last_practiced_at + timedelta(days=d) for d in days)
    chances = [predict(last, m, context=context) for m in moments]
    assert all(0.0 <= p <= 1.0 for p in chances)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(chances))


def test_the_forecast_sees_the_last_change_and_the_memory_state():
    # The fitted forecast may weigh the last change of mastery (the state's trend: a single
    # answer moves it by more than the trend threshold only against the odds) and the fsrs
    # library's difficulty and stability; none of them moves with time unpractised.
    names = engine.PREDICT_FEATURE_NAMES
    trend = names.index("trend")
    difficulty = names.index("memory_difficulty")
    stability = names.index("log_stability")
    one = {"questions": 1, "kind": Kind.PRACTICE}
    right = initialize(obs(100.0, **one))
    wrong = initialize(obs(0.0, **one))
    later = T0 + timedelta(minutes=1)
    recovered = update(wrong, obs(100.0, at=later, **one))  # 45 -> 50.5
    lapsed = update(right, obs(0.0, at=later, **one))  # 55 -> 49.5
    then = later + timedelta(minutes=1)
    assert engine.predict_features(right, later)[trend] == 0.0  # a first answer: "new"
    assert engine.predict_features(recovered, then)[trend] == 1.0
    assert engine.predict_features(lapsed, then)[trend] == -1.0
    for topic in (right, wrong, recovered, lapsed):
        features = engine.predict_features(topic, then)
        assert features[difficulty] == pytest.approx(topic.memory_difficulty)
        assert features[stability] == pytest.approx(math.log(topic.stability_days))
    assert lapsed.memory_difficulty > right.memory_difficulty
    assert lapsed.stability_days < right.stability_days
    a_month_on = then + timedelta(days=30)
    recall = names.index("logit_recall")
    now_features = engine.predict_features(recovered, then)
    month_features = engine.predict_features(recovered, a_month_on)
    assert [v for i, v in enumerate(now_features) if i != recall] == [
        v for i, v in enumerate(month_features) if i != recall
    ]
    assert month_features[recall] < now_features[recall]
