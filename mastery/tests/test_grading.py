"""Grading is pure and deterministic; bad answers are AnswerError, never a crash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastery import grading
from mastery.grading import AnswerError, QuestionSpec, clean_question, grade, parse_answer

OPTIONS = ({"id": "a", "text": "One"}, {"id": "b", "text": "Two"}, {"id": "c", "text": "Three"})
MC = QuestionSpec(type="multiple_choice", correct_answer="b", options=OPTIONS)
MS = QuestionSpec(type="multiple_select", correct_answer=["a", "c"], options=OPTIONS)
TF = QuestionSpec(type="true_false", correct_answer=False, options=grading.TRUE_FALSE_OPTIONS)
NUM = QuestionSpec(type="numeric", correct_answer=3.14, tolerance=0.01)
EXACT = QuestionSpec(type="numeric", correct_answer=0.3)
SA = QuestionSpec(
    type="short_answer", correct_answer="Yorktown", accepted_answers=("Siege of Yorktown",)
)


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (MC, "b", True),
        (MC, "a", False),
        (MS, ["c", "a"], True),
        (MS, ["a", "a", "c"], True),
        (MS, ["a"], False),
        (MS, ["a", "b", "c"], False),
        (TF, False, True),
        (TF, "FALSE", True),
        (TF, "true", False),
        (NUM, "3.14", True),
        (NUM, "3.15", True),
        (NUM, 3.13, True),
        (NUM, "3.16", False),
        (NUM, " 3.135 ", True),
        (EXACT, 0.1 + 0.2, True),
        (EXACT, "0.31", False),
        (NUM, "314e-2", True),
        (SA, "yorktown", True),
        (SA, "  York Town ", True),
        (SA, "SIEGEOF yorktown", True),
        (SA, "Saratoga", False),
    ],
)
def test_grades_every_type(spec, raw, expected):
    _, correct = grade(spec, raw)
    assert correct is expected


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (MC, "z"),
        (MC, ["b"]),
        (MC, 1),
        (MS, ["a", "zz"]),
        (MS, []),
        (MS, {"a": 1}),
        (TF, "maybe"),
        (TF, 1),
        (NUM, "three"),
        (NUM, "1,5"),
        (NUM, "nan"),
        (NUM, "inf"),
        (NUM, "1_000"),
        (NUM, True),
        (NUM, ""),
        (SA, ""),
        (SA, "   "),
        (SA, 42),
        (SA, "x" * (grading.MAX_ANSWER_LENGTH + 1)),
        (MC, None),
    ],
)
def test_malformed_answers_raise_answer_error(spec, raw):
    with pytest.raises(AnswerError) as excinfo:
        parse_answer(spec, raw)
    assert excinfo.value.message


def test_multiple_select_answer_is_normalized_sorted_and_deduplicated():
    assert parse_answer(MS, ["c", "a", "c"]) == ["a", "c"]


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_numeric_grading_is_exactly_the_tolerance_rule(value):
    spec = QuestionSpec(type="numeric", correct_answer=10.0, tolerance=0.5)
    _, correct = grade(spec, value)
    assert correct is (abs(value - 10.0) <= 0.5 + grading.FLOAT_SLACK)
    assert grade(spec, value) == grade(spec, value)


def test_display_answer_uses_option_text():
    assert grading.display_answer(MS, ["a", "c"]) == "One; Three"
    assert grading.display_answer(TF, False) == "False"
    assert grading.display_answer(NUM, 3.14) == "3.14 (± 0.01)"


VALID = {
    "question_id": "q1",
    "type": "multiple_choice",
    "question_text": "Pick b",
    "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
    "correct_answer": "b",
    "explanation": "b it is",
}


def test_clean_question_accepts_valid_and_defaults_difficulty():
    fields, errors = clean_question(VALID)
    assert errors == {}
    assert fields["difficulty"] == "medium"
    assert fields["external_id"] == "q1"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "essay"}, "type"),
        ({"correct_answer": "c"}, "correct_answer"),
        ({"options": [{"id": "a", "text": "A"}]}, "options"),
        ({"options": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}]}, "options"),
        ({"question_text": " "}, "question_text"),
        ({"explanation": None}, "explanation"),
        ({"difficulty": "brutal"}, "difficulty"),
        ({"question_id": ""}, "question_id"),
        ({"type": "numeric", "correct_answer": "abc"}, "correct_answer"),
        ({"type": "numeric", "correct_answer": 1, "tolerance": -1}, "tolerance"),
        ({"type": "true_false", "correct_answer": "yes"}, "correct_answer"),
        ({"type": "multiple_select", "correct_answer": []}, "correct_answer"),
        ({"type": "short_answer", "correct_answer": ""}, "correct_answer"),
        (
            {"type": "short_answer", "correct_answer": "x", "accepted_answers": [""]},
            "accepted_answers",
        ),
    ],
)
def test_clean_question_reports_each_problem_by_field(change, field):
    fields, errors = clean_question({**VALID, **change})
    assert fields is None
    assert field in errors


def test_true_false_options_are_fixed():
    fields, errors = clean_question(
        {**VALID, "type": "true_false", "correct_answer": "TRUE", "options": []}
    )
    assert errors == {}
    assert fields["correct_answer"] is True
    assert [o["id"] for o in fields["options"]] == ["true", "false"]
