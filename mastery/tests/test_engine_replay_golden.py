"""The fold's output, pinned: a faster replay must give the very same states, to the bit.

The digest below was taken from the engine before its replay was made faster (the first
state by `initialize`, each next one by `update`, the library reviewing a fresh Card per
step). Any change to a stored number, however small, changes the digest.
"""

import hashlib
import random
from dataclasses import astuple
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mastery import engine

# Fitted parameters of one student (inside the library's bounds), beside the defaults.
FITTED = tuple(
    min(high, max(low, value * 1.07))
    for value, low, high in zip(
        engine.FSRS_DEFAULT_PARAMETERS,
        (0.001,) * 4
        + (1.0, 0.001, 0.001, 0.001, 0, 0, 0.001, 0.001, 0.001, 0.001, 0, 0, 1.0)
        + (0.0, 0.0, 0.0, 0.1),
        (100.0,) * 4
        + (10.0, 4.0, 4.0, 0.75, 4.5, 0.8, 3.5, 5.0, 0.25, 0.9, 4.0, 1.0, 6.0)
        + (2.0, 2.0, 0.8, 0.8),
        strict=True,
    )
)


def history(seed: int, count: int) -> list[engine.Observation]:
    """Every kind, single and many questions, unknown counts, flashcard grades, same-moment
    and out-of-order (late) evidence, minutes to months apart, and a fixed-offset zone that
    changes (as a learner's local time does across DST)."""
    rng = random.Random(seed)
    at = datetime(2025, 1, 1, 8, tzinfo=UTC)
    zones = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=-6)))
    observations = []
    for _ in range(count):
        step = rng.choice((0.0, 0.01, 0.5, 3.0, 30.0, 200.0))
        at += timedelta(hours=rng.uniform(0, step))
        moment = at - timedelta(days=rng.uniform(0, 5)) if rng.random() < 0.05 else at
        kind = rng.choice(list(engine.Kind))
        observations.append(
            engine.Observation(
                score_percent=rng.choice((0.0, 100.0, 59.99, 60.0, 85.0, rng.uniform(0, 100))),
                question_count=rng.choice((0, 1, 1, 3, 10, 25)),
                time_spent_min=rng.uniform(1, 60),
                difficulty_level=rng.choice(list(engine.Difficulty)),
                kind=kind,
                observed_at=moment.astimezone(rng.choice(zones)),
                recall_grade=rng.randint(1, 4) if kind == engine.Kind.FLASHCARD else None,
            )
        )
    return observations


def digest(states) -> str:
    return hashlib.sha256(repr([astuple(state) for state in states]).encode()).hexdigest()


CASES = {
    # (seed, observations, parameters, shortest interval): digest
    (
        1,
        400,
        engine.FSRS_DEFAULT_PARAMETERS,
        1,
    ): "b3c869f0444cf0c7ea0c89ac122ffe0471ad4e4387559bf25c339f729af25d81",
    (2, 400, FITTED, 1): "247791f1603de3e384d292488458fdf0a7bd1a0b0835f4426de362d860fbf866",
    (
        3,
        400,
        engine.FSRS_DEFAULT_PARAMETERS,
        3,
    ): "eed2ab62068c3f4ec48a928e3c272c0b107b69f7d8f75d922451126487f670dd",
    (
        4,
        1,
        engine.FSRS_DEFAULT_PARAMETERS,
        1,
    ): "29e7c765645fd9e411e90f32102238d349005248704f72be62854715762a950d",
}


@pytest.mark.parametrize(("case", "expected"), CASES.items())
def test_replay_gives_the_same_states_as_before_to_the_bit(case, expected):
    seed, count, parameters, shortest = case
    states = engine.replay(history(seed, count), parameters=parameters, min_interval_days=shortest)
    assert digest(states) == expected


@pytest.mark.parametrize("case", CASES)
def test_replay_equals_initialize_then_update_one_at_a_time(case):
    seed, count, parameters, shortest = case
    observations = history(seed, count)
    options = {"parameters": parameters, "min_interval_days": shortest}
    states = [engine.initialize(observations[0], **options)]
    for observation in observations[1:]:
        states.append(engine.update(states[-1], observation, **options))
    assert engine.replay(observations, **options) == states
    assert digest(engine.replay(observations, **options)) == digest(states)
