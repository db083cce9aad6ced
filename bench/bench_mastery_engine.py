"""Micro-benchmark of the pure mastery engine: replay, predict and a full log evaluation."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mastery import engine, evaluation

ANKI_LOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "anki_review_log.csv"
OBSERVATIONS = 20_000
KINDS = list(engine.Kind)


def _history(count: int, seed: int = 1) -> list[engine.Observation]:
    rng = random.Random(seed)
    at = datetime(2025, 1, 1, tzinfo=UTC)
    history = []
    for _ in range(count):
        at += timedelta(hours=rng.uniform(0.1, 120))
        history.append(
            engine.Observation(
                score_percent=rng.uniform(0, 100),
                question_count=rng.choice((1, 1, 5, 10, 20)),
                time_spent_min=rng.uniform(1, 60),
                difficulty_level=rng.choice(list(engine.Difficulty)),
                kind=rng.choice(KINDS),
                observed_at=at,
            )
        )
    return history


def run() -> list[dict]:
    history = _history(OBSERVATIONS)
    start = time.perf_counter()
    states = engine.replay(history)
    replay_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for state, obs in zip(states, history[1:], strict=False):
        engine.predict(state, obs.observed_at)
    predict_seconds = time.perf_counter() - start
    rows = [
        {
            "name": "engine replay throughput",
            "value": round(OBSERVATIONS / replay_seconds),
            "unit": "observations/s",
        },
        {
            "name": "engine predict throughput",
            "value": round((OBSERVATIONS - 1) / predict_seconds),
            "unit": "predictions/s",
        },
        {
            "name": "recompute one topic with 200 observations",
            "value": round(1000 * replay_seconds * 200 / OBSERVATIONS, 3),
            "unit": "ms",
        },
    ]
    if ANKI_LOG.exists():
        start = time.perf_counter()
        responses, _ = evaluation.load_responses(ANKI_LOG, revlog=True)
        report = evaluation.evaluate(responses)
        rows.append(
            {
                "name": "evaluate Anki review log (12,580 rows, 5 models)",
                "value": round(time.perf_counter() - start, 3),
                "unit": "s",
                "note": f"engine log loss {report.engine.log_loss:.4f}, AUC {report.engine.auc:.4f}",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
