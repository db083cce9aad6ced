"""The forecast's weights, fitted from the platform's own evidence, and what they are used with.

`forecast_fit` replays every learner's mastery observations through the engine, in time
order, and at each observation after a topic's first records the forecast's features (from
the state before it, and the learner's and topic's evidence before it) and its outcome, the
share of questions answered correctly. A logistic regression over those rows (engine.
fit_weights) becomes a new ForecastModel version. Until one exists, or while the newest was
fitted for other features, the engine's PREDICT_WEIGHTS apply.

A topic's ease is pooled across learners by its name: every student's course is their own
copy, so the same topic from the same template has one id per student but one name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mastery import engine
from mastery.models import ForecastModel, MasteryObservation

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class ForecastFit:
    model: ForecastModel | None
    rows: int
    reason: str


def _topic_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _observation(row: MasteryObservation) -> engine.Observation | None:
    try:
        return engine.Observation(
            score_percent=row.score_percent,
            question_count=row.question_count,
            time_spent_min=0.0,
            difficulty_level=engine.Difficulty.MEDIUM.value,
            kind=row.kind,
            observed_at=row.observed_at,
        )
    except ValueError:
        return None  # a kind the engine does not fold (e.g. from a newer release)


def forecast_rows(
    rows: Iterable[MasteryObservation],
    weights: tuple[float, ...] | None = None,
) -> tuple[list[tuple[float, ...]], list[float], list[float]]:
    """(features, outcomes, predictions under `weights`) for every observation with a state
    before it; `rows` must come in time order."""
    weights = weights or engine.PREDICT_WEIGHTS
    states: dict[tuple[int, str], engine.MasteryState] = {}
    context = engine.ContextTracker()
    features: list[tuple[float, ...]] = []
    outcomes: list[float] = []
    predictions: list[float] = []
    for row in rows:
        obs = _observation(row)
        if obs is None:
            continue
        learner, topic = str(row.user_id), _topic_key(row.topic.name)
        key = (row.user_id, str(row.topic_id))
        state = states.get(key)
        outcome = max(0.0, min(1.0, obs.score_percent / 100.0))
        if state is not None:
            x = engine.predict_features(state, obs.observed_at, context.before(learner, topic))
            features.append(x)
            outcomes.append(outcome)
            predictions.append(engine.sigmoid(sum(w * v for w, v in zip(weights, x, strict=True))))
        states[key] = engine.initialize(obs) if state is None else engine.update(state, obs)
        answers = obs.question_count or 1
        context.learn(learner, topic, outcome * answers, answers)
    return features, outcomes, predictions


def _platform_rows() -> Iterable[MasteryObservation]:
    return (
        MasteryObservation.objects.select_related("topic")
        .order_by("observed_at", "user_id", "topic_id", "sequence")
        .iterator(chunk_size=2000)
    )


def _metrics(predictions: list[float], outcomes: list[float]) -> dict:
    eps = 1e-15
    log_loss = -sum(
        y * math.log(max(eps, p)) + (1 - y) * math.log(max(eps, 1 - p))
        for p, y in zip(predictions, outcomes, strict=True)
    ) / max(1, len(outcomes))
    bins = []
    for index in range(CALIBRATION_BINS):
        members = [
            (p, y)
            for p, y in zip(predictions, outcomes, strict=True)
            if min(CALIBRATION_BINS - 1, int(p * CALIBRATION_BINS)) == index
        ]
        if members:
            bins.append(
                {
                    "lower": index / CALIBRATION_BINS,
                    "upper": (index + 1) / CALIBRATION_BINS,
                    "count": len(members),
                    "mean_predicted": round(sum(p for p, _ in members) / len(members), 4),
                    "observed_rate": round(sum(y for _, y in members) / len(members), 4),
                }
            )
    return {
        "log_loss": round(log_loss, 5),
        "base_rate": round(sum(outcomes) / max(1, len(outcomes)), 4),
        "calibration": bins,
    }


def forecast_fit(
    *, now: datetime | None = None, min_rows: int = engine.MIN_FIT_ROWS
) -> ForecastFit:
    """Fit the forecast on every observation so far; a new ForecastModel when there is enough
    evidence (min_rows answers of both outcomes), nothing otherwise."""
    features, outcomes, _ = forecast_rows(_platform_rows())
    weights = engine.fit_weights(features, outcomes, min_rows=min_rows)
    if weights is None:
        return ForecastFit(
            model=None,
            rows=len(outcomes),
            reason=f"{len(outcomes)} answers with history; {min_rows} needed, of both outcomes",
        )
    predictions = [
        engine.sigmoid(sum(w * v for w, v in zip(weights, x, strict=True))) for x in features
    ]
    with transaction.atomic():
        latest = ForecastModel.objects.select_for_update().aggregate(v=Max("version"))["v"]
        model = ForecastModel.objects.create(
            version=(latest or 0) + 1,
            feature_names=list(engine.PREDICT_FEATURE_NAMES),
            weights=list(weights),
            fitted_at=now or timezone.now(),
            n=len(outcomes),
            metrics=_metrics(predictions, outcomes),
        )
    return ForecastFit(model=model, rows=len(outcomes), reason="fitted")


# Every plan and the stats page read the forecast, and it changes once a week (the weekly fit):
# it is kept in the shared cache, retired whenever a ForecastModel row is written or deleted
# (mastery.receivers), and re-read at the latest after this long.
FORECAST_CACHE_KEY = "mastery:forecast:current"
FORECAST_CACHE_SECONDS = 600
# Cached for "no fit yet", which None (a cache miss) cannot say.
_NO_FORECAST = "none"


def _newest_matching_forecast() -> ForecastModel | None:
    for model in ForecastModel.objects.order_by("-version")[:5]:
        if tuple(model.feature_names) == engine.PREDICT_FEATURE_NAMES and len(model.weights) == len(
            engine.PREDICT_FEATURE_NAMES
        ):
            return model
    return None


def current_forecast() -> ForecastModel | None:
    """The newest fit made for the engine's current features, if any."""
    cached = cache.get(FORECAST_CACHE_KEY)
    if cached is not None:
        return None if cached == _NO_FORECAST else cached
    model = _newest_matching_forecast()
    cache.set(FORECAST_CACHE_KEY, model or _NO_FORECAST, FORECAST_CACHE_SECONDS)
    return model


