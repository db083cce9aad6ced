"""Tests of the offline evaluation harness on small hand-written logs."""

import io
import json
import math
import os
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mastery import engine, evaluation
from mastery.evaluation import Response

# shared/ sits beside the repository, in development and in CI alike.
ANKI_LOG = Path(__file__).resolve().parents[3] / "shared" / "data" / "anki_review_log.csv"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def responses_from(text: str) -> list[Response]:
    responses, _ = evaluation.parse_responses_csv(io.StringIO(text))
    return responses


def bkt_log(seed: int = 7, students: int = 60, skills: int = 5) -> str:
    """Students simulated by Bayesian Knowledge Tracing, one block of rows per skill.

    Guess 0.2 and slip 0.1 are typical fitted BKT values for tutoring data; the learning
    rate varies with a per-student ability so learners differ, as they do in real logs.
    """
    rng = random.Random(seed)
    lines = ["user_id,skill_name,correct"]
    for student in range(students):
        ability = rng.gauss(0.0, 1.0)
        learn_rate = min(0.5, max(0.02, 0.12 + 0.05 * ability))
        for skill in range(skills):
            is_learned = rng.random() < 0.25
            for _ in range(rng.randint(8, 20)):
                is_correct = rng.random() >= 0.1 if is_learned else rng.random() < 0.2
                lines.append(f"u{student},s{skill},{int(is_correct)}")
                if not is_learned and rng.random() < learn_rate:
                    is_learned = True
    return "\n".join(lines) + "\n"


# --- metrics -------------------------------------------------------------------------------


def test_metrics_on_a_known_example():
    predictions = [0.8, 0.4, 0.6, 0.2]
    outcomes = [True, False, True, True]
    metrics = evaluation.compute_metrics(predictions, outcomes)
    expected_log_loss = -(math.log(0.8) + math.log(0.6) + math.log(0.6) + math.log(0.2)) / 4
    assert metrics.count == 4
    assert metrics.log_loss == pytest.approx(expected_log_loss)
    assert metrics.rmse == pytest.approx(0.5)  # squared errors .04 .16 .16 .64
    assert metrics.auc == pytest.approx(2 / 3)  # positives above the one negative: .8, .6


def test_auc_gives_ties_half_credit():
    assert evaluation.auc([0.5, 0.5, 0.9, 0.1], [True, False, True, False]) == pytest.approx(
        3.5 / 4
    )
    assert evaluation.auc([0.3] * 6, [True, False] * 3) == pytest.approx(0.5)


def test_auc_is_undefined_for_one_class_and_metrics_for_nothing():
    assert evaluation.auc([0.2, 0.9], [True, True]) is None
    empty = evaluation.compute_metrics([], [])
    assert (empty.count, empty.log_loss, empty.rmse, empty.auc) == (0, None, None, None)


def test_log_loss_of_a_certain_wrong_prediction_is_finite():
    assert math.isfinite(evaluation.log_loss([1.0], [False]))


def test_calibration_table_has_ten_bins():
    table = evaluation.calibration_table(
        [0.05, 0.15, 0.17, 1.0, 0.95], [False, True, False, True, True]
    )
    assert [row.bin for row in table] == list(range(10))
    assert table[0].count == 1
    assert table[0].observed_rate == 0.0
    assert table[1].count == 2
    assert table[1].mean_predicted == pytest.approx(0.16)
    assert table[1].observed_rate == pytest.approx(0.5)
    assert table[9].count == 2  # 1.0 lands in the last bin
    assert table[5].mean_predicted is None
    assert table[5].observed_rate is None


# --- holdout -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "scored"), [(1, 0), (2, 1), (3, 1), (4, 1), (5, 2), (10, 3), (100, 30)]
)
def test_holdout_size_rounds_half_up(length, scored):
    assert evaluation.holdout_size(length, 0.3) == scored


def test_holdout_is_the_tail_of_each_sequence_even_when_interleaved():
    rows = ["user_id,skill_name,correct"]
    for index in range(10):
        rows.append(f"a,fractions,{index % 2}")
        if index < 4:
            rows.append(f"a,decimals,{index % 2}")
        if index < 1:
            rows.append("b,fractions,1")
    responses = responses_from("\n".join(rows) + "\n")
    mask = evaluation.scored_mask(responses, 0.3)
    by_sequence: dict[tuple[str, str], list[bool]] = {}
    for response, is_scored in zip(responses, mask, strict=True):
        by_sequence.setdefault((response.learner, response.topic), []).append(is_scored)
    assert by_sequence[("a", "fractions")] == [False] * 7 + [True] * 3
    assert by_sequence[("a", "decimals")] == [False] * 3 + [True]
    assert by_sequence[("b", "fractions")] == [False]


