"""Pure, deterministic grading of quiz answers, and validation of question definitions.

No Django here: a question is a `QuestionSpec`, an answer is whatever a form or a JSON body
sent. `parse_answer` turns raw input into a normalized answer or raises `AnswerError` (a form
error or an HTTP 400, never a 500); `is_correct` compares a normalized answer to the key.

Answer semantics per type:

* multiple_choice: one option id.
* multiple_select: a non-empty set of option ids; correct only if it equals the key exactly.
* true_false: a boolean (JSON true/false, or the text "true"/"false" in any case).
* numeric: a finite decimal number; correct if within `tolerance` of the key.
* short_answer: text; correct if, ignoring case and all white space, it equals the key or
  one of the accepted answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MULTIPLE_CHOICE = "multiple_choice"
MULTIPLE_SELECT = "multiple_select"
TRUE_FALSE = "true_false"
NUMERIC = "numeric"
SHORT_ANSWER = "short_answer"
QUESTION_TYPES = (MULTIPLE_CHOICE, MULTIPLE_SELECT, TRUE_FALSE, NUMERIC, SHORT_ANSWER)
DIFFICULTIES = ("easy", "medium", "hard", "exam_level")
DEFAULT_DIFFICULTY = "medium"

# A true/false question always offers these two options, whatever an import file says.
TRUE_FALSE_OPTIONS: tuple[dict[str, str], ...] = (
    {"id": "true", "text": "True"},
    {"id": "false", "text": "False"},
)
# Plain decimal notation with an optional exponent. Python's float() also accepts "nan",
# "inf" and "1_000", none of which a student means as an answer.
NUMBER_PATTERN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Binary floating point makes 0.1 + 0.2 != 0.3; a zero tolerance still accepts that.
FLOAT_SLACK = 1e-9
# Bounds that keep a stored question and a typed answer reasonable in size.
MAX_ANSWER_LENGTH = 500
MAX_QUESTION_ID_LENGTH = 64
MAX_OPTIONS = 12
MAX_OPTION_ID_LENGTH = 32
WHITESPACE = re.compile(r"\s+")


class AnswerError(ValueError):
    """The answer cannot be read for this question (unknown option, malformed number...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QuestionSpec:
    type: str
    correct_answer: Any
    options: tuple[dict[str, str], ...] = ()
    tolerance: float = 0.0
    accepted_answers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option["id"] for option in self.options)


def normalize_text(text: str) -> str:
    """Case and white space do not matter in a short answer."""
    return WHITESPACE.sub("", text).casefold()


def parse_number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise AnswerError("Enter a number.")
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str) and NUMBER_PATTERN.match(raw.strip()):
        number = float(raw.strip())
    else:
        raise AnswerError("Enter a number, such as 3.5 or -2 or 1.2e3.")
    if not math.isfinite(number):
        raise AnswerError("Enter a finite number.")
    return number


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise AnswerError("Choose true or false.")


def _option_id(raw: Any, known: Sequence[str]) -> str:
    if not isinstance(raw, str) or raw not in known:
        raise AnswerError(f"Unknown option; choose one of: {', '.join(known)}.")
    return raw


def parse_answer(spec: QuestionSpec, raw: Any) -> Any:
    """A normalized, JSON-ready answer, or AnswerError."""
    if raw is None or (isinstance(raw, str | list) and len(raw) == 0):
        raise AnswerError("An answer is required.")
    if spec.type == MULTIPLE_CHOICE:
        return _option_id(raw, spec.option_ids)
    if spec.type == MULTIPLE_SELECT:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple):
            raise AnswerError("Send a list of option ids.")
        return sorted({_option_id(item, spec.option_ids) for item in raw})
    if spec.type == TRUE_FALSE:
        return parse_bool(raw)
    if spec.type == NUMERIC:
        return parse_number(raw)
    if spec.type == SHORT_ANSWER:
        if not isinstance(raw, str):
            raise AnswerError("Enter text.")
        if len(raw) > MAX_ANSWER_LENGTH:
            raise AnswerError(f"Keep the answer under {MAX_ANSWER_LENGTH} characters.")
        if not raw.strip():
            raise AnswerError("An answer is required.")
        return raw.strip()
    raise AnswerError(f"Unknown question type {spec.type!r}.")


def is_correct(spec: QuestionSpec, answer: Any) -> bool:
    """Compare a parse_answer result with the key."""
    if spec.type == MULTIPLE_CHOICE:
        return answer == spec.correct_answer
    if spec.type == MULTIPLE_SELECT:
        return set(answer) == set(spec.correct_answer)
    if spec.type == TRUE_FALSE:
        return answer is bool(spec.correct_answer)
    if spec.type == NUMERIC:
        return math.isclose(
            answer, float(spec.correct_answer), rel_tol=0.0, abs_tol=spec.tolerance + FLOAT_SLACK
        )
    if spec.type == SHORT_ANSWER:
        given = normalize_text(answer)
        keys = (spec.correct_answer, *spec.accepted_answers)
        return any(given == normalize_text(key) for key in keys)
    return False


def grade(spec: QuestionSpec, raw: Any) -> tuple[Any, bool]:
    """Parse then compare: (normalized answer, is correct). Raises AnswerError."""
    answer = parse_answer(spec, raw)
    return answer, is_correct(spec, answer)


