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

Caveat on the tail holdout: in a review log that ends on a date, a card's last reviews are
mostly passes (a lapse is re-reviewed within days, a pass may not be due again before the
log ends), so the scored tail is easier than the training part. The report shows both
rates; constants fitted on the training part are pessimistic on the tail.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mastery import engine

DEFAULT_HOLDOUT = 0.3
# Log loss of a prediction of exactly 0 or 1 is infinite; clip like scikit-learn did.
LOG_LOSS_EPSILON = 1e-15
CALIBRATION_BINS = 10
# Rows of a log without timestamps are this far apart: short enough that forgetting is
# negligible within a session, as it is in a tutoring log.
SYNTHETIC_START = datetime(2000, 1, 1, tzinfo=UTC)
SYNTHETIC_STEP = timedelta(minutes=1)
# Baselines named in the brief.
EWMA_BASELINE_ALPHA = 0.3
EWMA_BASELINE_START = 50.0
MOVING_AVERAGE_WINDOW = 20
# Published FSRS-5 default parameters (open-spaced-repetition py-fsrs / fsrs4anki).
FSRS5_DEFAULT_WEIGHTS: tuple[float, ...] = (
    0.40255, 1.18385, 3.173, 15.69105, 7.1949, 0.5345, 1.4604, 0.0046, 1.54575, 0.1192,
    1.01925, 1.9395, 0.11, 0.29605, 2.2698, 0.2315, 2.9898, 0.51655, 0.6621,
)  # fmt: skip
# Ridge on the prediction head: enough to keep weights finite on separable toy data,
# small against ~9k training rows.
FIT_L2 = 1.0
FIT_MAX_ITERATIONS = 50
FIT_TOLERANCE = 1e-9
ANKI_RECALL_MIN_RATING = 2  # Anki: 1 = Again (forgot), 2-4 = recalled
CORRECT_SCORE = 100.0
WRONG_SCORE = 0.0
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "1.0"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "0.0"})


@dataclass(frozen=True)
class Response:
    learner: str
    topic: str
    is_correct: bool
    at: datetime
    rating: int  # FSRS grade 1..4; 3 (Good) or 1 (Again) when only correctness is known
    duration_min: float = 0.0


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


# --- Loading -------------------------------------------------------------------------------


def _parse_correct(raw: str, line: int) -> bool:
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"line {line}: correct must be 0/1 or true/false, got {raw!r}")


def _parse_timestamp(raw: str, line: int) -> datetime:
    value = raw.strip()
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"line {line}: timestamp must be ISO 8601 or unix seconds") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_responses_csv(lines: Iterable[str]) -> tuple[list[Response], bool]:
    """Rows of `user_id,skill_name,correct[,timestamp]`, in file order; (responses, timed)."""
    reader = csv.DictReader(lines)
    columns = set(reader.fieldnames or ())
    missing = {"user_id", "skill_name", "correct"} - columns
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
    rows = list(reader)
    has_timestamps = "timestamp" in columns and any(
        (row.get("timestamp") or "").strip() for row in rows
    )
    responses = []
    for index, row in enumerate(rows):
        line = index + 2  # header is line 1
        is_correct = _parse_correct(row["correct"] or "", line)
        if has_timestamps:
            if not (row.get("timestamp") or "").strip():
                raise ValueError(f"line {line}: timestamp missing")
            at = _parse_timestamp(row["timestamp"], line)
        else:
            at = SYNTHETIC_START + index * SYNTHETIC_STEP
        responses.append(
            Response(
                learner=row["user_id"],
                topic=row["skill_name"],
                is_correct=is_correct,
                at=at,
                rating=engine.GRADE_GOOD if is_correct else engine.GRADE_AGAIN,
            )
        )
    return responses, has_timestamps


def parse_revlog_csv(lines: Iterable[str]) -> list[Response]:
    """Anki review log rows, sorted by time (stable, so file order breaks ties)."""
    responses = []
    for index, row in enumerate(csv.DictReader(lines)):
        line = index + 2
        rating = int(row["review_rating"])
        if not engine.GRADE_AGAIN <= rating <= engine.GRADE_EASY:
            raise ValueError(f"line {line}: review_rating must be 1-4, got {rating}")
        duration_ms = float(row.get("review_duration") or 0.0)
        responses.append(
            Response(
                learner="anki",  # a review log holds one learner
                topic=row["card_id"],
                is_correct=rating >= ANKI_RECALL_MIN_RATING,
                at=_parse_timestamp(row["review_time"], line),
                rating=rating,
                duration_min=duration_ms / 60_000.0,
            )
        )
    responses.sort(key=lambda response: response.at)
    return responses


def load_responses(path: str | Path, *, revlog: bool = False) -> tuple[list[Response], bool]:
    with open(path, newline="", encoding="utf-8") as handle:
        if revlog:
            return parse_revlog_csv(handle), True
        return parse_responses_csv(handle)


# --- Holdout -------------------------------------------------------------------------------


def holdout_size(sequence_length: int, holdout: float) -> int:
    """How many of a sequence's last responses are scored: round half up, so 10 -> 3."""
    # The tiny offset absorbs float error such as 10 * 0.3 = 3.0000000000000004.
    return min(sequence_length, math.floor(sequence_length * holdout + 0.5 + 1e-9))