def test_holdout_must_be_a_share():
    with pytest.raises(ValueError):
        evaluation.scored_mask([], 0.0)


# --- loading -------------------------------------------------------------------------------


def test_csv_without_timestamps_gets_synthetic_minutes():
    responses, has_timestamps = evaluation.parse_responses_csv(
        io.StringIO("user_id,skill_name,correct\n1,add,1\n1,add,0\n2,add,true\n")
    )
    assert not has_timestamps
    assert [r.is_correct for r in responses] == [True, False, True]
    assert responses[1].at - responses[0].at == timedelta(minutes=1)
    assert [r.rating for r in responses] == [3, 1, 3]


def test_csv_timestamps_iso_and_unix():
    responses, has_timestamps = evaluation.parse_responses_csv(
        io.StringIO(
            "user_id,skill_name,correct,timestamp\n"
            "1,add,1,2024-05-01T12:00:00Z\n"
            "1,add,0,1714568400\n"
            "1,add,1,2024-05-01 14:00:00\n"
        )
    )
    assert has_timestamps
    assert [r.at for r in responses] == [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]


@pytest.mark.parametrize(
    "text",
    [
        "user_id,skill_name\n1,add\n",
        "user_id,skill_name,correct\n1,add,maybe\n",
        "user_id,skill_name,correct,timestamp\n1,add,1,yesterday\n",
        "user_id,skill_name,correct,timestamp\n1,add,1,1714568400\n1,add,1,\n",
    ],
)
def test_bad_csv_is_rejected(text):
    with pytest.raises(ValueError):
        evaluation.parse_responses_csv(io.StringIO(text))


# Two learners in the Deep Knowledge Tracing code's format, as its ASSISTments files write
# them: every list ends with a comma, and the file with a blank line.
DKT_FIXTURE = "3\n7,7,12,\n0,1,1,\n2\n12,12,\n1,0,\n\n"