def display_answer(spec: QuestionSpec, answer: Any) -> str:
    """A human reading of an answer (or of the key), option ids shown as their text."""
    texts = {option["id"]: option["text"] for option in spec.options}
    if spec.type == MULTIPLE_CHOICE:
        return texts.get(answer, str(answer))
    if spec.type == MULTIPLE_SELECT:
        return "; ".join(texts.get(item, str(item)) for item in answer)
    if spec.type == TRUE_FALSE:
        return "True" if answer else "False"
    if spec.type == NUMERIC:
        text = f"{float(answer):g}"
        return f"{text} (± {spec.tolerance:g})" if spec is not None and spec.tolerance else text
    return str(answer)


# --- Question definitions (the import format) ----------------------------------------------


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _clean_options(raw: Any, errors: dict[str, list[str]]) -> tuple[dict[str, str], ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        errors["options"] = ["Give at least two options, each {id, text}."]
        return ()
    if len(raw) > MAX_OPTIONS:
        errors["options"] = [f"Give at most {MAX_OPTIONS} options."]
        return ()
    options: list[dict[str, str]] = []
    for index, option in enumerate(raw, start=1):
        option_id = _text(option.get("id")) if isinstance(option, Mapping) else None
        option_text = _text(option.get("text")) if isinstance(option, Mapping) else None
        if option_id is None or option_text is None or len(option_id) > MAX_OPTION_ID_LENGTH:
            errors["options"] = [f"Option {index} needs a short id and a text."]
            return ()
        options.append({"id": option_id, "text": option_text})
    if len({option["id"] for option in options}) != len(options):
        errors["options"] = ["Option ids must be unique."]
        return ()
    return tuple(options)


def clean_question(data: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate one question of the import format.

    Returns (clean fields, {}) or (None, {field: [messages]}). The clean fields are the
    model's: external_id, type, question_text, options, correct_answer, accepted_answers,
    tolerance, difficulty, explanation.
    """
    if not isinstance(data, Mapping):
        return None, {"question": ["Each question must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    raw_id = data.get("question_id")
    external_id = _text(str(raw_id)) if isinstance(raw_id, str | int) else None
    if external_id is None or len(external_id) > MAX_QUESTION_ID_LENGTH:
        errors["question_id"] = [f"Required: text of at most {MAX_QUESTION_ID_LENGTH} characters."]
    question_type = data.get("type")
    if question_type not in QUESTION_TYPES:
        errors["type"] = [f"Must be one of: {', '.join(QUESTION_TYPES)}."]
    question_text = _text(data.get("question_text"))
    if question_text is None:
        errors["question_text"] = ["Required."]
    explanation = _text(data.get("explanation"))
    if explanation is None:
        errors["explanation"] = ["Required: explain the answer."]
    difficulty = data.get("difficulty", DEFAULT_DIFFICULTY)
    if difficulty not in DIFFICULTIES:
        errors["difficulty"] = [f"Must be one of: {', '.join(DIFFICULTIES)}."]
    if "type" in errors:
        return None, errors

    options: tuple[dict[str, str], ...] = ()
    correct: Any = None
    tolerance = 0.0
    accepted: list[str] = []
    raw_correct = data.get("correct_answer")
    if question_type in (MULTIPLE_CHOICE, MULTIPLE_SELECT):
        options = _clean_options(data.get("options"), errors)
        ids = [option["id"] for option in options]
        if question_type == MULTIPLE_CHOICE:
            if raw_correct not in ids:
                errors["correct_answer"] = ["Must be the id of one of the options."]
            correct = raw_correct
        elif (
            not isinstance(raw_correct, list)
            or not raw_correct
            or any(item not in ids for item in raw_correct)
        ):
            errors["correct_answer"] = ["Must be a non-empty list of option ids."]
        else:
            correct = sorted(set(raw_correct))
    elif question_type == TRUE_FALSE:
        options = TRUE_FALSE_OPTIONS
        try:
            correct = parse_bool(raw_correct)
        except AnswerError:
            errors["correct_answer"] = ["Must be true or false."]
    elif question_type == NUMERIC:
        try:
            correct = parse_number(raw_correct)
        except AnswerError:
            errors["correct_answer"] = ["Must be a finite number."]
        raw_tolerance = data.get("tolerance", 0)
        try:
            tolerance = parse_number(raw_tolerance)
        except AnswerError:
            tolerance = -1.0
        if tolerance < 0:
            errors["tolerance"] = ["Must be a number of at least 0."]
    else:
        correct = _text(raw_correct)
        if correct is None:
            errors["correct_answer"] = ["Must be non-empty text."]
        raw_accepted = data.get("accepted_answers", [])
        if not isinstance(raw_accepted, list) or any(_text(a) is None for a in raw_accepted):
            errors["accepted_answers"] = ["Must be a list of non-empty texts."]
        else:
            accepted = [a.strip() for a in raw_accepted]
    if errors:
        return None, errors
    return {
        "external_id": external_id,
        "type": question_type,
        "question_text": question_text,
        "options": [dict(option) for option in options],
        "correct_answer": correct,
        "accepted_answers": accepted,
        "tolerance": tolerance,
        "difficulty": difficulty,
        "explanation": explanation,
    }, {}
