"""Builders for question dicts in the import format (docs/question_bank.md).

Every text question bank in this package states its source and licence in its module docstring.
"""

from __future__ import annotations

MC, MS, TF, NUM, SA = "multiple_choice", "multiple_select", "true_false", "numeric", "short_answer"


def mc(qid, difficulty, text, options, correct, explanation):
    return {
        "question_id": qid,
        "type": MC,
        "difficulty": difficulty,
        "question_text": text,
        "options": [{"id": chr(97 + i), "text": option} for i, option in enumerate(options)],
        "correct_answer": chr(97 + options.index(correct)),
        "explanation": explanation,
    }


def ms(qid, difficulty, text, options, correct, explanation):
    question = mc(qid, difficulty, text, options, correct[0], explanation)
    question["type"] = MS
    question["correct_answer"] = [chr(97 + options.index(item)) for item in correct]
    return question


def tf(qid, difficulty, text, correct, explanation):
    return {
        "question_id": qid,
        "type": TF,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "explanation": explanation,
    }


def num(qid, difficulty, text, correct, tolerance, explanation):
    return {
        "question_id": qid,
        "type": NUM,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "tolerance": tolerance,
        "explanation": explanation,
    }


def sa(qid, difficulty, text, correct, accepted, explanation):
    return {
        "question_id": qid,
        "type": SA,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "accepted_answers": accepted,
        "explanation": explanation,
    }
