"""The memory model: FSRS-6 from the `fsrs` library (Open Spaced Repetition, py-fsrs).

Stability is the number of days until recall falls to 90%; each review moves stability and
the item's difficulty by the library's Scheduler, and retrievability and the next interval
come from the library too. No FSRS formula is written out here: we only translate between
our observations/state and the library's Card, Rating and Scheduler.

The scheduler runs without learning steps and without fuzzing: a topic's review date must
be a deterministic function of its evidence (the services refold history and compare), and
our "learning steps" are the study plan, not minutes-apart flashcard repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from mastery.engine.numeric import _as_utc, _clamp

# The library's published FSRS-6 defaults (fitted by its authors on ~10k Anki collections,
# not on our data). A student's own parameters replace them once the optimiser has run.
FSRS_DEFAULT_PARAMETERS: tuple[float, ...] = tuple(Scheduler().parameters)

# A state rebuilt from a row without memory fields starts as after one "Good" first review.
DEFAULT_STABILITY_DAYS = FSRS_DEFAULT_PARAMETERS[2]

DEFAULT_MEMORY_DIFFICULTY = FSRS_DEFAULT_PARAMETERS[4]

# Target recall for scheduling a review; 0.9 is the FSRS and Anki default.
TARGET_RETENTION = 0.9

# A score at or above a common pass mark counts as a successful recall for the memory model.
PASS_SCORE_PERCENT = 60.0

# Below this score the recall counted as effortful ("Hard" in Anki terms).
EASY_RECALL_SCORE_PERCENT = 85.0

STABILITY_MIN_DAYS = 0.001  # the library's own lower clamp

STABILITY_MAX_DAYS = 36_500.0  # FSRS maximum interval, 100 years

MEMORY_DIFFICULTY_MIN = 1.0

MEMORY_DIFFICULTY_MAX = 10.0

GRADE_AGAIN = int(Rating.Again)

GRADE_HARD = int(Rating.Hard)

GRADE_GOOD = int(Rating.Good)

GRADE_EASY = int(Rating.Easy)

# Any instant works as the anchor of a "t days after the last review" question.
_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Memory:
    stability_days: float
    memory_difficulty: float
    retrievability: float = 1.0
    interval_days: int = 1


@lru_cache(maxsize=64)
def scheduler_for(
    parameters: tuple[float, ...] = FSRS_DEFAULT_PARAMETERS,
    target_retention: float = TARGET_RETENTION,
) -> Scheduler:
    """The library's scheduler for one parameter set; cached because building one validates
    all 21 parameters."""
    return Scheduler(
        parameters=parameters,
        desired_retention=target_retention,
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=int(STABILITY_MAX_DAYS),
        enable_fuzzing=False,
    )


def to_card(stability_days: float, memory_difficulty: float, last_at: datetime | None) -> Card:
    """Our stored memory fields as a library Card in the Review state (card_id is fixed so
    the library does not stamp one from the clock)."""
    last = _as_utc(last_at) if last_at is not None else None
    return Card(
        card_id=0,
        state=State.Review,
        stability=_clamp(stability_days, STABILITY_MIN_DAYS, STABILITY_MAX_DAYS),
        difficulty=_clamp(memory_difficulty, MEMORY_DIFFICULTY_MIN, MEMORY_DIFFICULTY_MAX),
        due=last or _ANCHOR,
        last_review=last,
    )


def retrievability(
    elapsed_days: float,
    stability_days: float,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
) -> float:
    """The library's forgetting curve R(t, S) at a fractional number of days.

    Scheduler.get_card_retrievability counts whole days, so a lapse minutes after a review
    would be forecast as certain recall (R = 1); the curve itself is the library's, through
    its own decay and factor for these parameters.
    """
    scheduler = scheduler_for(tuple(parameters))
    stability = _clamp(stability_days, STABILITY_MIN_DAYS, STABILITY_MAX_DAYS)
    elapsed = max(0.0, elapsed_days)
    return float((1.0 + scheduler._FACTOR * elapsed / stability) ** scheduler._DECAY)


def days_until_retention(
    stability_days: float,
    target: float = TARGET_RETENTION,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
) -> int:
    """The library's interval for this stability: whole days until R falls to `target`."""
    scheduler = scheduler_for(tuple(parameters), target)
    # The only public route to an interval is review_card, which first moves stability;
    # this asks the library's interval of a given stability directly.
    return int(scheduler._next_interval(stability=stability_days))


def grade_for(score_percent: float, recall_grade: int | None = None) -> int:
    """FSRS rating of an attempt: the learner's own grade when known (a flashcard review),
    otherwise Again below the pass mark, Hard below 85, Good from there."""
    if recall_grade is not None:
        return int(_clamp(recall_grade, GRADE_AGAIN, GRADE_EASY))
    if score_percent < PASS_SCORE_PERCENT:
        return GRADE_AGAIN
    if score_percent < EASY_RECALL_SCORE_PERCENT:
        return GRADE_HARD
    return GRADE_GOOD


def review(
    card: Card | None,
    grade: int,
    at: datetime,
    *,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
    target_retention: float = TARGET_RETENTION,
) -> _Memory:
    """One review through the library: the new memory, R just before it, and the interval."""
    return review_with(scheduler_for(tuple(parameters), target_retention), card, grade, at)


# The library's ratings by number, so a review does not build the enum member each time.
_RATINGS = {int(rating): rating for rating in Rating}


def review_with(scheduler: Scheduler, card: Card | None, grade: int, at: datetime) -> _Memory:
    """`review` with the scheduler already chosen: a fold looks it up once, not per step."""
    at_utc = _as_utc(at)
    if card is None:
        card = Card(card_id=0, due=at_utc)
        recall = 1.0
    else:
        recall = float(scheduler.get_card_retrievability(card, at_utc))
    reviewed, _ = scheduler.review_card(card, _RATINGS.get(grade) or Rating(grade), at_utc)
    interval = max(1, (reviewed.due - at_utc).days)
    return _Memory(
        stability_days=float(reviewed.stability),
        memory_difficulty=float(reviewed.difficulty),
        retrievability=recall,
        interval_days=interval,
    )
