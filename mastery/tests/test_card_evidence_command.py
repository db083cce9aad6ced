"""The flashcard rate's evaluation command on a small review log written in the test."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def _log(tmp_path, ratings):
    path = tmp_path / "revlog.csv"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lines = ["card_id,review_rating,review_time,review_duration"]
    for index, rating in enumerate(ratings):
        moment = (start + timedelta(hours=index)).isoformat()
        lines.append(f"{index % 7},{rating},{moment},5000")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_steady_learner_is_best_forecast_by_a_slow_rate(tmp_path):
    """Recall that never changes (4 of 5 remembered) is forecast better by a slow rate than by
    the single-question rate of 0.1, and the quiz rate of 0.3 loses on the held-out reviews."""
    path = _log(tmp_path, [3, 3, 1, 3, 3] * 40)
    out = StringIO()
    call_command("evaluate_card_evidence", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    rates = {row["rate"]: row for row in result["rates"]}
    assert result["reviews"] == 200
    assert result["chosen_rate"] < 0.1
    assert rates[0.3]["held_out_log_loss"] > rates[result["chosen_rate"]]["held_out_log_loss"]


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("evaluate_card_evidence", str(tmp_path / "missing.csv"))
