"""Pure mastery engine: evidence about one learner and one topic in, a mastery state out.

No Django here. The services load PerformanceRecords, fold them through `replay` (or
`initialize` then `update`) in `completed_at` order and save the resulting states, so
recomputing a topic is a deterministic, idempotent fold.

Two models live side by side in one state:

* the seed rules: an EWMA mastery score with per-kind weights (alpha), a confidence
  interval, a trend, counters and a review date;
* a memory model in the style of FSRS (stability, difficulty, retrievability) that knows how
  recall fades between practice sessions. `predict` multiplies a knowledge term (logistic in
  mastery, fitted on the training portion of a real review log, see PREDICT_WEIGHTS) by the
  retrievability of the memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    DIAGNOSTIC = "diagnostic"
    PRACTICE = "practice"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    PROJECT = "project"
    MIDTERM = "midterm"
    FINAL = "final"
    REVIEW = "review"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    EXAM_LEVEL = "exam_level"


class Trend(StrEnum):
    IMPROVING = "improving"
    STABLE = "stable"
    DECLINING = "declining"
    NEW = "new"


class DifficultyCurve(StrEnum):
    GENTLE = "gentle"
    BALANCED = "balanced"
    AGGRESSIVE = "aggressive"


# --- Bounds (seed rules) -------------------------------------------------------------------
MASTERY_MIN = 0.0
MASTERY_MAX = 100.0
CI_MIN = 0.0
CI_MAX = 50.0
# The interval is stored as whole days; a year caps it because a course never runs longer.
INTERVAL_MIN_DAYS = 1
INTERVAL_MAX_DAYS = 365

# --- EWMA weights (alpha) ------------------------------------------------------------------
# Seed: the first diagnostic sets mastery outright; exams and quizzes have fixed weights;
# one question is weak evidence whatever its kind.
ALPHA_FIRST_DIAGNOSTIC = 1.0
ALPHA_SINGLE_QUESTION = 0.1
ALPHA_BY_KIND: Mapping[Kind, float] = {
    Kind.MIDTERM: 0.5,  # seed: exams
    Kind.FINAL: 0.5,  # seed: exams
    # A later diagnostic is built to cover the whole topic, so it is strong evidence, but it
    # is ungraded, so it weighs less than an exam.
    Kind.DIAGNOSTIC: 0.4,
    Kind.QUIZ: 0.3,  # seed
    # Graded like a quiz and about as broad; untimed and open-book, so not more than a quiz.
    Kind.ASSIGNMENT: 0.3,
    # A project mixes several topics and teamwork, so its grade says less about this topic.
    Kind.PROJECT: 0.25,
    # Ungraded self-practice: informative but noisy, and learners pick what they know.
    Kind.PRACTICE: 0.2,
    # A review comes right after studying, so recall is inflated by recent exposure.
    Kind.REVIEW: 0.15,
}
# A first observation that is not a diagnostic updates this neutral prior with its own
# alpha, so a single right or wrong answer cannot set mastery to 100 or 0.
PRIOR_MASTERY = 50.0
# No placement evidence at all: wider than the widest diagnostic interval (15).
PRIOR_CI = 20.0

# --- Confidence interval (seed: 15 for a handful of questions, 5 for many) ------------------
CI_FEW_QUESTIONS = 15.0
CI_MANY_QUESTIONS = 5.0
# "A handful" is up to 3 questions; 20 questions give a standard error of a proportion
# near 11 points at p=0.5, about the ±5 band once later evidence is pooled. Linear between.
FEW_QUESTIONS = 3
MANY_QUESTIONS = 20
CI_SHRINK_PER_OBSERVATION = 0.9  # seed
CI_FLOOR = 5.0  # seed: evidence never makes us more certain than ±5 points

# --- Trend and review (seed) ---------------------------------------------------------------
TREND_THRESHOLD = 5.0
REVIEW_MASTERY_THRESHOLD = 70.0

# --- Difficulty selection (seed) -----------------------------------------------------------
DIFFICULTY_LEVELS: tuple[Difficulty, ...] = (
    Difficulty.EASY,
    Difficulty.MEDIUM,
    Difficulty.HARD,
    Difficulty.EXAM_LEVEL,
)
EASY_BELOW = 40.0
MEDIUM_BELOW = 60.0
HARD_BELOW = 80.0
EXAM_SOON_DAYS = 7.0
EXAM_IMMINENT_DAYS = 3.0
EXAM_READY_MASTERY = 60.0

# --- Memory model (FSRS-5 forgetting curve) ------------------------------------------------
# FSRS power forgetting curve R(t, S) = (1 + F*t/S)^C. C = -0.5 and F = 19/81 make
# R(S, S) = 0.9, i.e. stability is the number of days until recall falls to 90%.
FORGETTING_DECAY = -0.5
FORGETTING_FACTOR = 19.0 / 81.0
# Target recall for scheduling a review; 0.9 is the FSRS and Anki default.
TARGET_RETENTION = 0.9
# A score at or above a common pass mark counts as a successful recall for the memory model.
PASS_SCORE_PERCENT = 60.0
# Below this score the recall counted as effortful ("Hard" in Anki terms).
EASY_RECALL_SCORE_PERCENT = 85.0
SECONDS_PER_DAY = 86_400.0
# FSRS treats reviews less than a day apart as short-term (learning steps).
SHORT_TERM_DAYS = 1.0
STABILITY_MIN_DAYS = 0.01  # FSRS clamps stability to at least 0.01 days
STABILITY_MAX_DAYS = 36_500.0  # FSRS maximum interval, 100 years
MEMORY_DIFFICULTY_MIN = 1.0
MEMORY_DIFFICULTY_MAX = 10.0
# Memory dynamics use the published FSRS-5 default weights (open-spaced-repetition, fitted by
# its authors on ~20k Anki collections, not on our data) for the two grades we can tell apart
# from a score: "Again" (failed) and "Good" (passed); "Hard" for a pass with a low score.
FSRS_INITIAL_STABILITY_FAILED = 0.40255  # w0
FSRS_INITIAL_STABILITY_HARD = 1.18385  # w1
FSRS_INITIAL_STABILITY_PASSED = 3.173  # w2
FSRS_INITIAL_DIFFICULTY = 7.1949  # w4
FSRS_INITIAL_DIFFICULTY_GRADE_SLOPE = 0.5345  # w5
FSRS_DIFFICULTY_STEP = 1.4604  # w6
FSRS_DIFFICULTY_MEAN_REVERSION = 0.0046  # w7
FSRS_RECALL_GROWTH = 1.54575  # w8 (as e^w8)
FSRS_RECALL_STABILITY_DECAY = 0.1192  # w9
FSRS_RECALL_RETRIEVABILITY_GAIN = 1.01925  # w10
FSRS_FORGET_SCALE = 1.9395  # w11
FSRS_FORGET_DIFFICULTY_EXPONENT = 0.11  # w12
FSRS_FORGET_STABILITY_EXPONENT = 0.29605  # w13
FSRS_FORGET_RETRIEVABILITY_GAIN = 2.2698  # w14
FSRS_HARD_PENALTY = 0.2315  # w15
FSRS_SHORT_TERM_RATE = 0.51655  # w17
FSRS_SHORT_TERM_OFFSET = 0.6621  # w18
GRADE_AGAIN = 1
GRADE_HARD = 2
GRADE_GOOD = 3
GRADE_EASY = 4

# --- Prediction head -----------------------------------------------------------------------
# P(correct at t) = knowledge * R(t, S): the chance the topic was learned at all (from the
# mastery EWMA) times the chance it is still retrievable (forgetting curve). The knowledge
# term is logistic in the mastery logit. Its two weights were fitted (evaluation.fit_predict_
# weights, maximum likelihood of the product) on the TRAINING portion only (first 70% of each
# card's reviews) of /work/shared/data/anki_review_log.csv; the held-out 30% was not used.
PREDICT_FEATURE_NAMES: tuple[str, ...] = ("bias", "logit_mastery")
PREDICT_WEIGHTS: tuple[float, ...] = (1.2812, 1.5741)
# Keeps logits finite when mastery touches 0 or 100.
PROBABILITY_EPSILON = 1e-4


@dataclass(frozen=True)
class Observation:
    """One piece of evidence about a topic: a graded or self-rated attempt."""

    score_percent: float
    question_count: int  # 0 means unknown (an imported grade without item counts)
    time_spent_min: float
    difficulty_level: str
    kind: str
    observed_at: datetime

    def __post_init__(self) -> None:
        if math.isnan(self.score_percent):
            raise ValueError("score_percent must be a number")
        if self.question_count < 0:
            raise ValueError("question_count must be >= 0")
        Kind(self.kind)  # raises ValueError on an unknown kind
        Difficulty(self.difficulty_level)


@dataclass(frozen=True)
class MasteryState:
    """Mastery of one topic after some evidence; memory fields default so rows can rebuild it."""

    mastery_score: float
    confidence_interval: float
    trend: str
    review_interval_days: int
    next_review_date: date
    last_practiced_at: datetime | None
    practice_count: int
    quiz_count: int
    # Memory model, stored by the DB layer as one JSON blob (see to_memory_dict).
    stability_days: float = FSRS_INITIAL_STABILITY_PASSED
    memory_difficulty: float = FSRS_INITIAL_DIFFICULTY
    success_count: int = 0
    failure_count: int = 0
    last_alpha: float = 0.0
    last_retrievability: float = 1.0

    def to_memory_dict(self) -> dict[str, float | int]:
        """The memory-model fields, JSON-ready, for one JSONField."""
        return {name: getattr(self, name) for name in MEMORY_FIELD_NAMES}

    @classmethod
    def from_storage(
        cls,
        *,
        mastery_score: float,
        confidence_interval: float,
        trend: str,
        review_interval_days: int,
        next_review_date: date,
        last_practiced_at: datetime | None,
        practice_count: int,
        quiz_count: int,
        memory: Mapping[str, object] | None = None,
    ) -> MasteryState:
        """Rebuild a state from DB columns plus the JSON blob; unknown keys are ignored."""
        memory_values = {
            name: _MEMORY_FIELD_TYPES[name](memory[name])  # type: ignore[arg-type]
            for name in MEMORY_FIELD_NAMES
            if memory and name in memory and memory[name] is not None
        }
        return cls(
            mastery_score=mastery_score,
            confidence_interval=confidence_interval,
            trend=trend,
            review_interval_days=review_interval_days,
            next_review_date=next_review_date,
            last_practiced_at=last_practiced_at,
            practice_count=practice_count,
            quiz_count=quiz_count,
            **memory_values,
        )


_SEED_FIELD_NAMES = frozenset(
    {
        "mastery_score",
        "confidence_interval",
        "trend",
        "review_interval_days",
        "next_review_date",
        "last_practiced_at",
        "practice_count",
        "quiz_count",
    }
)
MEMORY_FIELD_NAMES: tuple[str, ...] = tuple(
    f.name for f in fields(MasteryState) if f.name not in _SEED_FIELD_NAMES
)
_MEMORY_FIELD_TYPES = {
    "stability_days": float,
    "memory_difficulty": float,
    "success_count": int,
    "failure_count": int,
    "last_alpha": float,
    "last_retrievability": float,
}


@dataclass(frozen=True)
class _Memory:
    stability_days: float
    memory_difficulty: float
    retrievability: float = 1.0


# --- Small helpers -------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _clamp_score(score_percent: float) -> float:
    return _clamp(float(score_percent), MASTERY_MIN, MASTERY_MAX)


def _as_utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC so naive and aware inputs can be mixed safely. Aware
    # ones are converted, because Python subtracts two datetimes sharing one ZoneInfo as wall
    # clock times, which is an hour off across a DST change.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _elapsed_days(since: datetime | None, until: datetime) -> float:
    if since is None:
        return 0.0
    seconds = (_as_utc(until) - _as_utc(since)).total_seconds()
    return max(0.0, seconds / SECONDS_PER_DAY)


def _logit(probability: float) -> float:
    p = _clamp(probability, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    """Logistic function that never overflows."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    exp_z = math.exp(z)
    return exp_z / (1.0 + exp_z)


