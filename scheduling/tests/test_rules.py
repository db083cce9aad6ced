from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastery import engine
from scheduling import rules


def test_priority_is_the_issue_formula():
    inputs = rules.PriorityInputs(
        weight=0.3, mastery=55, days_until_due=6, confidence_interval=12, days_since_practice=2
    )
    expected = 0.3 * 0.45 * (1 / 6) * (1 / 1.12) / (1 / 3)
    assert rules.priority(inputs) == pytest.approx(expected)


def test_priority_grows_with_time_since_practice_and_never_practised_counts_as_30_days():
    base = {"weight": 0.5, "mastery": 50, "days_until_due": 4, "confidence_interval": 10}
    recent = rules.priority(rules.PriorityInputs(**base, days_since_practice=1))
    stale = rules.priority(rules.PriorityInputs(**base, days_since_practice=10))
    never = rules.priority(rules.PriorityInputs(**base, days_since_practice=None))
    thirty = rules.priority(rules.PriorityInputs(**base, days_since_practice=30))
    assert recent < stale < never
    assert never == pytest.approx(thirty)


def test_urgency_is_capped_at_one_day():
    base = {"weight": 1, "mastery": 0, "confidence_interval": 0, "days_since_practice": 0}
    assert rules.priority(rules.PriorityInputs(**base, days_until_due=0.2)) == pytest.approx(1.0)


@given(
    weight=st.floats(0, 1),
    mastery=st.floats(0, 100),
    days=st.floats(-5, 400),
    ci=st.floats(0, 50),
    since=st.one_of(st.none(), st.floats(0, 400)),
)
def test_priority_is_finite_and_non_negative(weight, mastery, days, ci, since):
    value = rules.priority(rules.PriorityInputs(weight, mastery, days, ci, since))
    assert value >= 0 and value < float("inf")


def test_finals_need_more_time_than_quizzes_and_curves_scale_time():
    factor = rules.weight_factor(30, 0.5, 2)
    final = rules.required_minutes(
        mastery=60, target=rules.target_mastery("final"), factor=factor, curve="balanced"
    )
    quiz = rules.required_minutes(
        mastery=60, target=rules.target_mastery("quiz"), factor=factor, curve="balanced"
    )
    assert final > quiz
    gentle, balanced, aggressive = (
        rules.required_minutes(mastery=40, target=90, factor=1, curve=curve)
        for curve in ("gentle", "balanced", "aggressive")
    )
    assert gentle < balanced < aggressive
    assert rules.required_minutes(mastery=95, target=90, factor=1, curve="balanced") == 0


def test_weight_factor_follows_assessment_and_topic_weight():
    assert rules.weight_factor(40, 0.5, 2) > rules.weight_factor(10, 0.5, 2)
    assert rules.weight_factor(30, 0.8, 2) > rules.weight_factor(30, 0.2, 2)


def test_topic_shares_split_unset_weights_evenly():
    assert rules.topic_shares([60, 40]) == pytest.approx([0.6, 0.4])
    assert rules.topic_shares([None, None]) == pytest.approx([0.5, 0.5])
    assert rules.topic_shares([50, None, None]) == pytest.approx([0.5, 0.25, 0.25])


def test_task_type_follows_mastery_level_and_study_modes():
    assert rules.choose_task_type(mastery=20, study_modes=None) == "reading"
    assert rules.choose_task_type(mastery=60, study_modes=None) == "problem_set"
    assert rules.choose_task_type(mastery=90, study_modes=None) == "quiz"
    assert rules.choose_task_type(mastery=90, study_modes=["review", "reading"]) == "review"
    assert rules.choose_task_type(mastery=20, study_modes=["practice_quizzes"]) == "quiz"
    assert rules.choose_task_type(mastery=60, study_modes=["flashcards"]) == "flashcards"


def test_duration_ratio_shrinks_toward_one_with_little_data():
    one = rules.duration_ratio(sum_actual_min=100, sum_estimated_min=50, task_count=1)
    many = rules.duration_ratio(sum_actual_min=2000, sum_estimated_min=1000, task_count=20)
    assert 1 < one < many <= 2
    assert one == pytest.approx((1 * 2 + 3) / 4)
    assert rules.duration_ratio(sum_actual_min=0, sum_estimated_min=0, task_count=0) == 1.0


def test_checkin_adjustment():
    hard = rules.checkin_adjustment(difficulty=5, time_burden=5)
    easy = rules.checkin_adjustment(difficulty=1, time_burden=1)
    assert (hard.difficulty_steps, hard.block_factor) == (-1, rules.CHECKIN_SHORTER_BLOCKS)
    assert (easy.difficulty_steps, easy.block_factor) == (1, rules.CHECKIN_LONGER_BLOCKS)
    assert rules.checkin_adjustment(difficulty=3, time_burden=3) == rules.CheckInAdjustment()
    assert rules.step_difficulty("easy", -1) == "easy"
    assert rules.step_difficulty("hard", 1) == "exam_level"


def test_study_reason_reads_like_the_issue():
    reason = rules.study_reason(
        weight_percent=30,
        assessment_name="Final",
        due_local=date(2026, 12, 12),
        mastery=55.2,
        ci=12.0,
        has_record=True,
        days_left=6,
    )
    assert reason == "30% of Final on Dec 12 · mastery 55 ± 12 · 6 days left"


def test_streak_counts_runs_and_keeps_today_open():
    today = date(2026, 12, 10)
    days = [date(2026, 12, d) for d in (1, 2, 3, 7, 8, 9)]
    result = rules.streak(days, today)
    assert (result.current, result.longest, result.active_days) == (3, 3, 6)
    assert rules.streak([*days, today], today).current == 4
    assert rules.streak(days, today + timedelta(days=1)).current == 0
    assert rules.streak([], today) == rules.Streak(0, 0, 0, None)


def _state(mastery: float, practiced: datetime) -> engine.MasteryState:
    return engine.MasteryState(
        mastery_score=mastery,
        confidence_interval=10,
        trend="stable",
        review_interval_days=3,
        next_review_date=practiced.date(),
        last_practiced_at=practiced,
        practice_count=3,
        quiz_count=1,
    )


def test_exam_reviews_raise_readiness_within_budget_and_are_deterministic():
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    exam = now + timedelta(days=10)
    topics = [
        rules.ExamTopic("a", 0.6, _state(60, now - timedelta(days=5))),
        rules.ExamTopic("b", 0.4, _state(80, now - timedelta(days=1))),
        rules.ExamTopic("c", 0.0, None),
    ]
    first = rules.plan_exam_reviews(topics, exam_at=exam, now=now, budget_minutes=45)
    again = rules.plan_exam_reviews(topics, exam_at=exam, now=now, budget_minutes=45)
    assert first == again
    assert 0 < len(first.reviews) <= 3
    assert first.ready_after > first.ready_before
    assert all(now < moment < exam for _, moment in first.reviews)
    assert {topic for topic, _ in first.reviews} <= {"a", "b"}
    bigger = rules.plan_exam_reviews(topics, exam_at=exam, now=now, budget_minutes=120)
    assert bigger.ready_after >= first.ready_after


def test_target_grade_boost_favours_ambitious_courses():
    assert rules.target_grade_boost(None) == 1.0
    assert rules.target_grade_boost(60) == 1.0
    assert rules.target_grade_boost(93) == pytest.approx(1.23)
    assert rules.target_grade_boost(100) > rules.target_grade_boost(90) > 1.0