def scored_mask(responses: Sequence[Response], holdout: float) -> list[bool]:
    """True for responses in the last `holdout` share of their (learner, topic) sequence."""
    if not 0.0 < holdout <= 1.0:
        raise ValueError("holdout must be in (0, 1]")
    lengths: dict[tuple[str, str], int] = defaultdict(int)
    for response in responses:
        lengths[(response.learner, response.topic)] += 1
    seen: dict[tuple[str, str], int] = defaultdict(int)
    mask = []
    for response in responses:
        key = (response.learner, response.topic)
        position = seen[key]
        seen[key] += 1
        mask.append(position >= lengths[key] - holdout_size(lengths[key], holdout))
    return mask


# --- Metrics -------------------------------------------------------------------------------


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


# --- Models --------------------------------------------------------------------------------
# Each model walks all responses in log order and returns one prediction per response,
# made before that response's outcome is revealed.


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


def constant_predictions(responses: Sequence[Response], rate: float) -> list[float]:
    return [rate] * len(responses)


def ewma_predictions(responses: Sequence[Response]) -> list[float]:
    """Plain EWMA of 0/100 scores per sequence, alpha 0.3, starting at 50; predicts ewma/100."""
    levels: dict[tuple[str, str], float] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        level = levels.get(key, EWMA_BASELINE_START)
        predictions.append(level / 100.0)
        score = CORRECT_SCORE if response.is_correct else WRONG_SCORE
        levels[key] = EWMA_BASELINE_ALPHA * score + (1.0 - EWMA_BASELINE_ALPHA) * level
    return predictions


def moving_average_predictions(responses: Sequence[Response]) -> list[float]:
    """Add-one smoothed mean of the learner's last 20 responses on any topic.

    (correct + 1) / (n + 2): a raw mean of an all-correct window predicts exactly 1, and one
    miss then costs an unbounded log loss; smoothing keeps the baseline fair.
    """
    windows: dict[str, deque[bool]] = defaultdict(lambda: deque(maxlen=MOVING_AVERAGE_WINDOW))
    predictions = []
    for response in responses:
        window = windows[response.learner]
        predictions.append((sum(window) + 1.0) / (len(window) + 2.0))
        window.append(response.is_correct)
    return predictions


@dataclass(frozen=True)
class _FsrsCard:
    stability: float
    difficulty: float
    last_at: datetime


def _fsrs_initial_difficulty(w: Sequence[float], grade: int) -> float:
    return w[4] - math.exp(w[5] * (grade - 1)) + 1.0


def _fsrs_step(w: Sequence[float], card: _FsrsCard | None, grade: int, at: datetime) -> _FsrsCard:
    """FSRS-5 transition (published formulas), with elapsed time in fractional days."""
    if card is None:
        difficulty = min(10.0, max(1.0, _fsrs_initial_difficulty(w, grade)))
        return _FsrsCard(stability=max(0.01, w[grade - 1]), difficulty=difficulty, last_at=at)
    elapsed = max(0.0, (at - card.last_at).total_seconds() / engine.SECONDS_PER_DAY)
    s, d = card.stability, card.difficulty
    recall = engine.retrievability(elapsed, s)
    if elapsed < 1.0:
        new_s = s * math.exp(w[17] * (grade - 3 + w[18]))
    elif grade == 1:
        new_s = (
            w[11] * d ** (-w[12]) * ((s + 1.0) ** w[13] - 1.0) * math.exp(w[14] * (1.0 - recall))
        )
        new_s = min(new_s, s / math.exp(w[17] * w[18]))
    else:
        hard_penalty = w[15] if grade == 2 else 1.0
        easy_bonus = w[16] if grade == 4 else 1.0
        new_s = s * (
            1.0
            + math.exp(w[8])
            * (11.0 - d)
            * s ** (-w[9])
            * (math.exp(w[10] * (1.0 - recall)) - 1.0)
            * hard_penalty
            * easy_bonus
        )
    next_d = d - w[6] * (grade - 3) * (10.0 - d) / 9.0  # linear damping
    next_d = w[7] * _fsrs_initial_difficulty(w, 4) + (1.0 - w[7]) * next_d  # mean reversion
    return _FsrsCard(
        stability=min(36_500.0, max(0.01, new_s)),
        difficulty=min(10.0, max(1.0, next_d)),
        last_at=at,
    )


def fsrs_predictions(
    responses: Sequence[Response],
    first_prior: float,
    weights: Sequence[float] = FSRS5_DEFAULT_WEIGHTS,
) -> list[float]:
    """FSRS-5 with default parameters: R(t, S) before each review; prior for a new card."""
    cards: dict[tuple[str, str], _FsrsCard] = {}
    predictions = []
    for response in responses:
        key = (response.learner, response.topic)
        card = cards.get(key)
        if card is None:
            predictions.append(first_prior)
        else:
            elapsed = max(0.0, (response.at - card.last_at).total_seconds())
            predictions.append(
                engine.retrievability(elapsed / engine.SECONDS_PER_DAY, card.stability)
            )
        cards[key] = _fsrs_step(weights, card, response.rating, response.at)
    return predictions


# --- Fitting the engine's prediction head --------------------------------------------------


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


# --- Evaluation ----------------------------------------------------------------------------


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

    engine_scored = scored(engine_predictions(responses, training_rate, weights))
    baselines = {
        "constant": constant_predictions(responses, training_rate),
        "ewma_0.3": ewma_predictions(responses),
        "moving_average_20": moving_average_predictions(responses),
        "fsrs5_default": fsrs_predictions(responses, training_rate),
    }
    weights_note = (
        "engine prediction weights refitted on this file's training portion only"
        if refit
        else "engine prediction weights are the built-in constants, fitted on the training "
        "portion (first 70% of each card) of the shared Anki review log only"
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
    )


# --- Output --------------------------------------------------------------------------------


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
