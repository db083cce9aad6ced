"""The forecast: a calibrated probability of answering correctly at a given time.

P(correct at t) = sigmoid(w . x), a logistic regression over the engine's state:

* logit_mastery: the topic's EWMA mastery on the logit scale;
* logit_share: the posterior mean share of answers right, Beta(1 + right, 1 + wrong) from a
  uniform prior (the same posterior as the shown interval), on the logit scale; a state
  rebuilt from a row that kept no answer counts uses its mastery score instead;
* log_successes, log_failures: log(1 + count) of passed and failed attempts, the counts of
  Performance Factors Analysis, which the EWMA forgets;
* logit_recall: R(t) from the fsrs library's forgetting curve on the logit scale, so time
  since the last practice enters through memory stability, not as raw days;
* learner_ability: the learner's overall success rate on every topic, on the logit scale;
* topic_ease: the topic's success rate across other learners, on the logit scale;
* trend: +1 when the last evidence raised mastery, -1 when it lowered it, 0 otherwise (the
  state's trend): the most recent answer, which the share and the slow EWMA barely weigh;
* memory_difficulty: the fsrs library's difficulty D (1..10), which rises with every lapse
  (Again) and otherwise only drifts back slowly;
* log_stability: log of the library's memory stability in days, which grows with recalls and
  shrinks with lapses.

The last three came from a comparison on an inner split of the ASSISTments 2009-2010
skill-builder log's training part (docs/mastery.md); their default weight is 0.

The last two are not in a topic's state; callers pass them as a ForecastContext (zero, the
neutral value, when unknown). The weights are fitted from the platform's own evidence (the
`fit_forecast` command / weekly task, via `fit_weights` here); PREDICT_WEIGHTS are the
defaults until enough data exists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from mastery.engine.numeric import _clamp, _elapsed_days, _logit, sigmoid
from mastery.engine.retention import (
    FSRS_DEFAULT_PARAMETERS,
    STABILITY_MAX_DAYS,
    STABILITY_MIN_DAYS,
    retrievability,
)
from mastery.engine.rules import MASTERY_MAX, MASTERY_MIN
from mastery.engine.state import MasteryState, Trend

PREDICT_FEATURE_NAMES: tuple[str, ...] = (
    "bias",
    "logit_mastery",
    "logit_share",
    "log_successes",
    "log_failures",
    "logit_recall",
    "learner_ability",
    "topic_ease",
    "trend",
    "memory_difficulty",
    "log_stability",
)

# Defaults until the platform has fitted its own (forecasting.forecast_fit): the log-odds
# of the two estimates the engine has, knowledge and memory (the fsrs library's recall),
# added as independent evidence from an even prior; everything else starts at 0 and is
# learned. Knowledge is the evidence share (logit_share), not the EWMA mastery: of the
# reasoned combinations (evaluation.model.DEFAULT_CANDIDATES: recall alone, EWMA + recall,
# half EWMA + recall, share + recall) share + recall scored best on log loss (0.852 against
# 0.891 for EWMA + recall) and AUC (0.708 against 0.704) on the training part (first 70% of
# every card) of the shared Anki review log, and was chosen on that part alone; the
# evaluation report repeats the comparison (docs/mastery.md). The EWMA jumps to 0 or 100 on
# a first answer (logit -9.2 or +9.2), where the Beta share is 1/3 or 2/3.
PREDICT_WEIGHTS: tuple[float, ...] = (0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)

RECALL_WEIGHT_INDEX = PREDICT_FEATURE_NAMES.index("logit_recall")

# Ridge on every weight but the bias: keeps weights finite on small or separable data and
# is small against the thousands of rows a fit needs (MIN_FIT_ROWS).
FIT_L2 = 1.0

FIT_MAX_ITERATIONS = 50

FIT_TOLERANCE = 1e-8

# Fewer rows than this, or only one outcome, and the defaults stay.
MIN_FIT_ROWS = 200

# Recall enters as a probability in [1%, 99%]: a repeat minutes after practice is not certain
# (a slip is always possible, as BKT's slip says), and a long-forgotten topic is not hopeless.
RECALL_FLOOR = 0.01

RECALL_CEILING = 0.99


@dataclass(frozen=True)
class ForecastContext:
    """What the forecast knows beyond the topic's own state (logits; 0 = average)."""

    learner_ability: float = 0.0
    topic_ease: float = 0.0


NEUTRAL_CONTEXT = ForecastContext()


def smoothed_logit(successes: float, attempts: float) -> float:
    """Logit of (successes + 1) / (attempts + 2): zero without evidence, finite with it."""
    return _logit((max(0.0, successes) + 1.0) / (max(0.0, attempts) + 2.0))


