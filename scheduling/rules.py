"""The scheduling layer's formulas: priority, study time, task type, reasons, streaks.

Pure functions over numbers and dates (no Django, no rows), so the rules can be read, tested
and documented in one place. Selectors load rows and call these; `docs/scheduling.md` explains
each formula and every deviation from the issue text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mastery import engine

# -- Targets and study time --------------------------------------------------------------------

# Mastery a student should reach before an assessment: higher stakes, higher bar.
TARGET_MASTERY_BY_TYPE = {
    "final": 90.0,
    "midterm": 85.0,
    "project": 80.0,
    "assignment": 75.0,
    "quiz": 75.0,
}
DEFAULT_TARGET_MASTERY = 75.0
# One mastery point takes about three minutes of focused study: closing a 20-point gap is an
# hour, about one preferred block plus a short one. Scaled by weight and curve below.
MINUTES_PER_GAP_POINT = 3.0
# The difficulty curve sets the intensity: gentle asks for less time, aggressive for more.
CURVE_TIME_FACTOR = {"gentle": 0.8, "balanced": 1.0, "aggressive": 1.25}
# An assessment worth 40% of the grade doubles the base time of an even topic share; weight
# factors are clamped so a 1% quiz still gets some time and a 100% final not a week per topic.
WEIGHT_PERCENT_FOR_FULL_FACTOR = 40.0
MIN_WEIGHT_FACTOR = 0.25
MAX_WEIGHT_FACTOR = 2.0
# Shorter study sessions are mostly warm-up; longer single items are split by the planner.
MIN_STUDY_MINUTES = 25
MAX_STUDY_MINUTES_PER_ITEM = 360
ROUND_TO_MINUTES = 5

# A prerequisite below this mastery gets its own work, placed before the dependant's.
PREREQUISITE_MASTERY = 60.0
# ...and borrows the dependant's priority, raised by this factor, so it is placed first.
PREREQUISITE_PRIORITY_BOOST = 1.25
# ...but only for the share of time the dependant needs it for: at most this share of its
# largest dependant's minutes (never under MIN_STUDY_MINUTES). Borrowed priority on all of a
# long catch-up let cheap groundwork take the whole day its dependant needed.
PREREQUISITE_SHARE_OF_DEPENDANT = 0.5


def prerequisite_minutes(own_minutes: int, dependant_minutes: list[int]) -> int:
    """The prerequisite's study time, capped at its share of what its dependants need."""
    if not dependant_minutes:
        return own_minutes
    share = round_up(PREREQUISITE_SHARE_OF_DEPENDANT * max(dependant_minutes))
    return int(min(own_minutes, max(MIN_STUDY_MINUTES, share)))


# Review blocks (spaced repetition): short, 10 minutes when the topic is well known.
REVIEW_MINUTES = 15
REVIEW_MINUTES_WELL_KNOWN = 10
REVIEW_WELL_KNOWN_MASTERY = 80.0

# Practice after a poor result (Module 3: "a score under 60% gives 3 sessions of 30 minutes
# at medium difficulty, priority x1.5"), or after mastery fell below 60 on a topic no
# upcoming assessment covers.
PRACTICE_BELOW_MASTERY = 60.0
POOR_RESULT_PERCENT = 60.0
PRACTICE_SESSIONS = 3
PRACTICE_MINUTES = 30
PRACTICE_DIFFICULTY = "medium"
PRACTICE_PRIORITY_FACTOR = 1.5
PRACTICE_WEIGHT = 0.5
PRACTICE_WINDOW_DAYS = 7
# Module 3: a skipped or missed task's work is regenerated with its priority x1.2.
SKIPPED_PRIORITY_FACTOR = 1.2

# Preparation for an assessment with no topics (an imported deadline, a quick entry): there is
# no mastery to close, so the time is sized from the assessment itself. Preparing takes a
# multiple of its estimated duration: a quiz about as long as it lasts, homework and projects
# twice and three times (the estimate is the sitting or hand-in, not the work), exams three
# to four times their sitting. Then scaled by weight like a topic's study time.
PREPARATION_DURATION_MULTIPLIER = {
    "quiz": 1.0,
    "assignment": 2.0,
    "project": 3.0,
    "midterm": 3.0,
    "final": 4.0,
}
DEFAULT_PREPARATION_MULTIPLIER = 2.0
# A weight of 0 (not set yet) would give no priority; plan it as a small item until the
# student sets the weight, so no deadline is left without study time.
PREPARATION_MIN_WEIGHT_PERCENT = 5.0