# --- Seed rules ----------------------------------------------------------------------------


def alpha_for(obs: Observation, is_first: bool) -> float:
    """EWMA weight of an observation.

    Precedence: the first diagnostic (1.0) beats everything; otherwise a single question
    (0.1) beats the kind's weight.
    """
    kind = Kind(obs.kind)
    if is_first and kind is Kind.DIAGNOSTIC:
        return ALPHA_FIRST_DIAGNOSTIC
    if obs.question_count == 1:
        return ALPHA_SINGLE_QUESTION
    return ALPHA_BY_KIND[kind]


def ewma(old: float, score_percent: float, alpha: float) -> float:
    """new = alpha*score + (1-alpha)*old, clamped to [0, 100]."""
    new = alpha * _clamp_score(score_percent) + (1.0 - alpha) * old
    return _clamp(new, MASTERY_MIN, MASTERY_MAX)


def initial_confidence_interval(question_count: int) -> float:
    """15 for up to 3 questions, 5 from 20 on, linear in between (non-increasing)."""
    if question_count <= FEW_QUESTIONS:
        return CI_FEW_QUESTIONS
    if question_count >= MANY_QUESTIONS:
        return CI_MANY_QUESTIONS
    fraction = (question_count - FEW_QUESTIONS) / (MANY_QUESTIONS - FEW_QUESTIONS)
    return CI_FEW_QUESTIONS + fraction * (CI_MANY_QUESTIONS - CI_FEW_QUESTIONS)


