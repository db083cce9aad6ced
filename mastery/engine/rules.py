"""The seed rules: an EWMA mastery score with per-kind weights, its confidence interval,
the trend and the counters.
"""

from __future__ import annotations

import math
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

# Seed 000 / Module 2: exams 0.5, every other update ("practice quiz") 0.3. Earlier code
# weighed practice 0.2, review 0.15, project 0.25 and a later diagnostic 0.4 on reasoning
# alone; no evaluation supported those departures (docs/mastery.md), so the seed's rates hold.
SEED_QUIZ_ALPHA = 0.3

SEED_EXAM_ALPHA = 0.5

# One flashcard review is one recalled (or forgotten) fact of the topic, and a deck is reviewed
# dozens of times a day: each review is far weaker evidence than a quiz. Chosen by
# `manage.py evaluate_card_evidence` on the Anki review log (12,580 reviews): 0.01 has the lowest
# log loss on the first 70% (0.612; the single-question 0.1 gives 0.632) and on the held-out 30%
# (0.512 against 0.537). Twenty reviews a day then weigh about as much as one quiz (1-0.99^20,
# 0.18). docs/mastery.md, "Flashcard reviews as evidence".
FLASHCARD_ALPHA = 0.01

ALPHA_BY_KIND: Mapping[Kind, float] = {
    Kind.MIDTERM: SEED_EXAM_ALPHA,
    Kind.FINAL: SEED_EXAM_ALPHA,
    Kind.DIAGNOSTIC: SEED_QUIZ_ALPHA,  # a later diagnostic; the first one sets mastery (1.0)
    Kind.QUIZ: SEED_QUIZ_ALPHA,
    Kind.ASSIGNMENT: SEED_QUIZ_ALPHA,
    Kind.PROJECT: SEED_QUIZ_ALPHA,
    Kind.PRACTICE: SEED_QUIZ_ALPHA,
    Kind.REVIEW: SEED_QUIZ_ALPHA,
    Kind.FLASHCARD: FLASHCARD_ALPHA,
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

# The seed's interval is a rule of thumb: 15 for a handful of questions, then x0.9 per update.
# It says nothing about how many answers there were, so one right answer showed "100 ± 15".
# The interval shown is therefore the wider of the seed's and one posterior standard deviation
# of the proportion correct, Beta(1 + right, 1 + wrong) from a uniform prior, in points.
# One answer gives ±24, three all right ±16, 20 answers at 75% ±9, and it falls like 1/sqrt(N)
# as Module 2's max(5, 20/sqrt(N)) does; unlike that formula it also widens near 50%, where a
# proportion is least certain. The score itself keeps the seed's rules.
BETA_PRIOR_RIGHT = 1.0

BETA_PRIOR_WRONG = 1.0

# An imported grade without item counts still rests on several questions; count it as a few.
UNKNOWN_QUESTION_COUNT = 3


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
    if kind is Kind.FLASHCARD:
        return FLASHCARD_ALPHA
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


def answers_of(obs: Observation) -> tuple[float, float]:
    """(right, wrong) answers an observation stands for; fractional for a partial score."""
    count = obs.question_count or UNKNOWN_QUESTION_COUNT
    right = count * _clamp_score(obs.score_percent) / MASTERY_MAX
    return right, count - right


def evidence_interval(right: float, wrong: float) -> float:
    """One posterior standard deviation of the proportion correct, in points."""
    a = BETA_PRIOR_RIGHT + max(0.0, right)
    b = BETA_PRIOR_WRONG + max(0.0, wrong)
    return MASTERY_MAX * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))


def honest_interval(seed_interval: float, right: float, wrong: float) -> float:
    """The wider of the seed's interval and what the answers so far can support."""
    return _clamp(max(seed_interval, evidence_interval(right, wrong)), CI_MIN, CI_MAX)


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
