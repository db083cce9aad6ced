"""The seed rules: an EWMA mastery score with per-kind weights, its confidence interval,
the trend and the counters.
"""

from __future__ import annotations

from collections.abc import Mapping

from mastery.engine.numeric import _clamp
from mastery.engine.state import Kind, Observation, Trend

MASTERY_MIN = 0.0

MASTERY_MAX = 100.0

CI_MIN = 0.0

CI_MAX = 50.0

# The interval is stored as whole days; a year caps it because a course never runs longer.
INTERVAL_MIN_DAYS = 1

INTERVAL_MAX_DAYS = 365


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


CI_FEW_QUESTIONS = 15.0

CI_MANY_QUESTIONS = 5.0

# "A handful" is up to 3 questions; 20 questions give a standard error of a proportion
# near 11 points at p=0.5, about the ±5 band once later evidence is pooled. Linear between.
FEW_QUESTIONS = 3

MANY_QUESTIONS = 20

CI_SHRINK_PER_OBSERVATION = 0.9  # seed

CI_FLOOR = 5.0  # seed: evidence never makes us more certain than ±5 points


TREND_THRESHOLD = 5.0

REVIEW_MASTERY_THRESHOLD = 70.0


def _clamp_score(score_percent: float) -> float:
    return _clamp(float(score_percent), MASTERY_MIN, MASTERY_MAX)


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
