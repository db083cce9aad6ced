"""How fast flashcard reviews should move a topic's mastery: the EWMA rate, judged on a real
Anki review log (`card_id,review_rating,review_time,review_duration`).

A deck stands for one topic. Its reviews, in time order, are folded through the engine as
flashcard observations (right unless graded Again, one question, the learner's own grade) at
each candidate rate; before each review the topic's mastery / 100 is the forecast that the
review will be recalled. The rate is chosen on the first 70% of the reviews (log loss) and the
last 30% report how it holds up. The stored rate is `engine.FLASHCARD_ALPHA`.
"""

import csv
import json
import math
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from mastery import engine
from mastery.engine.numeric import PROBABILITY_EPSILON

CANDIDATE_RATES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
TRAINING_SHARE = 0.7


def _observations(path: str) -> list[engine.Observation]:
    try:
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
    observations = []
    for row in rows:
        grade = int(row["review_rating"])
        observations.append(
            engine.Observation(
                score_percent=0.0 if grade == engine.GRADE_AGAIN else 100.0,
                question_count=1,
                time_spent_min=int(row.get("review_duration") or 0) / 60000,
                difficulty_level="medium",
                kind=engine.Kind.FLASHCARD.value,
                observed_at=datetime.fromisoformat(row["review_time"]),
                recall_grade=grade,
            )
        )
    observations.sort(key=lambda observation: observation.observed_at)
    return observations


def _log_losses(observations, rate: float) -> list[float]:
    """Per review (after the first): log loss of mastery/100 before it as P(recalled)."""
    # The engine reads its named rate at each step; the candidate replaces it for this fold only.
    original = engine.rules.FLASHCARD_ALPHA
    engine.rules.FLASHCARD_ALPHA = rate
    try:
        states = engine.replay(observations)
    finally:
        engine.rules.FLASHCARD_ALPHA = original
    losses = []
    for before, observation in zip(states, observations[1:], strict=False):
        p = min(1 - PROBABILITY_EPSILON, max(PROBABILITY_EPSILON, before.mastery_score / 100))
        losses.append(-math.log(p) if observation.score_percent else -math.log(1 - p))
    return losses


class Command(BaseCommand):
    help = "Choose the EWMA rate of flashcard evidence on an Anki review log."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, path, json: bool = False, **options):
        observations = _observations(path)
        if len(observations) < 10:
            raise CommandError("The log needs at least 10 reviews.")
        split = int((len(observations) - 1) * TRAINING_SHARE)
        table = []
        for rate in CANDIDATE_RATES:
            losses = _log_losses(observations, rate)
            table.append(
                {
                    "rate": rate,
                    "training_log_loss": round(sum(losses[:split]) / split, 4),
                    "held_out_log_loss": round(sum(losses[split:]) / (len(losses) - split), 4),
                }
            )
        best = min(table, key=lambda row: row["training_log_loss"])
        result = {
            "reviews": len(observations),
            "chosen_rate": best["rate"],
            "stored_rate": engine.FLASHCARD_ALPHA,
            "rates": table,
        }
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(f"{len(observations)} reviews; chosen on training: {best['rate']}")
        for row in table:
            self.stdout.write(
                f"rate {row['rate']:<5} training {row['training_log_loss']:.4f} "
                f"held out {row['held_out_log_loss']:.4f}"
            )


def _dumps(value) -> str:
    return json.dumps(value, indent=2)
