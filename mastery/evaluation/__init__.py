"""Offline evaluation of the mastery engine on response logs (pure Python, no Django).

Each (learner, topic) pair is one sequence. Walking the log in order, every model predicts
P(correct) for a response from what it has seen so far, then learns the outcome. Only the
last `holdout` share of each sequence is scored; the earlier part only builds state. Any
constant fitted here (the constant baseline's rate, the first-response prior, the engine's
prediction weights via `fit_predict_weights`) uses the training part only.

Input formats:
* plain CSV `user_id,skill_name,correct[,timestamp]`: one single-question practice per row,
  sequences in file order. Without timestamps, row i is placed SYNTHETIC_STEP after row
  i-1, so elapsed times are minutes and retrievability stays near 1: prediction then rests
  on mastery, which is what such logs (e.g. tutoring systems) can support.
* `--revlog`: an Anki review log `card_id,review_rating,review_time,review_duration`; one
  learner, a card is a topic, recall is rating > 1, each card's reviews sorted by time.
* `--format dkt`: the Deep Knowledge Tracing code's three-line blocks (count; skill ids;
  0/1 outcomes), one learner per block, untimed.

Caveat on the tail holdout: in a review log that ends on a date, a card's last reviews are
mostly passes (a lapse is re-reviewed within days, a pass may not be due again before the
log ends), so the scored tail is easier than the training part. The report shows both
rates; constants fitted on the training part are pessimistic on the tail.

Modules: `data` (loading and the holdout), `metrics`, `baselines`, `model` (the engine under
evaluation and the fit of its prediction head) and `harness` (evaluate and the report). Every
public name is re-exported here.
"""

from mastery.evaluation.baselines import (
    EWMA_BASELINE_ALPHA,
    EWMA_BASELINE_START,
    FSRS5_DEFAULT_WEIGHTS,
    MOVING_AVERAGE_WINDOW,
    constant_predictions,
    ewma_predictions,
    fsrs6_predictions,
    fsrs_predictions,
    moving_average_predictions,
)
from mastery.evaluation.data import (
    ANKI_RECALL_MIN_RATING,
    CORRECT_SCORE,
    DEFAULT_HOLDOUT,
    FALSE_WORDS,
    FORMATS,
    SYNTHETIC_START,
    SYNTHETIC_STEP,
    TRUE_WORDS,
    WRONG_SCORE,
    Response,
    holdout_size,
    load_responses,
    parse_dkt,
    parse_responses_csv,
    parse_revlog_csv,
    scored_mask,
)
from mastery.evaluation.harness import EvaluationReport, evaluate, format_report, report_to_dict
from mastery.evaluation.knowledge_tracing import (
    BKT_GRID,
    PFA_L2,
    PFA_TOPIC_L2,
    bkt_predictions,
    pfa_predictions,
)
from mastery.evaluation.metrics import (
    CALIBRATION_BINS,
    LOG_LOSS_EPSILON,
    CalibrationBin,
    Metrics,
    auc,
    calibration_table,
    compute_metrics,
    log_loss,
    rmse,
)
from mastery.evaluation.model import (
    DEFAULT_CANDIDATES,
    _observation,
    engine_features,
    engine_predictions,
    fit_predict_weights,
    predictions_from_features,
    training_rows,
)

__all__ = [
    "ANKI_RECALL_MIN_RATING",
    "BKT_GRID",
    "CALIBRATION_BINS",
    "CORRECT_SCORE",
    "DEFAULT_CANDIDATES",
    "DEFAULT_HOLDOUT",
    "EWMA_BASELINE_ALPHA",
    "EWMA_BASELINE_START",
    "FALSE_WORDS",
    "FORMATS",
    "FSRS5_DEFAULT_WEIGHTS",
    "LOG_LOSS_EPSILON",
    "MOVING_AVERAGE_WINDOW",
    "PFA_L2",
    "PFA_TOPIC_L2",
    "SYNTHETIC_START",
    "SYNTHETIC_STEP",
    "TRUE_WORDS",
    "WRONG_SCORE",
    "CalibrationBin",
    "EvaluationReport",
    "Metrics",
    "Response",
    "_observation",
    "auc",
    "bkt_predictions",
    "calibration_table",
    "compute_metrics",
    "constant_predictions",
    "engine_features",
    "engine_predictions",
    "evaluate",
    "ewma_predictions",
    "fit_predict_weights",
    "format_report",
    "fsrs6_predictions",
    "fsrs_predictions",
    "holdout_size",
    "load_responses",
    "log_loss",
    "moving_average_predictions",
    "parse_dkt",
    "parse_responses_csv",
    "parse_revlog_csv",
    "pfa_predictions",
    "predictions_from_features",
    "report_to_dict",
    "rmse",
    "scored_mask",
    "training_rows",
]
