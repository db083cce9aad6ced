"""The evaluate_mastery command: arguments in, report out (no database needed)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

CSV = "user_id,skill_name,correct\n" + "1,add,0\n1,add,1\n1,add,1\n2,add,1\n2,add,0\n" * 4


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("evaluate_mastery", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_one_object(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    payload = json.loads(run(str(path), "--json", "--holdout", "0.5"))
    assert payload["holdout"] == 0.5
    assert payload["n_scored"] == 10  # half of 12 rows of learner 1 and of 8 of learner 2
    assert "fsrs5_default" in payload["baselines"]


def test_table_output_lists_engine_and_baselines(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    text = run(str(path), "--refit")
    assert "engine" in text
    assert "moving_average_20" in text
    assert "refitted" in text


def test_revlog_flag_reads_anki_format(tmp_path):
    path = tmp_path / "revlog.csv"
    path.write_text(
        "card_id,review_rating,review_time,review_duration\n"
        "1,1,2024-05-01T10:00:00+00:00,1000\n"
        "1,3,2024-05-01T10:05:00+00:00,1000\n"
        "1,3,2024-05-03T10:05:00+00:00,1000\n"
        "1,3,2024-05-09T10:05:00+00:00,1000\n"
    )
    payload = json.loads(run(str(path), "--revlog", "--json"))
    assert payload["n_responses"] == 4
    assert payload["n_scored"] == 1


def test_dkt_format_is_read_and_a_bad_dkt_file_is_a_command_error(tmp_path):
    path = tmp_path / "builder.txt"
    path.write_text("4\n7,7,7,7,\n0,1,1,1,\n3\n7,9,9,\n1,0,1,\n")
    payload = json.loads(run(str(path), "--format", "dkt", "--json"))
    assert payload["n_responses"] == 7
    assert payload["n_sequences"] == 3  # (s1, 7), (s2, 7), (s2, 9)
    assert payload["has_timestamps"] is False
    path.write_text("4\n7,7,7,\n0,1,1,1,\n")
    with pytest.raises(CommandError, match="count 4 but 3 skill ids"):
        run(str(path), "--format", "dkt")
    with pytest.raises(CommandError):
        run(str(path), "--format", "xlsx")


@pytest.mark.parametrize("args", [("missing.csv",), ("x.csv", "--holdout", "0")])
def test_bad_input_is_a_command_error(tmp_path, args):
    with pytest.raises(CommandError):
        run(*[str(tmp_path / a) if a.endswith(".csv") else a for a in args])
