"""A student's own FSRS parameters, fitted to their review history with scipy.

Why not the library's `Optimizer`: it needs torch (and pandas, tqdm), a download of hundreds of
megabytes for one fit a week per student; scipy is already in the project. The model is still
entirely the library's: every candidate parameter set replays the student's cards through the
library's `Scheduler` (learning steps and all) and predicts each later recall with the library's
forgetting curve (`retention.retrievability`). Only the search is ours: L-BFGS-B over the
parameters that matter most for a young history (the four initial stabilities, the growth of
stability after a recall, and the curve's decay), inside the library's own bounds, minimising
the log loss of the predicted recall of every review at least a day after the previous one.

The fit is kept only when it predicts the student's LATER reviews (the last fifth, by time)
better than the defaults do; otherwise the defaults stay and the metrics say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from scipy.optimize import minimize

from mastery.engine.cards import CardMemory, review_card
from mastery.engine.numeric import PROBABILITY_EPSILON, _as_utc
from mastery.engine.retention import FSRS_DEFAULT_PARAMETERS, GRADE_AGAIN, retrievability

# Fewer long-term reviews than this and the fit follows noise: each of the four initial
# stabilities needs tens of observed recalls (Anki's FSRS optimizer also asks for hundreds).
MIN_FIT_REVIEWS = 400

# A fit replays every review per candidate; the most recently reviewed cards say most about the
# student now, and this many reviews keep a fit well under a minute of a worker's time.
MAX_FIT_REVIEWS = 4000

# w0-w3 initial stability per first grade, w8 growth of stability after a recall, w20 decay.
FIT_INDICES = (0, 1, 2, 3, 8, 20)

# The later share of the history (by time) the fit is judged on before it replaces the defaults.
HOLDOUT_SHARE = 0.2

# Searching longer than this moves the loss by less than its own noise on a few hundred reviews.
MAX_ITERATIONS = 25

# Reviews closer than this are short-term (same-session) repeats, not a test of memory.
LONG_TERM_DAYS = 1.0


@dataclass(frozen=True)
class ReviewEvent:
    card_key: str
    reviewed_at: datetime
    rating: int


@dataclass(frozen=True)
class FsrsFit:
    parameters: tuple[float, ...]
    is_fitted: bool  # False: too few reviews, or the fit did not beat the defaults held out
    review_count: int
    metrics: dict = field(default_factory=dict)


def _histories(events: Sequence[ReviewEvent]) -> list[list[ReviewEvent]]:
    by_card: dict[str, list[ReviewEvent]] = {}
    for event in sorted(events, key=lambda e: (_as_utc(e.reviewed_at), e.card_key)):
        by_card.setdefault(event.card_key, []).append(event)
    return list(by_card.values())


def _recent_whole_histories(events: Sequence[ReviewEvent]) -> list[ReviewEvent]:
    """The cards reviewed most recently, each with its WHOLE history (a history cut short would
    replay from a wrong state), up to about MAX_FIT_REVIEWS reviews; in time order."""
    histories = sorted(_histories(events), key=lambda h: _as_utc(h[-1].reviewed_at), reverse=True)
    kept: list[ReviewEvent] = []
    for history in histories:
        if kept and len(kept) + len(history) > MAX_FIT_REVIEWS:
            break
        kept.extend(history)
    return sorted(kept, key=lambda e: (_as_utc(e.reviewed_at), e.card_key))


def predictions(
    histories: Sequence[Sequence[ReviewEvent]], parameters: Sequence[float]
) -> list[tuple[datetime, float, int]]:
    """(when, predicted recall, recalled 0/1) for every long-term review, replayed through the
    library with `parameters`."""
    rows: list[tuple[datetime, float, int]] = []
    parameters = tuple(parameters)
    for history in histories:
        memory = CardMemory()
        for event in history:
            at = _as_utc(event.reviewed_at)
            if memory.last_review is not None and memory.stability is not None:
                elapsed = (at - memory.last_review).total_seconds() / 86400
                if elapsed >= LONG_TERM_DAYS:
                    recall = retrievability(elapsed, memory.stability, parameters)
                    rows.append((at, recall, int(event.rating != GRADE_AGAIN)))
            memory = review_card(memory, event.rating, at, parameters=parameters).memory
    return rows


def log_loss(rows: Sequence[tuple[datetime, float, int]]) -> float:
    if not rows:
        return math.nan
    total = 0.0
    for _, predicted, recalled in rows:
        p = min(1 - PROBABILITY_EPSILON, max(PROBABILITY_EPSILON, predicted))
        total -= math.log(p) if recalled else math.log(1 - p)
    return total / len(rows)


def _with(base: Sequence[float], values: Sequence[float]) -> tuple[float, ...]:
    parameters = list(base)
    for index, value in zip(FIT_INDICES, values, strict=True):
        parameters[index] = float(value)
    return tuple(parameters)


def fit_parameters(
    events: Sequence[ReviewEvent], *, base: Sequence[float] = FSRS_DEFAULT_PARAMETERS
) -> FsrsFit:
    """Fit on the first 80% of the history (by time), judge on the rest, keep the better."""
    ordered = _recent_whole_histories(events)
    base = tuple(base)
    all_rows = sorted(predictions(_histories(ordered), base), key=lambda row: row[0])
    if len(all_rows) < MIN_FIT_REVIEWS:
        return FsrsFit(
            base, False, len(all_rows), {"reason": "too_few_reviews", "needed": MIN_FIT_REVIEWS}
        )
    cutoff = all_rows[int(len(all_rows) * (1 - HOLDOUT_SHARE))][0]
    training = _histories([e for e in ordered if _as_utc(e.reviewed_at) < cutoff])

    def objective(values: np.ndarray) -> float:
        return log_loss(predictions(training, _with(base, values)))

    bounds = [(LOWER_BOUNDS_PARAMETERS[i], UPPER_BOUNDS_PARAMETERS[i]) for i in FIT_INDICES]
    start = np.array([base[i] for i in FIT_INDICES])
    result = minimize(
        objective,
        start,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": MAX_ITERATIONS},
    )
    fitted = _with(base, result.x)

    def holdout_loss(parameters: tuple[float, ...]) -> float:
        rows = predictions(_histories(ordered), parameters)
        return log_loss([row for row in rows if row[0] >= cutoff])

    default_holdout, fitted_holdout = holdout_loss(base), holdout_loss(fitted)
    metrics = {
        "training_log_loss_default": objective(start),
        "training_log_loss_fitted": float(result.fun),
        "holdout_log_loss_default": default_holdout,
        "holdout_log_loss_fitted": fitted_holdout,
        "holdout_reviews": sum(1 for row in all_rows if row[0] >= cutoff),
        "fitted_indices": list(FIT_INDICES),
    }
    is_better = fitted_holdout < default_holdout
    return FsrsFit(fitted if is_better else base, is_better, len(all_rows), metrics)
