"""The baselines the engine is measured against: a constant, EWMA, a moving average, FSRS-5
(the published formulas, written out) and FSRS-6 from the `fsrs` library with its defaults.
PFA and BKT live in `knowledge_tracing`.

Each model walks all responses in log order and returns one prediction per response,
made before that response's outcome is revealed.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mastery import engine
from mastery.evaluation.data import CORRECT_SCORE, WRONG_SCORE, Response

# Baselines named in the brief.
EWMA_BASELINE_ALPHA = 0.3

EWMA_BASELINE_START = 50.0

MOVING_AVERAGE_WINDOW = 20

# Published FSRS-5 default parameters (open-spaced-repetition py-fsrs / fsrs4anki).
FSRS5_DEFAULT_WEIGHTS: tuple[float, ...] = (
    0.40255, 1.18385, 3.173, 15.69105, 7.1949, 0.5345, 1.4604, 0.0046, 1.54575, 0.1192,
    1.01925, 1.9395, 0.11, 0.29605, 2.2698, 0.2315, 2.9898, 0.51655, 0.6621,
)  # fmt: skip


def constant_predictions(responses: Sequence[Response], rate: float) -> list[float]:
    return [rate] * len(responses)


def ewma_predictions(responses: Sequence[Response]) -> list[float]:
    """Plain EWMA of 0/100 scores per sequence, alpha 0.3, starting at 50; predicts ewma/100."""
    levels: dict[tuple[str, str], float] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        level = levels.get(key, EWMA_BASELINE_START)
        predictions.append(level / 100.0)
        score = CORRECT_SCORE if response.is_correct else WRONG_SCORE
        levels[key] = EWMA_BASELINE_ALPHA * score + (1.0 - EWMA_BASELINE_ALPHA) * level
    return predictions


def moving_average_predictions(responses: Sequence[Response]) -> list[float]:
    """Add-one smoothed mean of the learner's last 20 responses on any topic.

    (correct + 1) / (n + 2): a raw mean of an all-correct window predicts exactly 1, and one
    miss then costs an unbounded log loss; smoothing keeps the baseline fair.
    """
    windows: dict[str, deque[bool]] = defaultdict(lambda: deque(maxlen=MOVING_AVERAGE_WINDOW))
    predictions = []
    for response in responses:
        window = windows[response.learner]
        predictions.append((sum(window) + 1.0) / (len(window) + 2.0))
        window.append(response.is_correct)
    return predictions


def _fsrs5_retrievability(elapsed_days: float, stability: float) -> float:
    """FSRS-5's fixed curve R = (1 + 19/81 * t/S)^-0.5 (FSRS-6 made the decay a parameter)."""
    return (1.0 + 19.0 / 81.0 * max(0.0, elapsed_days) / max(0.01, stability)) ** -0.5


@dataclass(frozen=True)
class _FsrsCard:
    stability: float
    difficulty: float
    last_at: datetime


def _fsrs_initial_difficulty(w: Sequence[float], grade: int) -> float:
    return w[4] - math.exp(w[5] * (grade - 1)) + 1.0


def _fsrs_step(w: Sequence[float], card: _FsrsCard | None, grade: int, at: datetime) -> _FsrsCard:
    """FSRS-5 transition (published formulas), with elapsed time in fractional days."""
    if card is None:
        difficulty = min(10.0, max(1.0, _fsrs_initial_difficulty(w, grade)))
        return _FsrsCard(stability=max(0.01, w[grade - 1]), difficulty=difficulty, last_at=at)
    elapsed = max(0.0, (at - card.last_at).total_seconds() / engine.SECONDS_PER_DAY)
    s, d = card.stability, card.difficulty
    recall = _fsrs5_retrievability(elapsed, s)
    if elapsed < 1.0:
        new_s = s * math.exp(w[17] * (grade - 3 + w[18]))
    elif grade == 1:
        new_s = (
            w[11] * d ** (-w[12]) * ((s + 1.0) ** w[13] - 1.0) * math.exp(w[14] * (1.0 - recall))
        )
        new_s = min(new_s, s / math.exp(w[17] * w[18]))
    else:
        hard_penalty = w[15] if grade == 2 else 1.0
        easy_bonus = w[16] if grade == 4 else 1.0
        new_s = s * (
            1.0
            + math.exp(w[8])
            * (11.0 - d)
            * s ** (-w[9])
            * (math.exp(w[10] * (1.0 - recall)) - 1.0)
            * hard_penalty
            * easy_bonus
        )
    next_d = d - w[6] * (grade - 3) * (10.0 - d) / 9.0  # linear damping
    next_d = w[7] * _fsrs_initial_difficulty(w, 4) + (1.0 - w[7]) * next_d  # mean reversion
    return _FsrsCard(
        stability=min(36_500.0, max(0.01, new_s)),
        difficulty=min(10.0, max(1.0, next_d)),
        last_at=at,
    )


def fsrs_predictions(
    responses: Sequence[Response],
    first_prior: float,
    weights: Sequence[float] = FSRS5_DEFAULT_WEIGHTS,
) -> list[float]:
    """FSRS-5 with default parameters: R(t, S) before each review; prior for a new card."""
    cards: dict[tuple[str, str], _FsrsCard] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        card = cards.get(key)
        if card is None:
            predictions.append(first_prior)
        else:
            elapsed = max(0.0, (response.at - card.last_at).total_seconds())
            predictions.append(
                _fsrs5_retrievability(elapsed / engine.SECONDS_PER_DAY, card.stability)
            )
        cards[key] = _fsrs_step(weights, card, response.rating, response.at)
    return predictions


def fsrs6_predictions(responses: Sequence[Response], first_prior: float) -> list[float]:
    """FSRS-6 from the fsrs library, default parameters: its R before each review."""
    from fsrs import Card, Rating

    from mastery.engine.numeric import _as_utc

    scheduler = engine.scheduler_for()
    cards: dict[tuple[str, str], Card] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        at = _as_utc(response.at)
        card = cards.get(key)
        if card is None:
            predictions.append(first_prior)
            card = Card(card_id=0, due=at)
        else:
            elapsed = max(0.0, (at - card.last_review).total_seconds() / engine.SECONDS_PER_DAY)
            predictions.append(engine.retrievability(elapsed, card.stability))
        cards[key], _ = scheduler.review_card(card, Rating(response.rating), at)
    return predictions
