"""Small numeric helpers of the engine: clamping, elapsed days across zones, the logistic."""

from __future__ import annotations

import math
from datetime import UTC, datetime

SECONDS_PER_DAY = 86_400.0

# Keeps logits finite when mastery touches 0 or 100.
PROBABILITY_EPSILON = 1e-4


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _as_utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC so naive and aware inputs can be mixed safely. Aware
    # ones are converted, because Python subtracts two datetimes sharing one ZoneInfo as wall
    # clock times, which is an hour off across a DST change.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _elapsed_days(since: datetime | None, until: datetime) -> float:
    if since is None:
        return 0.0
    seconds = (_as_utc(until) - _as_utc(since)).total_seconds()
    return max(0.0, seconds / SECONDS_PER_DAY)


def _logit(probability: float) -> float:
    p = _clamp(probability, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    """Logistic function that never overflows."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    exp_z = math.exp(z)
    return exp_z / (1.0 + exp_z)
