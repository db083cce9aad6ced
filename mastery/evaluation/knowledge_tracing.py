"""Two classic student models as baselines: Performance Factors Analysis and Bayesian
Knowledge Tracing, both our own numpy code, both fitted on the training portion only.

PFA (Pavlik, Cen & Koedinger 2009): logit P = beta_topic + gamma * successes + rho *
failures, the learner's prior counts on the topic. A per-topic gamma and rho would overfit a
review log with a thousand cards of ten reviews each, so they are shared and the per-topic
easiness beta is ridge-shrunk towards the global intercept.

BKT (Corbett & Anderson 1995): a hidden learned/unlearned state with P(init), P(learn),
P(guess) and P(slip). One parameter set for all topics, chosen by maximum likelihood over a
grid (EM per topic needs many sequences per topic, which a review log does not have).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from mastery.evaluation.data import DEFAULT_HOLDOUT, Response, scored_mask

PFA_L2 = 1.0  # on gamma and rho

PFA_TOPIC_L2 = 2.0  # on the per-topic easiness: a topic with few answers stays near average

PFA_ITERATIONS = 30

BKT_GRID = {
    "init": (0.1, 0.3, 0.5, 0.7, 0.9),
    "learn": (0.01, 0.05, 0.1, 0.2, 0.35, 0.5),
    "guess": (0.05, 0.15, 0.25, 0.35, 0.45),
    "slip": (0.02, 0.05, 0.1, 0.2, 0.3),
}

_EPS = 1e-6


def _prior_counts(responses: Sequence[Response]) -> tuple[np.ndarray, np.ndarray]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    successes, failures = [], []
    for response in responses:
        seen = counts[(response.learner, response.topic)]
        successes.append(seen[0])
        failures.append(seen[1])
        seen[0 if response.is_correct else 1] += 1
    return np.asarray(successes, dtype=float), np.asarray(failures, dtype=float)


def _fit_pfa(
    dense: np.ndarray, topics: np.ndarray, y: np.ndarray, n_topics: int
) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on the ridge log-likelihood; the topic block of the Hessian is
    diagonal, so it is eliminated (Schur complement) instead of solving a K x K system."""
    g = np.zeros(dense.shape[1])
    b = np.zeros(n_topics)
    penalty = np.full(dense.shape[1], PFA_L2)
    penalty[0] = 0.0
    for _ in range(PFA_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-np.clip(dense @ g + b[topics], -35, 35)))
        r = p * (1.0 - p)
        grad_g = dense.T @ (p - y) + penalty * g
        grad_b = np.bincount(topics, p - y, n_topics) + PFA_TOPIC_L2 * b
        h_gg = (dense * r[:, None]).T @ dense + np.diag(penalty)
        h_gb = np.stack([np.bincount(topics, r * dense[:, j], n_topics) for j in range(len(g))])
        h_bb = np.bincount(topics, r, n_topics) + PFA_TOPIC_L2
        schur = h_gg - (h_gb / h_bb) @ h_gb.T
        step_g = np.linalg.solve(schur, grad_g - h_gb @ (grad_b / h_bb))
        step_b = (grad_b - h_gb.T @ step_g) / h_bb
        g, b = g - step_g, b - step_b
        if max(np.abs(step_g).max(), np.abs(step_b).max(initial=0.0)) < 1e-8:
            break
    return g, b


def pfa_predictions(responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT) -> list[float]:
    """PFA fitted on the training portion; predicts every response from prior counts."""
    if not responses:
        return []
    mask = np.asarray(scored_mask(responses, holdout))
    successes, failures = _prior_counts(responses)
    topic_index: dict[str, int] = {}
    topics = np.asarray([topic_index.setdefault(r.topic, len(topic_index)) for r in responses])
    dense = np.column_stack([np.ones(len(responses)), successes, failures])
    y = np.asarray([r.is_correct for r in responses], dtype=float)
    train = ~mask
    if not train.any():
        return [0.5] * len(responses)
    g, b = _fit_pfa(dense[train], topics[train], y[train], len(topic_index))
    # A topic with no training answers keeps easiness 0 (the ridge's pull), i.e. average.
    z = dense @ g + b[topics]
    return list(1.0 / (1.0 + np.exp(-z)))


def _bkt_walk(
    responses: Sequence[Response], params: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """P(correct) before each response for every parameter row at once (rows x responses)."""
    init, learn, guess, slip = params.T
    learned: dict[tuple[str, str], np.ndarray] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        p_learned = learned.get(key, init)
        p_correct = p_learned * (1.0 - slip) + (1.0 - p_learned) * guess
        predictions.append(p_correct)
        if response.is_correct:
            posterior = p_learned * (1.0 - slip) / np.maximum(p_correct, _EPS)
        else:
            posterior = p_learned * slip / np.maximum(1.0 - p_correct, _EPS)
        # Rounding lets a certain state creep past 1, and a run of right answers then
        # amplifies the excess geometrically until it overflows: keep it a probability.
        posterior = np.clip(posterior, 0.0, 1.0)
        learned[key] = posterior + (1.0 - posterior) * learn
    return params, predictions


def bkt_predictions(responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT) -> list[float]:
    """BKT with the grid point of highest training-portion likelihood."""
    if not responses:
        return []
    grid = np.asarray(list(itertools.product(*BKT_GRID.values())))
    mask = scored_mask(responses, holdout)
    _, predictions = _bkt_walk(responses, grid)
    log_likelihood = np.zeros(len(grid))
    for p, response, is_scored in zip(predictions, responses, mask, strict=True):
        if not is_scored:
            q = np.clip(p, _EPS, 1.0 - _EPS)
            log_likelihood += np.log(q if response.is_correct else 1.0 - q)
    best = int(np.argmax(log_likelihood))
    return [float(p[best]) for p in predictions]