# Days since practice assumed for a topic never practised.
NEVER_PRACTISED_DAYS = 30.0

# -- Task types --------------------------------------------------------------------------------

READING, PROBLEM_SET, QUIZ, REVIEW, FLASHCARDS = (
    "reading",
    "problem_set",
    "quiz",
    "review",
    "flashcards",
)
# UserPreferences.study_mode_preferences names -> StudyTask.task_type.
STUDY_MODE_TO_TASK_TYPE = {
    "reading": READING,
    "problem_sets": PROBLEM_SET,
    "flashcards": FLASHCARDS,
    "practice_quizzes": QUIZ,
    "review": REVIEW,
}
# Reading while low, problem sets in the middle, quizzes or review when high; each list is
# the order of fallbacks when the student's modes exclude the first choice.
LOW_MASTERY_BELOW = 40.0
HIGH_MASTERY_FROM = 75.0
TYPE_ORDER_LOW = (READING, FLASHCARDS, PROBLEM_SET, QUIZ, REVIEW)
TYPE_ORDER_MIDDLE = (PROBLEM_SET, FLASHCARDS, QUIZ, READING, REVIEW)
TYPE_ORDER_HIGH = (QUIZ, REVIEW, PROBLEM_SET, FLASHCARDS, READING)

PROJECT = "project"
# Assessment types whose preparation is the work itself, done before the hand-in.
HANDED_IN_TYPES = frozenset({"assignment", "project"})

DIFFICULTY_LEVELS = ("easy", "medium", "hard", "exam_level")

# -- Check-ins and learned durations ------------------------------------------------------------

# A check-in rating of 4-5 ("too hard", "too much time") eases the next plan; 1-2 pushes it.
CHECKIN_HIGH = 4
CHECKIN_LOW = 2
CHECKIN_SHORTER_BLOCKS = 0.8
CHECKIN_LONGER_BLOCKS = 1.15
# A check-in older than this no longer describes how the student is doing.
CHECKIN_VALID_DAYS = 3
# Bayesian shrinkage of actual/estimated minutes toward 1: the prior counts as three tasks.
DURATION_PRIOR_TASKS = 3.0
DURATION_RATIO_MIN = 0.5
DURATION_RATIO_MAX = 2.0

# -- Exam-targeted review ----------------------------------------------------------------------

EXAM_TYPES = frozenset({"midterm", "final"})
# Candidate review moments, in days before the exam: spaced, the last one the day before.
EXAM_REVIEW_OFFSETS_DAYS = (1, 3, 7, 13)
EXAM_REVIEW_MINUTES = 15
# Per exam: enough for about two reviews of each of four topics; spread by marginal gain.
EXAM_REVIEW_BUDGET_MINUTES = 120
EXAM_REVIEW_MAX_PER_TOPIC = 3
# Reviews that add less expected recall than this are not worth a block.
EXAM_REVIEW_MIN_GAIN = 0.005
# A planned review is done with the notes at hand: we assume a passing recall ("good") at
# least this high, so it strengthens memory instead of being scored as a lapse.
EXPECTED_REVIEW_SCORE = 75.0


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def card_review_minutes(card_count: int, seconds_per_card: float) -> int:
    """Minutes for `card_count` flashcards at the student's pace, in whole plan steps."""
    return max(ROUND_TO_MINUTES, round_up(card_count * seconds_per_card / 60))


def round_up(minutes: float, step: int = ROUND_TO_MINUTES) -> int:
    return int(math.ceil(minutes / step - 1e-9) * step)


def target_mastery(assessment_type: str) -> float:
    return TARGET_MASTERY_BY_TYPE.get(assessment_type, DEFAULT_TARGET_MASTERY)


def topic_shares(weights: Sequence[float | None]) -> list[float]:
    """Each topic's share (0..1) of an assessment; unset weights split what is left evenly."""
    if not weights:
        return []
    given = [w for w in weights if w is not None and w > 0]
    unset = sum(1 for w in weights if w is None)
    given_total = sum(given)
    if given_total <= 0:
        return [1.0 / len(weights)] * len(weights)
    rest = max(0.0, 100.0 - given_total)
    per_unset = rest / unset if unset else 0.0
    raw = [(w if w is not None else per_unset) for w in weights]
    total = sum(raw)
    return [r / total if total > 0 else 1.0 / len(weights) for r in raw]