def shrink_confidence_interval(ci: float) -> float:
    """One more observation: max(5, ci*0.9), kept in [0, 50]."""
    return _clamp(max(CI_FLOOR, ci * CI_SHRINK_PER_OBSERVATION), CI_MIN, CI_MAX)


def classify_trend(old_mastery: float, new_mastery: float) -> Trend:
    if new_mastery > old_mastery + TREND_THRESHOLD:
        return Trend.IMPROVING
    if new_mastery < old_mastery - TREND_THRESHOLD:
        return Trend.DECLINING
    return Trend.STABLE


def _counter_increments(kind: Kind) -> tuple[int, int]:
    """(practice, quiz) increments. Graded work (assignment, project) counts as quiz_count
    because it is assessed like a quiz; a diagnostic counts as practice, as at initialize."""
    if kind in (Kind.QUIZ, Kind.MIDTERM, Kind.FINAL, Kind.ASSIGNMENT, Kind.PROJECT):
        return 0, 1
    return 1, 0


def difficulty_for_mastery(mastery_score: float) -> Difficulty:
    if mastery_score < EASY_BELOW:
        return Difficulty.EASY
    if mastery_score < MEDIUM_BELOW:
        return Difficulty.MEDIUM
    if mastery_score < HARD_BELOW:
        return Difficulty.HARD
    return Difficulty.EXAM_LEVEL