class ContextTracker:
    """Running evidence counts that give each answer its ForecastContext from earlier
    answers only: the learner's ability over every topic, and the topic's ease over OTHER
    learners (so it is not the learner's own history counted twice)."""

    def __init__(self) -> None:
        self._learner: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._topic: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._own: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])

    def before(self, learner: str, topic: str) -> ForecastContext:
        mine = self._learner[learner]
        everyone = self._topic[topic]
        own = self._own[(learner, topic)]
        return ForecastContext(
            learner_ability=smoothed_logit(mine[0], mine[1]),
            topic_ease=smoothed_logit(everyone[0] - own[0], everyone[1] - own[1]),
        )

    def learn(self, learner: str, topic: str, correct: float, attempts: float = 1.0) -> None:
        for counts in (self._learner[learner], self._topic[topic], self._own[(learner, topic)]):
            counts[0] += correct
            counts[1] += attempts


def evidence_share_logit(state: MasteryState) -> float:
    """Logit of the posterior mean share right, (right + 1) / (answers + 2); a state without
    answer counts (rebuilt from an older row) has only its mastery score to go on."""
    right, wrong = max(0.0, state.answers_right), max(0.0, state.answers_wrong)
    if right + wrong <= 0.0:
        return _logit(_clamp(state.mastery_score, MASTERY_MIN, MASTERY_MAX) / MASTERY_MAX)
    return smoothed_logit(right, right + wrong)


def retrievability_at(
    state: MasteryState,
    at: datetime,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
) -> float:
    """The fsrs library's recall probability at `at`, from the state's memory stability."""
    return retrievability(
        _elapsed_days(state.last_practiced_at, at), state.stability_days, parameters
    )


# A state's trend as the direction of its last change; "new" and "stable" say nothing.
_TREND_SIGN = {Trend.IMPROVING.value: 1.0, Trend.DECLINING.value: -1.0}


def predict_features(
    state: MasteryState,
    at: datetime,
    context: ForecastContext = NEUTRAL_CONTEXT,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
) -> tuple[float, ...]:
    """Inputs of the forecast, in PREDICT_FEATURE_NAMES order."""
    mastery = _clamp(state.mastery_score, MASTERY_MIN, MASTERY_MAX)
    recall = retrievability_at(state, at, parameters)
    return (
        1.0,
        _logit(mastery / MASTERY_MAX),
        evidence_share_logit(state),
        math.log1p(max(0, state.success_count)),
        math.log1p(max(0, state.failure_count)),
        _logit(_clamp(recall, RECALL_FLOOR, RECALL_CEILING)),
        context.learner_ability,
        context.topic_ease,
        _TREND_SIGN.get(state.trend, 0.0),
        state.memory_difficulty,
        math.log(_clamp(state.stability_days, STABILITY_MIN_DAYS, STABILITY_MAX_DAYS)),
    )


def predict(
    state: MasteryState,
    at: datetime,
    weights: Sequence[float] = PREDICT_WEIGHTS,
    context: ForecastContext = NEUTRAL_CONTEXT,
    parameters: Sequence[float] = FSRS_DEFAULT_PARAMETERS,
) -> float:
    """Probability (0..1) of answering a question on the topic correctly at `at`.

    Only logit_recall depends on time; it falls as time passes and its weight is never
    negative (fit_weights), so the forecast never rises with time since the last practice.
    """
    return predict_from_features(predict_features(state, at, context, parameters), weights)


def predict_from_features(features: Sequence[float], weights: Sequence[float]) -> float:
    """sigmoid(w . x) for one row of predict_features."""
    z = sum(w * v for w, v in zip(weights, features, strict=True))
    return _clamp(sigmoid(z), 0.0, 1.0)


def _irls(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Ridge logistic regression by Newton's method (the log-likelihood is concave)."""
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0  # the bias is not shrunk
    w = np.zeros(x.shape[1])
    for _ in range(FIT_MAX_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -35.0, 35.0)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if float(np.max(np.abs(step))) < FIT_TOLERANCE:
            break
    return w


def fit_weights(
    features: Sequence[Sequence[float]],
    outcomes: Sequence[bool],
    l2: float = FIT_L2,
    min_rows: int = MIN_FIT_ROWS,
) -> tuple[float, ...] | None:
    """Weights fitted by maximum likelihood, or None when there is too little evidence.

    A negative weight on logit_recall would make forecasts rise as a topic goes unpractised;
    if the data ask for one, that feature is dropped (weight 0) and the rest refitted.
    """
    y = np.asarray(outcomes, dtype=float)
    if len(y) < min_rows or y.min() == y.max():
        return None
    x = np.asarray(features, dtype=float)
    w = _irls(x, y, l2)
    if w[RECALL_WEIGHT_INDEX] < 0.0:
        keep = [i for i in range(x.shape[1]) if i != RECALL_WEIGHT_INDEX]
        w = np.zeros(x.shape[1])
        w[keep] = _irls(x[:, keep], y, l2)
    return tuple(round(float(v), 6) for v in w)