def weight_factor(assessment_weight_percent: float, share: float, topic_count: int) -> float:
    """How much a topic's study time is scaled by the assessment's and the topic's weight."""
    relative_share = share * max(1, topic_count)
    raw = (0.5 + assessment_weight_percent / WEIGHT_PERCENT_FOR_FULL_FACTOR) * relative_share
    return clamp(raw, MIN_WEIGHT_FACTOR, MAX_WEIGHT_FACTOR)


def required_minutes(*, mastery: float, target: float, factor: float, curve: str) -> int:
    """Study minutes to close the gap from `mastery` to `target`; 0 when already there."""
    gap = target - mastery
    if gap <= 0:
        return 0
    raw = gap * MINUTES_PER_GAP_POINT * factor * CURVE_TIME_FACTOR.get(curve, 1.0)
    return int(clamp(round_up(raw), MIN_STUDY_MINUTES, MAX_STUDY_MINUTES_PER_ITEM))


def preparation_minutes(
    *, assessment_type: str, weight_percent: float, estimated_duration_min: int, curve: str
) -> int:
    """Study minutes before an assessment that has no topics to size them from."""
    multiplier = PREPARATION_DURATION_MULTIPLIER.get(
        assessment_type, DEFAULT_PREPARATION_MULTIPLIER
    )
    factor = weight_factor(max(weight_percent, PREPARATION_MIN_WEIGHT_PERCENT), 1.0, 1)
    raw = max(0, estimated_duration_min) * multiplier * factor * CURVE_TIME_FACTOR.get(curve, 1.0)
    return int(clamp(round_up(raw), MIN_STUDY_MINUTES, MAX_STUDY_MINUTES_PER_ITEM))


def expected_gain(*, mastery: float, target: float, block_minutes: int, item_minutes: int) -> float:
    """The share of the gap one block closes (mastery points, 0..100)."""
    if item_minutes <= 0:
        return 0.0
    gap = max(0.0, target - mastery)
    return round(clamp(gap * block_minutes / item_minutes, 0.0, 100.0), 2)


# -- Priority ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityInputs:
    weight: float  # 0..1: the assessment's share of the grade times the topic's share of it
    mastery: float  # 0..100
    days_until_due: float
    confidence_interval: float  # ± points
    days_since_practice: float | None  # None: never practised


# A course with a target grade gets up to this much more priority: +1% per point of target
# above a pass-level 70, so an A target (93) counts about 1.23x a course with no target.
TARGET_GRADE_BASELINE = 70.0
TARGET_GRADE_BOOST_PER_POINT = 0.01


def target_grade_boost(target_grade: float | None) -> float:
    """The multiplier a course's target grade puts on the priority of all its work."""
    if target_grade is None:
        return 1.0
    return 1.0 + TARGET_GRADE_BOOST_PER_POINT * max(0.0, target_grade - TARGET_GRADE_BASELINE)


def priority(inputs: PriorityInputs) -> float:
    """weight x gap x urgency x confidence_factor / recency_factor (the issue's formula).

    recency_factor = 1 / (1 + days since practice), so dividing by it multiplies by
    (1 + days): a topic not practised for a long time gets MORE priority, as intended.
    """
    weight = clamp(inputs.weight, 0.0, 1.0)
    gap = 1.0 - clamp(inputs.mastery, 0.0, 100.0) / 100.0
    urgency = 1.0 / max(1.0, inputs.days_until_due)
    confidence_factor = 1.0 / (1.0 + max(0.0, inputs.confidence_interval) / 100.0)
    days = (
        NEVER_PRACTISED_DAYS if inputs.days_since_practice is None else inputs.days_since_practice
    )
    recency_factor = 1.0 / (1.0 + max(0.0, days))
    return weight * gap * urgency * confidence_factor / recency_factor


# -- Type and difficulty ------------------------------------------------------------------------