def _step(level: Difficulty, steps: int) -> Difficulty:
    index = _clamp(DIFFICULTY_LEVELS.index(level) + steps, 0, len(DIFFICULTY_LEVELS) - 1)
    return DIFFICULTY_LEVELS[int(index)]


def recommend_difficulty(
    *, mastery_score: float, trend: str, curve: str, days_until_exam: float | None
) -> str:
    """Question difficulty for the next practice.

    Order: level from mastery; trend (declining steps down one, improving with the
    aggressive curve steps up one); the gentle curve caps at the mastery level; an exam
    overrides last. An exam in the past (negative days) or None is ignored.
    """
    mastery_level = difficulty_for_mastery(mastery_score)
    level = mastery_level
    if trend == Trend.DECLINING:
        level = _step(level, -1)
    elif trend == Trend.IMPROVING and curve == DifficultyCurve.AGGRESSIVE:
        level = _step(level, +1)
    if curve == DifficultyCurve.GENTLE and DIFFICULTY_LEVELS.index(level) > DIFFICULTY_LEVELS.index(
        mastery_level
    ):
        level = mastery_level
    if days_until_exam is not None and days_until_exam >= 0:
        if days_until_exam <= EXAM_SOON_DAYS and mastery_score >= EXAM_READY_MASTERY:
            level = Difficulty.EXAM_LEVEL
        elif days_until_exam <= EXAM_IMMINENT_DAYS and mastery_score < EXAM_READY_MASTERY:
            level = Difficulty.MEDIUM
    return level.value


# --- Memory model (FSRS-5 style) -----------------------------------------------------------


def retrievability(elapsed_days: float, stability_days: float) -> float:
    """FSRS forgetting curve R(t, S) = (1 + F*t/S)^C; R(S, S) = 0.9."""
    stability = max(STABILITY_MIN_DAYS, stability_days)
    return (1.0 + FORGETTING_FACTOR * max(0.0, elapsed_days) / stability) ** FORGETTING_DECAY


def days_until_retention(stability_days: float, target: float = TARGET_RETENTION) -> float:
    """Days until R falls to `target`: the inverse of the forgetting curve."""
    return stability_days / FORGETTING_FACTOR * (target ** (1.0 / FORGETTING_DECAY) - 1.0)


def _grade(score_percent: float) -> int:
    if score_percent < PASS_SCORE_PERCENT:
        return GRADE_AGAIN
    if score_percent < EASY_RECALL_SCORE_PERCENT:
        return GRADE_HARD
    return GRADE_GOOD


def _initial_difficulty(grade: int) -> float:
    raw = FSRS_INITIAL_DIFFICULTY - math.exp(FSRS_INITIAL_DIFFICULTY_GRADE_SLOPE * (grade - 1)) + 1
    return _clamp(raw, MEMORY_DIFFICULTY_MIN, MEMORY_DIFFICULTY_MAX)


