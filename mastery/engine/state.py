"""The engine's plain types: the kinds of evidence, one observation, and the mastery state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum

from mastery.engine.retention import DEFAULT_MEMORY_DIFFICULTY, DEFAULT_STABILITY_DAYS


class Kind(StrEnum):
    DIAGNOSTIC = "diagnostic"
    PRACTICE = "practice"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    PROJECT = "project"
    MIDTERM = "midterm"
    FINAL = "final"
    REVIEW = "review"
    FLASHCARD = "flashcard"


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


@dataclass(frozen=True)
class Observation:
    """One piece of evidence about a topic: a graded or self-rated attempt."""

    score_percent: float
    question_count: int  # 0 means unknown (an imported grade without item counts)
    time_spent_min: float
    difficulty_level: str
    kind: str
    observed_at: datetime
    # The learner's own FSRS grade (1 Again .. 4 Easy) when the evidence is a self-graded
    # review; None derives it from the score.
    recall_grade: int | None = None

    def __post_init__(self) -> None:
        if math.isnan(self.score_percent):
            raise ValueError("score_percent must be a number")
        if self.question_count < 0:
            raise ValueError("question_count must be >= 0")
        if self.recall_grade is not None and not 1 <= self.recall_grade <= 4:
            raise ValueError("recall_grade must be 1-4")
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
    stability_days: float = DEFAULT_STABILITY_DAYS
    memory_difficulty: float = DEFAULT_MEMORY_DIFFICULTY
    success_count: int = 0
    failure_count: int = 0
    last_alpha: float = 0.0
    last_retrievability: float = 1.0
    # Answers behind the estimate (fractional for partial scores) and the seed rule's own
    # interval, kept apart from the shown one, which may be wider (rules.honest_interval).
    answers_right: float = 0.0
    answers_wrong: float = 0.0
    seed_interval: float = 0.0

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
    "answers_right": float,
    "answers_wrong": float,
    "seed_interval": float,
}