def choose_task_type(*, mastery: float, study_modes: Iterable[str] | None) -> str:
    """The first type of the mastery level's order that the student's modes allow."""
    if mastery < LOW_MASTERY_BELOW:
        order = TYPE_ORDER_LOW
    elif mastery < HIGH_MASTERY_FROM:
        order = TYPE_ORDER_MIDDLE
    else:
        order = TYPE_ORDER_HIGH
    allowed = {
        STUDY_MODE_TO_TASK_TYPE[m] for m in (study_modes or ()) if m in STUDY_MODE_TO_TASK_TYPE
    }
    if not allowed:
        return order[0]
    return next(task_type for task_type in order if task_type in allowed)


def step_difficulty(level: str, steps: int) -> str:
    index = DIFFICULTY_LEVELS.index(level) if level in DIFFICULTY_LEVELS else 1
    return DIFFICULTY_LEVELS[int(clamp(index + steps, 0, len(DIFFICULTY_LEVELS) - 1))]


@dataclass(frozen=True)
class CheckInAdjustment:
    difficulty_steps: int = 0
    block_factor: float = 1.0


def checkin_adjustment(*, difficulty: int | None, time_burden: int | None) -> CheckInAdjustment:
    """A hard day steps difficulty down, an easy one up; a heavy time burden shortens blocks."""
    steps = 0
    if difficulty is not None:
        if difficulty >= CHECKIN_HIGH:
            steps = -1
        elif difficulty <= CHECKIN_LOW:
            steps = 1
    factor = 1.0
    if time_burden is not None:
        if time_burden >= CHECKIN_HIGH:
            factor = CHECKIN_SHORTER_BLOCKS
        elif time_burden <= CHECKIN_LOW:
            factor = CHECKIN_LONGER_BLOCKS
    return CheckInAdjustment(difficulty_steps=steps, block_factor=factor)


def duration_ratio(*, sum_actual_min: float, sum_estimated_min: float, task_count: int) -> float:
    """Actual over estimated minutes, shrunk toward 1 with a prior worth three tasks."""
    if task_count <= 0 or sum_estimated_min <= 0:
        return 1.0
    observed = sum_actual_min / sum_estimated_min
    shrunk = (task_count * observed + DURATION_PRIOR_TASKS) / (task_count + DURATION_PRIOR_TASKS)
    return round(clamp(shrunk, DURATION_RATIO_MIN, DURATION_RATIO_MAX), 4)


# -- Reasons ----------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(day: date) -> str:
    # English month names, not strftime's %b, so reasons do not depend on the process locale.
    return f"{_MONTHS[day.month - 1]} {day.day}"


def days_left_text(days: int) -> str:
    if days <= 0:
        return "due today"
    return "1 day left" if days == 1 else f"{days} days left"


def mastery_text(mastery: float, ci: float, *, has_record: bool) -> str:
    if not has_record:
        return "not yet assessed"
    return f"mastery {mastery:.0f} ± {ci:.0f}"


def study_reason(
    *,
    weight_percent: float,
    assessment_name: str,
    due_local: date,
    mastery: float,
    ci: float,
    has_record: bool,
    days_left: int,
) -> str:
    """E.g. "30% of Final on Dec 12 · mastery 55 ± 12 · 6 days left"."""
    return " · ".join(
        [
            f"{weight_percent:.0f}% of {assessment_name} on {short_date(due_local)}",
            mastery_text(mastery, ci, has_record=has_record),
            days_left_text(days_left),
        ]
    )


# -- Streaks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    active_days: int
    last_active: date | None


def streak(active_dates: Iterable[date], today: date) -> Streak:
    """Consecutive local days with activity. Today still counts as open: a streak that ran
    until yesterday is current until today ends without activity."""
    days = sorted(set(active_dates))
    longest = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    active = set(days)
    cursor = today if today in active else today - timedelta(days=1)
    while cursor in active:
        current += 1
        cursor -= timedelta(days=1)
    return Streak(current=current, longest=longest, active_days=len(days), last_active=previous)


# -- Exam-targeted review -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExamTopic:
    topic_id: str
    weight: float  # share of the exam, 0..1
    state: engine.MasteryState | None
    # The learner's ability and the topic's ease across learners, for the forecast.
    context: engine.ForecastContext = engine.NEUTRAL_CONTEXT


@dataclass(frozen=True)
class ExamReviewPlan:
    reviews: tuple[tuple[str, datetime], ...]  # (topic id, review moment), sorted
    ready_before: float
    ready_after: float