def _initial_memory(score_percent: float) -> _Memory:
    grade = _grade(score_percent)
    stability = {
        GRADE_AGAIN: FSRS_INITIAL_STABILITY_FAILED,
        GRADE_HARD: FSRS_INITIAL_STABILITY_HARD,
        GRADE_GOOD: FSRS_INITIAL_STABILITY_PASSED,
    }[grade]
    return _Memory(stability_days=stability, memory_difficulty=_initial_difficulty(grade))


def _next_memory(
    stability: float, difficulty: float, elapsed_days: float, score_percent: float
) -> _Memory:
    # Rows rebuilt from storage may hold anything; the formulas need S > 0 and D in [1, 10].
    stability = _clamp(stability, STABILITY_MIN_DAYS, STABILITY_MAX_DAYS)
    difficulty = _clamp(difficulty, MEMORY_DIFFICULTY_MIN, MEMORY_DIFFICULTY_MAX)
    grade = _grade(score_percent)
    recall = retrievability(elapsed_days, stability)
    if elapsed_days < SHORT_TERM_DAYS:
        # FSRS-5 same-day rule: stability moves a little, up on success, down on failure.
        new_stability = stability * math.exp(
            FSRS_SHORT_TERM_RATE * (grade - GRADE_GOOD + FSRS_SHORT_TERM_OFFSET)
        )
    elif grade == GRADE_AGAIN:
        new_stability = (
            FSRS_FORGET_SCALE
            * difficulty ** (-FSRS_FORGET_DIFFICULTY_EXPONENT)
            * ((stability + 1.0) ** FSRS_FORGET_STABILITY_EXPONENT - 1.0)
            * math.exp(FSRS_FORGET_RETRIEVABILITY_GAIN * (1.0 - recall))
        )
        new_stability = min(new_stability, stability)  # a lapse never strengthens memory
    else:
        # Growth is larger when recall was unlikely (low R), the item easy and S small.
        hard_penalty = FSRS_HARD_PENALTY if grade == GRADE_HARD else 1.0
        new_stability = stability * (
            1.0
            + math.exp(FSRS_RECALL_GROWTH)
            * (11.0 - difficulty)
            * stability ** (-FSRS_RECALL_STABILITY_DECAY)
            * (math.exp(FSRS_RECALL_RETRIEVABILITY_GAIN * (1.0 - recall)) - 1.0)
            * hard_penalty
        )
    damped_step = -FSRS_DIFFICULTY_STEP * (grade - GRADE_GOOD) * (10.0 - difficulty) / 9.0
    new_difficulty = FSRS_DIFFICULTY_MEAN_REVERSION * _initial_difficulty(GRADE_EASY) + (
        1.0 - FSRS_DIFFICULTY_MEAN_REVERSION
    ) * (difficulty + damped_step)
    return _Memory(
        stability_days=_clamp(new_stability, STABILITY_MIN_DAYS, STABILITY_MAX_DAYS),
        memory_difficulty=_clamp(new_difficulty, MEMORY_DIFFICULTY_MIN, MEMORY_DIFFICULTY_MAX),
        retrievability=recall,
    )


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


# --- Public API ----------------------------------------------------------------------------


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


def predict_features(state: MasteryState) -> tuple[float, ...]:
    """Inputs of the knowledge term, in PREDICT_FEATURE_NAMES order (no time dependence)."""
    mastery = _clamp(state.mastery_score, MASTERY_MIN, MASTERY_MAX)
    return (1.0, _logit(mastery / MASTERY_MAX))


def retrievability_at(state: MasteryState, at: datetime) -> float:
    """Forgetting-curve recall probability at `at`, from the state's memory stability."""
    return retrievability(_elapsed_days(state.last_practiced_at, at), state.stability_days)


def predict(
    state: MasteryState, at: datetime, weights: tuple[float, ...] = PREDICT_WEIGHTS
) -> float:
    """Probability (0..1) of answering a question on the topic correctly at `at`.

    knowledge(mastery) * R(elapsed, stability): only R depends on time, and it falls as
    time passes, so the prediction never rises with time since the last practice.
    """
    z = sum(w * x for w, x in zip(weights, predict_features(state), strict=True))
    return _clamp(sigmoid(z) * retrievability_at(state, at), 0.0, 1.0)


__all__ = [
    "Difficulty",
    "DifficultyCurve",
    "Kind",
    "MasteryState",
    "Observation",
    "Trend",
    "alpha_for",
    "initialize",
    "predict",
    "recommend_difficulty",
    "replay",
    "update",
]
