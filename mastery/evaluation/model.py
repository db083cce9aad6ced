"""The engine as a model under evaluation, and the fit of its prediction head.

The prediction weights are fitted on the training portion of each sequence only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mastery import engine
from mastery.evaluation.data import (
    CORRECT_SCORE,
    DEFAULT_HOLDOUT,
    WRONG_SCORE,
    Response,
    scored_mask,
)


def _observation(response: Response) -> engine.Observation:
    return engine.Observation(
        score_percent=CORRECT_SCORE if response.is_correct else WRONG_SCORE,
        question_count=1,
        time_spent_min=response.duration_min,
        difficulty_level=engine.Difficulty.MEDIUM.value,
        kind=engine.Kind.PRACTICE.value,
        observed_at=response.at,
        recall_grade=response.rating,
    )


def _engine_walk(
    responses: Sequence[Response],
    on_response: Callable[
        [int, engine.MasteryState | None, engine.ForecastContext, Response], None
    ],
    context_from: Sequence[bool] | None = None,
) -> None:
    """Fold every sequence; `context_from` limits which responses feed the learner's and the
    topic's context (the fit passes the training part, so no held-out outcome reaches it)."""
    states: dict[tuple[str, str], engine.MasteryState] = {}
    context = engine.ContextTracker()
    for index, response in enumerate(responses):
        key = (response.learner, response.topic)
        state = states.get(key)
        on_response(index, state, context.before(response.learner, response.topic), response)
        obs = _observation(response)
        states[key] = engine.initialize(obs) if state is None else engine.update(state, obs)
        if context_from is None or context_from[index]:
            context.learn(response.learner, response.topic, float(response.is_correct))


def engine_features(
    responses: Sequence[Response], context_from: Sequence[bool] | None = None
) -> list[tuple[float, ...] | None]:
    """The forecast's inputs before every response (None for a sequence's first, which has
    no state); one walk serves every set of weights."""
    features: list[tuple[float, ...] | None] = [None] * len(responses)

    def record(
        index: int,
        state: engine.MasteryState | None,
        context: engine.ForecastContext,
        response: Response,
    ) -> None:
        if state is not None:
            features[index] = engine.predict_features(state, response.at, context)

    _engine_walk(responses, record, context_from)
    return features


def predictions_from_features(
    features: Sequence[tuple[float, ...] | None],
    first_prior: float,
    weights: Sequence[float] = engine.PREDICT_WEIGHTS,
) -> list[float]:
    """engine.predict's probability for each row of features; `first_prior` where None."""
    return [
        first_prior if x is None else engine.predict_from_features(x, weights) for x in features
    ]


def engine_predictions(
    responses: Sequence[Response],
    first_prior: float,
    weights: Sequence[float] = engine.PREDICT_WEIGHTS,
) -> list[float]:
    """The engine; a sequence's first response has no state and gets `first_prior`."""
    return predictions_from_features(engine_features(responses), first_prior, weights)


# The reasoned default combinations the engine's PREDICT_WEIGHTS were chosen from, each the
# sum of log-odds of the estimates it names (see engine.forecast); the choice was made on the
# training part of the shared Anki log only, and the report repeats that comparison.
def _combination(**weights: float) -> tuple[float, ...]:
    return tuple(weights.get(name, 0.0) for name in engine.PREDICT_FEATURE_NAMES)


DEFAULT_CANDIDATES: dict[str, tuple[float, ...]] = {
    "recall": _combination(logit_recall=1.0),
    "ewma+recall": _combination(logit_mastery=1.0, logit_recall=1.0),
    "half_ewma+recall": _combination(logit_mastery=0.5, logit_recall=1.0),
    "share+recall": _combination(logit_share=1.0, logit_recall=1.0),
}


def training_rows(
    responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT
) -> tuple[list[tuple[float, ...]], list[bool]]:
    """Forecast features and outcome of every training-portion response that follows a
    state (a sequence's first response has none); the learner's and topic's context comes
    from training responses only."""
    mask = scored_mask(responses, holdout)
    rows = engine_features(responses, context_from=[not is_scored for is_scored in mask])
    features: list[tuple[float, ...]] = []
    outcomes: list[bool] = []
    for x, response, is_scored in zip(rows, responses, mask, strict=True):
        if x is not None and not is_scored:
            features.append(x)
            outcomes.append(response.is_correct)
    return features, outcomes


def fit_predict_weights(
    responses: Sequence[Response], holdout: float = DEFAULT_HOLDOUT
) -> tuple[float, ...]:
    """Forecast weights fitted on the training portion only (`evaluate_mastery --refit`);
    the defaults, PREDICT_WEIGHTS, are not fitted (see DEFAULT_CANDIDATES)."""
    features, outcomes = training_rows(responses, holdout)
    fitted = engine.fit_weights(features, outcomes, min_rows=1)
    return engine.PREDICT_WEIGHTS if fitted is None else fitted
