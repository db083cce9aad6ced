"""The forecast: a calibrated probability of answering correctly at a given time."""

from __future__ import annotations

from datetime import datetime

from mastery.engine.numeric import _clamp, _elapsed_days, _logit, sigmoid
from mastery.engine.retention import retrievability
from mastery.engine.rules import MASTERY_MAX, MASTERY_MIN
from mastery.engine.state import MasteryState

# P(correct at t) = knowledge * R(t, S): the chance the topic was learned at all (from the
# mastery EWMA) times the chance it is still retrievable (forgetting curve). The knowledge
# term is logistic in the mastery logit. Its two weights were fitted (evaluation.fit_predict_
# weights, maximum likelihood of the product) on the TRAINING portion only (first 70% of each
# card's reviews) of /work/shared/data/anki_review_log.csv; the held-out 30% was not used.
PREDICT_FEATURE_NAMES: tuple[str, ...] = ("bias", "logit_mastery")

PREDICT_WEIGHTS: tuple[float, ...] = (1.2812, 1.5741)


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
