"""Scores of a model's predictions: log loss, RMSE, AUC and a calibration table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Log loss of a prediction of exactly 0 or 1 is infinite; clip like scikit-learn did.
LOG_LOSS_EPSILON = 1e-15

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Metrics:
    count: int
    log_loss: float | None
    rmse: float | None
    auc: float | None


@dataclass(frozen=True)
class CalibrationBin:
    bin: int
    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


def log_loss(predictions: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    if not predictions:
        return None
    total = 0.0
    for probability, outcome in zip(predictions, outcomes, strict=True):
        p = min(1.0 - LOG_LOSS_EPSILON, max(LOG_LOSS_EPSILON, probability))
        total -= math.log(p) if outcome else math.log(1.0 - p)
    return total / len(predictions)


def rmse(predictions: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    if not predictions:
        return None
    squared = sum((p - float(y)) ** 2 for p, y in zip(predictions, outcomes, strict=True))
    return math.sqrt(squared / len(predictions))


def auc(predictions: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    """Rank-based AUC (Mann-Whitney U); tied predictions share their mean rank."""
    positives = sum(1 for y in outcomes if y)
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(predictions)), key=lambda i: predictions[i])
    rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and predictions[order[end + 1]] == predictions[order[start]]:
            end += 1
        mean_rank = (start + end) / 2.0 + 1.0  # ranks are 1-based
        rank_sum += mean_rank * sum(1 for i in order[start : end + 1] if outcomes[i])
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def compute_metrics(predictions: Sequence[float], outcomes: Sequence[bool]) -> Metrics:
    return Metrics(
        count=len(predictions),
        log_loss=log_loss(predictions, outcomes),
        rmse=rmse(predictions, outcomes),
        auc=auc(predictions, outcomes),
    )


def calibration_table(
    predictions: Sequence[float], outcomes: Sequence[bool], bins: int = CALIBRATION_BINS
) -> list[CalibrationBin]:
    """Equal-width bins over [0, 1]; a prediction of exactly 1 falls in the last bin."""
    counts = [0] * bins
    predicted_sums = [0.0] * bins
    correct_counts = [0] * bins
    for probability, outcome in zip(predictions, outcomes, strict=True):
        index = min(bins - 1, max(0, int(probability * bins)))
        counts[index] += 1
        predicted_sums[index] += probability
        correct_counts[index] += int(outcome)
    return [
        CalibrationBin(
            bin=index,
            lower=index / bins,
            upper=(index + 1) / bins,
            count=counts[index],
            mean_predicted=predicted_sums[index] / counts[index] if counts[index] else None,
            observed_rate=correct_counts[index] / counts[index] if counts[index] else None,
        )
        for index in range(bins)
    ]
