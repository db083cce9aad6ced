"""The memory model in the style of FSRS-5: how recall fades between practice sessions.

Stability is the number of days until recall falls to 90%; each review moves stability and
the item's difficulty by the published FSRS-5 formulas and default weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mastery.engine.numeric import _clamp

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


@dataclass(frozen=True)
class _Memory:
    stability_days: float
    memory_difficulty: float
    retrievability: float = 1.0


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
