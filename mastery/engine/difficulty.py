"""Which question difficulty to practise next, from mastery, trend, curve and the next exam."""

from __future__ import annotations

from mastery.engine.numeric import _clamp
from mastery.engine.state import Difficulty, DifficultyCurve, Trend

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
