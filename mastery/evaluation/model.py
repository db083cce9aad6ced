"""The engine as a model under evaluation, and the fit of its prediction head.

The prediction weights are fitted on the training portion of each sequence only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from mastery import engine
from mastery.evaluation.data import (
    CORRECT_SCORE,
    DEFAULT_HOLDOUT,
    WRONG_SCORE,
    Response,
    scored_mask,
)
from mastery.evaluation.metrics import LOG_LOSS_EPSILON

# Ridge on the prediction head: enough to keep weights finite on separable toy data,
# small against ~9k training rows.
FIT_L2 = 1.0

FIT_MAX_ITERATIONS = 50

FIT_TOLERANCE = 1e-9


def _observation(response: Response) -> engine.Observation:
    return engine.Observation(
        score_percent=CORRECT_SCORE if response.is_correct else WRONG_SCORE,
        question_count=1,
        time_spent_min=response.duration_min,
        difficulty_level=engine.Difficulty.MEDIUM.value,
        kind=engine.Kind.PRACTICE.value,
        observed_at=response.at,
    )


def _engine_walk(
    responses: Sequence[Response],
    on_response: Callable[[int, engine.MasteryState | None, Response], None],
) -> None:
    states: dict[tuple[str, str], engine.MasteryState] = {}
    for index, response in enumerate(responses):
        key = (response.learner, response.topic)
        state = states.get(key)
        on_response(index, state, response)
        obs = _observation(response)
        states[key] = engine.initialize(obs) if state is None else engine.update(state, obs)


def engine_predictions(
    responses: Sequence[Response],
    first_prior: float,
    weights: tuple[float, ...] = engine.PREDICT_WEIGHTS,
) -> list[float]:
    """The engine; a sequence's first response has no state and gets `first_prior`."""
    predictions = [first_prior] * len(responses)

    def record(index: int, state: engine.MasteryState | None, response: Response) -> None:
        if state is not None:
            predictions[index] = engine.predict(state, response.at, weights)

    _engine_walk(responses, record)
    return predictions


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and positive definite)."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(column + 1, size):
            factor = rows[r][column] / rows[column][column]
            for c in range(column, size + 1):
                rows[r][c] -= factor * rows[column][c]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        tail = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - tail) / rows[r][r]
    return solution


def fit_product_logistic(
    features: Sequence[Sequence[float]],
    retrievabilities: Sequence[float],
    outcomes: Sequence[bool],
    l2: float = FIT_L2,
) -> list[float]:
    """Maximum likelihood of P(y) = sigmoid(w.x) * R, by Fisher scoring with step halving.

    Fisher scoring (expected rather than observed curvature) because the product's
    log-likelihood is not concave everywhere, which can send plain Newton astray. Feature 0
    is an unpenalised bias; the rest get an L2 penalty.
    """
    size = len(features[0])
    rows = list(zip(features, retrievabilities, outcomes, strict=True))

    def objective(weights: Sequence[float]) -> float:
        total = 0.5 * l2 * sum(w * w for w in weights[1:])
        for x, recall, y in rows:
            p = engine.sigmoid(sum(w * v for w, v in zip(weights, x, strict=True))) * recall
            p = min(1.0 - LOG_LOSS_EPSILON, max(LOG_LOSS_EPSILON, p))
            total -= math.log(p) if y else math.log(1.0 - p)
        return total

    weights = [0.0] * size
    current = objective(weights)
    for _ in range(FIT_MAX_ITERATIONS):
        gradient = [l2 * weights[j] if j else 0.0 for j in range(size)]
        information = [[(l2 if i == j and i else 0.0) for j in range(size)] for i in range(size)]
        for x, recall, y in rows:
            q = engine.sigmoid(sum(w * v for w, v in zip(weights, x, strict=True)))
            p = min(1.0 - LOG_LOSS_EPSILON, max(LOG_LOSS_EPSILON, q * recall))
            slope = recall * q * (1.0 - q)  # dp/dz
            score = slope * (float(y) - p) / (p * (1.0 - p))  # d loglik / dz
            fisher = slope * slope / (p * (1.0 - p))
            for i in range(size):
                gradient[i] -= score * x[i]
                row = information[i]
                scaled = fisher * x[i]
                for j in range(i, size):
                    row[j] += scaled * x[j]
        for i in range(size):
            for j in range(i):
                information[i][j] = information[j][i]
        step = _solve(information, gradient)
        scale = 1.0
        while True:
            candidate = [w - scale * s for w, s in zip(weights, step, strict=True)]
            value = objective(candidate)
            if value <= current or scale < 1e-6:
                break
            scale /= 2.0
        converged = abs(current - value) < FIT_TOLERANCE * max(1.0, abs(current))
        weights, current = candidate, value
        if converged:
            break
    return weights


def training_rows(
    responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT
) -> tuple[list[tuple[float, ...]], list[float], list[bool]]:
    """Knowledge features, retrievability and outcome of every training-portion response
    that follows a state (a sequence's first response has none)."""
    mask = scored_mask(responses, holdout)
    features: list[tuple[float, ...]] = []
    recalls: list[float] = []
    outcomes: list[bool] = []

    def record(index: int, state: engine.MasteryState | None, response: Response) -> None:
        if state is not None and not mask[index]:
            features.append(engine.predict_features(state))
            recalls.append(engine.retrievability_at(state, response.at))
            outcomes.append(response.is_correct)

    _engine_walk(responses, record)
    return features, recalls, outcomes


def fit_predict_weights(
    responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT
) -> tuple[float, ...]:
    """Prediction weights fitted on the training portion only; this made PREDICT_WEIGHTS."""
    features, recalls, outcomes = training_rows(responses, holdout)
    if not features:
        return engine.PREDICT_WEIGHTS
    return tuple(fit_product_logistic(features, recalls, outcomes))
