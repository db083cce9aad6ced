"""Response logs in, (learner, topic) sequences out, and which responses are held out.

Input formats:
* plain CSV `user_id,skill_name,correct[,timestamp]`: one single-question practice per row,
  sequences in file order. Without timestamps, row i is placed SYNTHETIC_STEP after row
  i-1, so elapsed times are minutes and retrievability stays near 1: prediction then rests
  on mastery, which is what such logs (e.g. tutoring systems) can support.
* `--revlog`: an Anki review log `card_id,review_rating,review_time,review_duration`; one
  learner, a card is a topic, recall is rating > 1, each card's reviews sorted by time.
* `--format dkt`: the three-line blocks of the Deep Knowledge Tracing code's ASSISTments
  files (number of responses; comma-separated skill ids; comma-separated 0/1), one block per
  learner, responses in order, untimed; the learner is named by the block's position.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mastery import engine

DEFAULT_HOLDOUT = 0.3

# Rows of a log without timestamps are this far apart: short enough that forgetting is
# negligible within a session, as it is in a tutoring log.
SYNTHETIC_START = datetime(2000, 1, 1, tzinfo=UTC)

SYNTHETIC_STEP = timedelta(minutes=1)

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


def _dkt_fields(raw: str, line: int, what: str) -> list[str]:
    # The files end every list with a comma; an empty field anywhere else is a fault.
    fields = [field.strip() for field in raw.strip().removesuffix(",").split(",")]
    if any(not field for field in fields):
        raise ValueError(f"line {line}: empty {what}")
    return fields


def parse_dkt(lines: Iterable[str]) -> list[Response]:
    """Blocks of three lines (count; skill ids; 0/1 outcomes), one per learner, in order.

    Learners are named `s1`, `s2`, ... by block position; blank lines between blocks and at
    the end are allowed. Without timestamps, rows are SYNTHETIC_STEP apart in file order.
    """
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1)]
    numbered = [(number, line) for number, line in numbered if line]
    if len(numbered) % 3:
        raise ValueError(
            f"{len(numbered)} non-blank lines: expected blocks of three "
            "(count, skill ids, outcomes)"
        )
    responses: list[Response] = []
    for block in range(len(numbered) // 3):
        (count_line, count_raw), (skill_line, skill_raw), (outcome_line, outcome_raw) = numbered[
            3 * block : 3 * block + 3
        ]
        try:
            count = int(count_raw.removesuffix(","))
        except ValueError as error:
            raise ValueError(
                f"line {count_line}: response count must be a whole number, got {count_raw!r}"
            ) from error
        if count < 1:
            raise ValueError(f"line {count_line}: response count must be at least 1")
        skills = _dkt_fields(skill_raw, skill_line, "skill id")
        outcomes = _dkt_fields(outcome_raw, outcome_line, "outcome")
        if len(skills) != count or len(outcomes) != count:
            raise ValueError(
                f"line {count_line}: count {count} but {len(skills)} skill ids and "
                f"{len(outcomes)} outcomes"
            )
        for skill, outcome in zip(skills, outcomes, strict=True):
            if outcome not in ("0", "1"):
                raise ValueError(f"line {outcome_line}: outcome must be 0 or 1, got {outcome!r}")
            is_correct = outcome == "1"
            responses.append(
                Response(
                    learner=f"s{block + 1}",
                    topic=skill,
                    is_correct=is_correct,
                    at=SYNTHETIC_START + len(responses) * SYNTHETIC_STEP,
                    rating=engine.GRADE_GOOD if is_correct else engine.GRADE_AGAIN,
                )
            )
    return responses


FORMATS = ("csv", "revlog", "dkt")


def load_responses(
    path: str | Path, *, revlog: bool = False, format: str = "csv"
) -> tuple[list[Response], bool]:
    """(responses, timed) from a file in one of FORMATS; `revlog` is format="revlog"."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    with open(path, newline="", encoding="utf-8") as handle:
        if revlog or format == "revlog":
            return parse_revlog_csv(handle), True
        if format == "dkt":
            return parse_dkt(handle), False
        return parse_responses_csv(handle)


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