def forecast_cache_retire() -> None:
    """Now, for readers in this transaction, and after commit, for a reader that cached the old
    fit while the new row was not yet visible to it."""
    cache.delete(FORECAST_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(FORECAST_CACHE_KEY))


def forecast_weights() -> tuple[float, ...]:
    """The weights in use: the newest matching fit, else the engine's defaults."""
    model = current_forecast()
    return tuple(float(w) for w in model.weights) if model else engine.PREDICT_WEIGHTS


def forecast_contexts(user, topics: Iterable) -> dict[str, engine.ForecastContext]:
    """Context per topic id: the user's ability over all their evidence, and each topic's ease
    over other learners' evidence on a topic of the same name."""
    topics = list(topics)
    mine = MasteryObservation.objects.filter(user=user).values_list(
        "score_percent", "question_count"
    )
    right = attempts = 0.0
    for score, count in mine:
        answers = count or 1
        right += max(0.0, min(1.0, score / 100.0)) * answers
        attempts += answers
    ability = engine.smoothed_logit(right, attempts)
    names = {_topic_key(t.name) for t in topics}
    ease_counts: dict[str, list[float]] = {name: [0.0, 0.0] for name in names}
    others = (
        MasteryObservation.objects.exclude(user=user)
        .filter(topic__name__in={t.name for t in topics})
        .values_list("topic__name", "score_percent", "question_count")
    )
    for name, score, count in others:
        key = _topic_key(name)
        if key in ease_counts:
            answers = count or 1
            ease_counts[key][0] += max(0.0, min(1.0, score / 100.0)) * answers
            ease_counts[key][1] += answers
    return {
        str(t.pk): engine.ForecastContext(
            learner_ability=ability,
            topic_ease=engine.smoothed_logit(*ease_counts[_topic_key(t.name)]),
        )
        for t in topics
    }


def calibration_for_stats() -> dict:
    """The stats page's calibration plot: the newest fit's predicted-vs-observed bins."""
    from mastery.charts import calibration_chart_svg

    model = current_forecast()
    bins = list(model.metrics.get("calibration", [])) if model else []
    return {
        "model": model,
        "bins": bins,
        "svg": calibration_chart_svg(bins, answers=model.n if model else 0),
    }