def test_dkt_blocks_are_learners_in_order_one_synthetic_minute_apart():
    responses = evaluation.parse_dkt(io.StringIO(DKT_FIXTURE))
    assert [(r.learner, r.topic, r.is_correct) for r in responses] == [
        ("s1", "7", False),
        ("s1", "7", True),
        ("s1", "12", True),
        ("s2", "12", True),
        ("s2", "12", False),
    ]
    assert [r.at for r in responses] == [
        evaluation.SYNTHETIC_START + i * evaluation.SYNTHETIC_STEP for i in range(5)
    ]
    assert [r.rating for r in responses] == [1, 3, 3, 3, 1]
    # The same skill id of two learners is two sequences; s1's "12" is one answer, unscored.
    mask = evaluation.scored_mask(responses, 0.3)
    assert mask == [False, True, False, False, True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3\n7,7,\n0,1,1,\n", "line 1: count 3 but 2 skill ids and 3 outcomes"),
        ("2\n7,7,\n0,2,\n", "line 3: outcome must be 0 or 1, got '2'"),
        ("two\n7,7,\n0,1,\n", "line 1: response count must be a whole number"),
        ("0\n7,\n1,\n", "line 1: response count must be at least 1"),
        ("2\n7,,7\n0,1,\n", "line 2: empty skill id"),
        ("2\n7,7,\n0,1,\n1\n7,\n", "5 non-blank lines: expected blocks of three"),
        ("user_id,skill_name,correct\n1,add,1\n", "expected blocks of three"),
    ],
)
def test_bad_dkt_input_is_rejected_with_the_line_at_fault(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        evaluation.parse_dkt(io.StringIO(text))


def test_revlog_is_sorted_by_time_and_recall_is_rating_above_one():
    responses = evaluation.parse_revlog_csv(
        io.StringIO(
            "card_id,review_rating,review_time,review_duration\n"
            "7,3,2024-05-02T12:00:00+00:00,6000\n"
            "7,1,2024-05-01T12:00:00+00:00,3000\n"
            "8,2,2024-05-01T13:00:00+00:00,1000\n"
        )
    )
    assert [(r.topic, r.rating, r.is_correct) for r in responses] == [
        ("7", 1, False),
        ("8", 2, True),
        ("7", 3, True),
    ]
    assert responses[0].duration_min == pytest.approx(0.05)
    assert {r.learner for r in responses} == {"anki"}


# --- models --------------------------------------------------------------------------------


def test_ewma_baseline_starts_at_half_and_uses_alpha_point_three():
    responses = responses_from("user_id,skill_name,correct\n1,a,1\n1,a,1\n1,b,0\n")
    assert evaluation.ewma_predictions(responses) == pytest.approx([0.5, 0.65, 0.5])


def test_moving_average_baseline_pools_a_learners_skills_with_smoothing():
    responses = responses_from("user_id,skill_name,correct\n1,a,1\n1,b,1\n2,a,0\n1,c,0\n")
    assert evaluation.moving_average_predictions(responses) == pytest.approx(
        [0.5, 2 / 3, 0.5, 3 / 4]
    )


def test_moving_average_window_is_twenty():
    responses = responses_from("user_id,skill_name,correct\n" + "1,a,0\n" * 5 + "1,a,1\n" * 21)
    assert evaluation.moving_average_predictions(responses)[-1] == pytest.approx(21 / 22)


def test_fsrs_baseline_predicts_ninety_percent_after_one_stability():
    good_stability = evaluation.FSRS5_DEFAULT_WEIGHTS[2]
    responses = [
        Response("me", "card", True, T0, rating=3),
        Response("me", "card", True, T0 + timedelta(days=good_stability), rating=3),
    ]
    predictions = evaluation.fsrs_predictions(responses, first_prior=0.6)
    assert predictions == pytest.approx([0.6, 0.9])


def test_engine_predictions_use_the_prior_only_for_a_first_response():
    responses = responses_from("user_id,skill_name,correct\n1,a,1\n1,a,1\n1,b,1\n")
    predictions = evaluation.engine_predictions(responses, first_prior=0.42)
    assert predictions[0] == predictions[2] == 0.42
    state = engine.initialize(evaluation._observation(responses[0]))
    assert predictions[1] == pytest.approx(engine.predict(state, responses[1].at))


# --- evaluation ----------------------------------------------------------------------------


def test_fitting_never_sees_the_held_out_outcomes():
    responses = responses_from(bkt_log(students=15))
    mask = evaluation.scored_mask(responses, 0.3)
    flipped = [
        replace(r, is_correct=not r.is_correct) if is_scored else r
        for r, is_scored in zip(responses, mask, strict=True)
    ]
    assert evaluation.fit_predict_weights(responses) == evaluation.fit_predict_weights(flipped)
    original = evaluation.evaluate(responses, has_timestamps=False)
    changed = evaluation.evaluate(flipped, has_timestamps=False)
    assert original.training_rate == changed.training_rate
    # What chose the default weights is scored on the training part only.
    assert original.default_candidates_training == changed.default_candidates_training


def test_fitted_weights_recover_a_known_logistic_model():
    rng = random.Random(3)
    features, outcomes = [], []
    truth = (0.5, 1.5, -0.7, 0.3, 1.0, 0.4, -0.2, 0.6, 0.8, -0.3, 0.2)
    assert len(truth) == len(engine.PREDICT_FEATURE_NAMES)
    for _ in range(4000):
        x = (1.0, *(rng.uniform(-2, 2) for _ in range(len(truth) - 1)))
        chance = engine.sigmoid(sum(w * v for w, v in zip(truth, x, strict=True)))
        features.append(x)
        outcomes.append(rng.random() < chance)
    weights = engine.fit_weights(features, outcomes, l2=0.0)
    assert weights == pytest.approx(truth, abs=0.2)


def test_the_fit_weighs_the_last_change_when_answers_follow_it():
    # Streaky learners: after an answer that moved mastery up the next is right 90% of the
    # time, after one that moved it down 20%, otherwise 60%. The state's trend carries that,
    # so the fit on the training part gives it a clearly positive weight.
    rng = random.Random(17)
    lines = ["user_id,skill_name,correct"]
    for learner in range(150):
        for skill in range(4):
            mastery, trend = 50.0, 0.0
            for _ in range(rng.randint(10, 25)):
                chance = 0.9 if trend > 0 else 0.2 if trend < 0 else 0.6
                is_correct = rng.random() < chance
                new = 0.9 * mastery + (10.0 if is_correct else 0.0)
                trend = 1.0 if new > mastery + 5 else -1.0 if new < mastery - 5 else 0.0
                mastery = new
                lines.append(f"u{learner},k{skill},{int(is_correct)}")
    responses = responses_from("\n".join(lines) + "\n")
    fitted = evaluation.fit_predict_weights(responses)
    weights = dict(zip(engine.PREDICT_FEATURE_NAMES, fitted, strict=True))
    assert weights["trend"] > 0.5
    report = evaluation.evaluate(responses, has_timestamps=False, refit=True)
    assert report.engine.log_loss < report.baselines["constant"].log_loss
    assert report.engine.auc > report.baselines["ewma_0.3"].auc


def _row(**values: float) -> tuple[float, ...]:
    """A feature row: bias 1, the named features as given, every other feature 0."""
    return tuple(
        1.0 if name == "bias" else values.get(name, 0.0) for name in engine.PREDICT_FEATURE_NAMES
    )


def test_a_fit_never_makes_the_forecast_rise_with_time_unpractised():
    rng = random.Random(5)
    features, outcomes = [], []
    for _ in range(1000):
        recall_logit = rng.uniform(-3, 3)
        features.append(_row(logit_recall=recall_logit))
        outcomes.append(rng.random() < engine.sigmoid(-recall_logit))  # data asking for < 0
    weights = engine.fit_weights(features, outcomes)
    assert weights is not None
    assert weights[engine.PREDICT_FEATURE_NAMES.index("logit_recall")] == 0.0


def test_too_little_or_one_sided_evidence_keeps_the_defaults():
    row = _row(logit_recall=1.0)
    assert engine.fit_weights([row] * 10, [True, False] * 5) is None  # below MIN_FIT_ROWS
    assert engine.fit_weights([row] * 500, [True] * 500) is None


def test_engine_beats_constant_baseline_on_simulated_students_without_timestamps():
    # Without timestamps there is no forgetting to model and the default weights (which add
    # the memory term's log-odds) are overconfident; --refit learns that recall says nothing.
    responses, has_timestamps = evaluation.parse_responses_csv(io.StringIO(bkt_log()))
    default = evaluation.evaluate(responses, has_timestamps=has_timestamps)
    report = evaluation.evaluate(responses, has_timestamps=has_timestamps, refit=True)
    constant = report.baselines["constant"]
    assert report.n_scored > 1000
    assert default.engine.auc > 0.7
    assert report.engine.log_loss < constant.log_loss
    assert report.engine.rmse < constant.rmse
    assert report.engine.auc > 0.7
    assert report.engine.log_loss < report.baselines["pfa"].log_loss


def test_report_json_is_one_object_with_every_model():
    responses, has_timestamps = evaluation.parse_responses_csv(io.StringIO(bkt_log(students=8)))
    report = evaluation.evaluate(responses, has_timestamps=has_timestamps, refit=True)
    payload = json.loads(json.dumps(evaluation.report_to_dict(report)))
    assert set(payload["engine"]) == {"count", "log_loss", "rmse", "auc"}
    assert set(payload["baselines"]) == {
        "constant",
        "ewma_0.3",
        "moving_average_20",
        "fsrs5_default",
        "fsrs6_default",
        "pfa",
        "bkt",
    }
    assert len(payload["calibration"]) == 10
    assert payload["n_scored"] == sum(row["count"] for row in payload["calibration"])
    assert set(payload["engine_weights"]) == set(engine.PREDICT_FEATURE_NAMES)
    assert set(payload["default_candidates_training"]) == set(evaluation.DEFAULT_CANDIDATES)
    assert "engine" in evaluation.format_report(report)
    assert "default combinations on the training part" in evaluation.format_report(report)


@pytest.mark.skipif(
    not ANKI_LOG.exists() and os.environ.get("CI") != "true",
    reason="shared Anki review log not present (required in CI)",
)
def test_engine_beats_every_baseline_on_both_metrics_on_the_anki_holdout():
    # The target, in one run and with nothing fitted on the held-out tail: the default
    # weights were chosen on the training part, which the report's candidate table repeats.
    responses, _ = evaluation.load_responses(ANKI_LOG, revlog=True)
    report = evaluation.evaluate(responses)
    assert report.n_responses == 12_580
    assert set(report.baselines) == {
        "constant",
        "ewma_0.3",
        "moving_average_20",
        "fsrs5_default",
        "fsrs6_default",
        "pfa",
        "bkt",
    }
    for name, baseline in report.baselines.items():
        assert report.engine.log_loss < baseline.log_loss, name
        assert report.engine.auc > baseline.auc, name
    assert report.weights == evaluation.DEFAULT_CANDIDATES["share+recall"]
    training = report.default_candidates_training
    best_log_loss = min(training, key=lambda name: training[name].log_loss)
    best_auc = max(training, key=lambda name: training[name].auc)
    assert best_log_loss == best_auc == "share+recall"