def review_observation(state: engine.MasteryState, at: datetime) -> engine.Observation:
    return engine.Observation(
        score_percent=max(state.mastery_score, EXPECTED_REVIEW_SCORE),
        question_count=0,
        time_spent_min=EXAM_REVIEW_MINUTES,
        difficulty_level=engine.Difficulty.MEDIUM.value,
        kind=engine.Kind.REVIEW.value,
        observed_at=at,
    )


def state_after_reviews(
    state: engine.MasteryState, moments: Iterable[datetime]
) -> engine.MasteryState:
    for moment in sorted(moments):
        if state.last_practiced_at is not None and moment <= state.last_practiced_at:
            continue
        state = engine.update(state, review_observation(state, moment))
    return state


# How many reviewed cards make a topic's card recall count as much as the topic's forecast: a
# deck of 20 cards is about one quiz's worth of answers (rules of thumb; the share grows as
# n / (n + 20), so a topic with 2 cards leans on the forecast and one with 200 on its cards).
CARD_RECALL_EQUAL_WEIGHT_CARDS = 20


def readiness(
    topics: Sequence[ExamTopic],
    exam_at: datetime,
    reviews: dict[str, list],
    weights: Sequence[float] = engine.PREDICT_WEIGHTS,
    card_recall: dict[str, tuple[float, int]] | None = None,
) -> float:
    """Weighted mean over the exam's topics of the forecast's P(correct) at the exam, with
    the forecast's fitted `weights` (mastery.forecasting.forecast_weights).

    `card_recall` (topic id -> mean predicted recall of its flashcards on the exam date, card
    count) joins each topic's forecast with a share n / (n + CARD_RECALL_EQUAL_WEIGHT_CARDS);
    a topic known only from its cards counts by its cards alone.
    """
    total_weight = sum(t.weight for t in topics)
    if total_weight <= 0:
        return 0.0
    card_recall = card_recall or {}
    score = 0.0
    for topic in topics:
        probability = None
        if topic.state is not None:
            state = state_after_reviews(topic.state, reviews.get(topic.topic_id, ()))
            probability = engine.predict(state, exam_at, weights, topic.context)
        cards = card_recall.get(topic.topic_id)
        if cards is not None and cards[1] > 0:
            recall, count = cards
            share = count / (count + CARD_RECALL_EQUAL_WEIGHT_CARDS)
            probability = (
                recall if probability is None else (1 - share) * probability + share * recall
            )
        if probability is not None:
            score += topic.weight * probability
    return score / total_weight


def plan_exam_reviews(
    topics: Sequence[ExamTopic],
    *,
    exam_at: datetime,
    now: datetime,
    budget_minutes: int = EXAM_REVIEW_BUDGET_MINUTES,
) -> ExamReviewPlan:
    """Greedy: add the (topic, moment) review that raises P(ready) most, until the budget is
    spent or no review adds at least EXAM_REVIEW_MIN_GAIN. Deterministic (ties on ids)."""
    candidates = [
        exam_at - timedelta(days=offset)
        for offset in EXAM_REVIEW_OFFSETS_DAYS
        if exam_at - timedelta(days=offset) > now
    ]
    chosen: dict[str, list[datetime]] = {}
    before = readiness(topics, exam_at, chosen)
    current = before
    budget = budget_minutes
    reviewable = sorted((t for t in topics if t.state is not None), key=lambda t: t.topic_id)
    while budget >= EXAM_REVIEW_MINUTES and candidates:
        best: tuple[float, str, datetime] | None = None
        for topic in reviewable:
            taken = chosen.get(topic.topic_id, [])
            if len(taken) >= EXAM_REVIEW_MAX_PER_TOPIC:
                continue
            for moment in candidates:
                if moment in taken:
                    continue
                trial = dict(chosen)
                trial[topic.topic_id] = [*taken, moment]
                gain = readiness(topics, exam_at, trial) - current
                if best is None or gain > best[0] + 1e-12:
                    best = (gain, topic.topic_id, moment)
        if best is None or best[0] < EXAM_REVIEW_MIN_GAIN:
            break
        gain, topic_id, moment = best
        chosen.setdefault(topic_id, []).append(moment)
        current += gain
        budget -= EXAM_REVIEW_MINUTES
    reviews = tuple(sorted((tid, m) for tid, moments in chosen.items() for m in moments))
    return ExamReviewPlan(reviews=reviews, ready_before=before, ready_after=current)
