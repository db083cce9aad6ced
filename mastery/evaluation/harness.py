"""The evaluation run: the engine and every baseline scored on the held-out tail, and the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mastery import engine
from mastery.evaluation.baselines import (
    constant_predictions,
    ewma_predictions,
    fsrs6_predictions,
    fsrs_predictions,
    moving_average_predictions,
)
from mastery.evaluation.data import DEFAULT_HOLDOUT, Response, scored_mask
from mastery.evaluation.knowledge_tracing import bkt_predictions, pfa_predictions
from mastery.evaluation.metrics import CalibrationBin, Metrics, calibration_table, compute_metrics
from mastery.evaluation.model import (
    DEFAULT_CANDIDATES,
    engine_features,
    fit_predict_weights,
    predictions_from_features,
)


@dataclass(frozen=True)
class EvaluationReport:
    engine: Metrics
    baselines: dict[str, Metrics]
    calibration: list[CalibrationBin]
    n_responses: int
    n_sequences: int
    n_scored: int
    holdout: float
    has_timestamps: bool
    training_rate: float
    scored_rate: float | None
    weights: tuple[float, ...]
    notes: list[str]
    # The default combinations scored on the TRAINING part only: what chose PREDICT_WEIGHTS.
    default_candidates_training: dict[str, Metrics]


def evaluate(
    responses: Sequence[Response],
    *,
    holdout: float = DEFAULT_HOLDOUT,
    has_timestamps: bool = True,
    refit: bool = False,
) -> EvaluationReport:
    """Engine and baselines, scored on the held-out tail of every sequence.

    With `refit`, the engine's prediction weights are refitted on this file's training
    portion; otherwise the built-in PREDICT_WEIGHTS are used.
    """
    mask = scored_mask(responses, holdout)
    weights = fit_predict_weights(responses, holdout) if refit else engine.PREDICT_WEIGHTS
    training_outcomes = [
        r.is_correct for r, is_scored in zip(responses, mask, strict=True) if not is_scored
    ]
    # The constant baseline and every first-response prior: the training-portion rate.
    training_rate = sum(training_outcomes) / len(training_outcomes) if training_outcomes else 0.5
    outcomes = [r.is_correct for r, is_scored in zip(responses, mask, strict=True) if is_scored]

    def scored(predictions: list[float]) -> list[float]:
        return [p for p, is_scored in zip(predictions, mask, strict=True) if is_scored]

    def training(predictions: list[float]) -> list[float]:
        return [p for p, is_scored in zip(predictions, mask, strict=True) if not is_scored]

    features = engine_features(responses)
    candidates = {
        name: compute_metrics(
            training(predictions_from_features(features, training_rate, candidate)),
            training_outcomes,
        )
        for name, candidate in DEFAULT_CANDIDATES.items()
    }

    engine_scored = scored(predictions_from_features(features, training_rate, weights))
    baselines = {
        "constant": constant_predictions(responses, training_rate),
        "ewma_0.3": ewma_predictions(responses),
        "moving_average_20": moving_average_predictions(responses),
        "fsrs5_default": fsrs_predictions(responses, training_rate),
        "fsrs6_default": fsrs6_predictions(responses, training_rate),
        "pfa": pfa_predictions(responses, holdout),
        "bkt": bkt_predictions(responses, holdout),
    }
    weights_note = (
        "engine prediction weights refitted on this file's training portion only"
        if refit
        else "engine prediction weights are the built-in defaults (share + recall), chosen "
        "among reasoned combinations by their score on the training portion (first 70% of "
        "each card) of the shared Anki review log only; no weight is fitted to this file"
    )
    notes = [
        weights_note,
        "first response of a sequence (no state yet): engine and FSRS predict the "
        "training-portion rate",
    ]
    if not has_timestamps:
        notes.append(
            "no timestamps: rows placed 1 minute apart, so forgetting is negligible; "
            "FSRS runs on these synthetic times and grades correct=Good, wrong=Again"
        )
    sequences = {(r.learner, r.topic) for r in responses}
    return EvaluationReport(
        engine=compute_metrics(engine_scored, outcomes),
        baselines={
            name: compute_metrics(scored(predictions), outcomes)
            for name, predictions in baselines.items()
        },
        calibration=calibration_table(engine_scored, outcomes),
        n_responses=len(responses),
        n_sequences=len(sequences),
        n_scored=len(outcomes),
        holdout=holdout,
        has_timestamps=has_timestamps,
        training_rate=training_rate,
        scored_rate=sum(outcomes) / len(outcomes) if outcomes else None,
        weights=tuple(weights),
        notes=notes,
        default_candidates_training=candidates,
    )


def _metrics_dict(metrics: Metrics) -> dict[str, float | int | None]:
    return {
        "count": metrics.count,
        "log_loss": metrics.log_loss,
        "rmse": metrics.rmse,
        "auc": metrics.auc,
    }


def report_to_dict(report: EvaluationReport) -> dict[str, object]:
    """JSON-ready report: engine, baselines, calibration, counts."""
    return {
        "engine": _metrics_dict(report.engine),
        "baselines": {name: _metrics_dict(m) for name, m in report.baselines.items()},
        "calibration": [
            {
                "bin": row.bin,
                "lower": row.lower,
                "upper": row.upper,
                "count": row.count,
                "mean_predicted": row.mean_predicted,
                "observed_rate": row.observed_rate,
            }
            for row in report.calibration
        ],
        "n_scored": report.n_scored,
        "n_responses": report.n_responses,
        "n_sequences": report.n_sequences,
        "holdout": report.holdout,
        "has_timestamps": report.has_timestamps,
        "training_rate": report.training_rate,
        "scored_rate": report.scored_rate,
        "engine_weights": dict(zip(engine.PREDICT_FEATURE_NAMES, report.weights, strict=True)),
        "default_candidates_training": {
            name: _metrics_dict(m) for name, m in report.default_candidates_training.items()
        },
        "notes": report.notes,
    }


def _cell(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_report(report: EvaluationReport) -> str:
    """Human-readable tables."""
    lines = [
        f"responses {report.n_responses}, sequences {report.n_sequences}, "
        f"scored {report.n_scored} (last {report.holdout:.0%} of each sequence)",
        f"correct rate: training part {report.training_rate:.3f}, "
        f"scored part {_cell(report.scored_rate, 3)}",
        "",
        f"{'model':<20} {'log loss':>9} {'RMSE':>8} {'AUC':>8}",
    ]
    rows = [("engine", report.engine), *report.baselines.items()]
    for name, metrics in rows:
        lines.append(
            f"{name:<20} {_cell(metrics.log_loss):>9} {_cell(metrics.rmse):>8} "
            f"{_cell(metrics.auc):>8}"
        )
    lines += [
        "",
        "default combinations on the training part (what chose the defaults)",
        f"{'combination':<20} {'log loss':>9} {'RMSE':>8} {'AUC':>8}",
    ]
    for name, metrics in report.default_candidates_training.items():
        lines.append(
            f"{name:<20} {_cell(metrics.log_loss):>9} {_cell(metrics.rmse):>8} "
            f"{_cell(metrics.auc):>8}"
        )
    lines += [
        "",
        "engine calibration",
        f"{'bin':<11} {'count':>6} {'predicted':>10} {'observed':>9}",
    ]
    for row in report.calibration:
        lines.append(
            f"{row.lower:.1f}-{row.upper:.1f}     {row.count:>6} "
            f"{_cell(row.mean_predicted, 3):>10} {_cell(row.observed_rate, 3):>9}"
        )
    lines += ["", *(f"note: {note}" for note in report.notes)]
    return "\n".join(lines)
