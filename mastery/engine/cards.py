"""Flashcard memory: one card's FSRS state through the `fsrs` library, and the load balancer.

A card, unlike a topic, keeps the library's learning steps (1 and 10 minutes, then a day):
a new card is seen again within the session until it is known, as in Anki. The library's own
fuzz is random, so it is off; in its place `balanced_interval` spreads the cards of a busy day
over the days near their interval, choosing the least loaded one, which is deterministic for a
given load and keeps every day near its share of the reviews.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card, Rating, Scheduler, State

from mastery.engine.numeric import _as_utc
from mastery.engine.retention import FSRS_DEFAULT_PARAMETERS, TARGET_RETENTION, retrievability

STATE_NEW = 0  # stored for a card never reviewed; the library has no state for it

# Anki's limit on a review interval is 100 years; a course never needs more than the seed's year,
# but a student's deck outlives the course, so cards keep the library's maximum.
CARD_MAXIMUM_INTERVAL_DAYS = 36_500

# Intervals shorter than this are not moved: a card due in two days is still being learnt, and
# moving it by one day changes its recall a lot (the library's fuzz starts at 2.5 days too).
BALANCE_FROM_DAYS = 3

# How far a review may move, as a share of its interval (at least one day): 5% keeps predicted
# recall within about half a point of the target at any interval, Anki's load balancer moves
# reviews by a similar fraction.
BALANCE_SHARE = 0.05


@dataclass(frozen=True)
class CardMemory:
    """A card's stored memory. `state` 0 is new; 1-3 are the library's State values."""

    state: int = STATE_NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None


@dataclass(frozen=True)
class CardReviewOutcome:
    memory: CardMemory
    # Predicted recall just before this review (None for a new card: nothing to recall yet).
    retrievability_before: float | None
    interval_days: int


@lru_cache(maxsize=64)
def card_scheduler(
    parameters: tuple[float, ...] = FSRS_DEFAULT_PARAMETERS,
    target_retention: float = TARGET_RETENTION,
) -> Scheduler:
    """The library's scheduler with its default learning steps and without its random fuzz."""
    return Scheduler(
        parameters=parameters,
        desired_retention=target_retention,
        maximum_interval=CARD_MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=False,
    )


def _library_card(memory: CardMemory, at: datetime) -> Card:
    if memory.state == STATE_NEW:
        # card_id and due are given: the library would otherwise read the clock (and sleep).
        return Card(card_id=0, state=State.Learning, step=0, due=at)
    return Card(
        card_id=0,
        state=State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=_as_utc(memory.due) if memory.due else at,
        last_review=_as_utc(memory.last_review) if memory.last_review else None,
    )


def card_retrievability(
    memory: CardMemory, at: datetime, parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS
) -> float | None:
    """Predicted recall at `at` (the library's curve at fractional days); None for a new card."""
    if memory.state == STATE_NEW or memory.stability is None or memory.last_review is None:
        return None
    elapsed = (_as_utc(at) - _as_utc(memory.last_review)).total_seconds() / 86400
    return retrievability(elapsed, memory.stability, parameters)


def review_card(
    memory: CardMemory,
    rating: int,
    at: datetime,
    *,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
    target_retention: float = TARGET_RETENTION,
) -> CardReviewOutcome:
    """One answer through the library's scheduler (no balancing; see `balanced_interval`)."""
    at_utc = _as_utc(at)
    scheduler = card_scheduler(tuple(parameters), target_retention)
    before = card_retrievability(memory, at_utc, parameters)
    reviewed, _ = scheduler.review_card(_library_card(memory, at_utc), Rating(rating), at_utc)
    interval = (reviewed.due - at_utc).days
    return CardReviewOutcome(
        memory=CardMemory(
            state=int(reviewed.state),
            step=reviewed.step,
            stability=float(reviewed.stability),
            difficulty=float(reviewed.difficulty),
            due=reviewed.due,
            last_review=at_utc,
        ),
        retrievability_before=before,
        interval_days=interval,
    )


def balance_window(interval_days: int) -> tuple[int, int]:
    """The days a review of this interval may land on: +-5%, at least one day, never before 2."""
    if interval_days < BALANCE_FROM_DAYS:
        return interval_days, interval_days
    spread = max(1, round(interval_days * BALANCE_SHARE))
    low = max(BALANCE_FROM_DAYS - 1, interval_days - spread)
    high = min(CARD_MAXIMUM_INTERVAL_DAYS, interval_days + spread)
    return low, high


def balanced_interval(interval_days: int, load: Mapping[int, int]) -> int:
    """The day in the window with the fewest reviews already due (`load`: days from today ->
    reviews due that day); ties go to the day nearest the library's interval, then earlier."""
    low, high = balance_window(interval_days)
    return min(
        range(low, high + 1),
        key=lambda day: (load.get(day, 0), abs(day - interval_days), day),
    )


def with_due(outcome: CardReviewOutcome, at: datetime, interval_days: int) -> CardReviewOutcome:
    """The outcome moved to `interval_days` after `at` (keeping the library's time of day)."""
    if interval_days == outcome.interval_days:
        return outcome
    due = outcome.memory.due + timedelta(days=interval_days - outcome.interval_days)
    memory = CardMemory(**{**outcome.memory.__dict__, "due": due})
    return CardReviewOutcome(memory, outcome.retrievability_before, interval_days)
