"""The numeric generators of the course templates: every instance is a valid numeric question
whose key is the computed value, graded numerically with its tolerance."""

import random
import re

import pytest

from mastery import grading
from mastery.models import Question
from mastery.question_content.generators import GENERATORS, generated_questions
from mastery.quiz_selectors import question_spec

SEEDS = range(150)


def _spec(document) -> grading.QuestionSpec:
    fields, errors = grading.clean_question(document)
    assert errors == {}, document
    return question_spec(Question(**fields))


@pytest.mark.parametrize("topic_name", sorted(GENERATORS))
def test_every_instance_is_graded_numerically_around_its_key(topic_name):
    for seed in SEEDS:
        for document in generated_questions(topic_name, random.Random(seed)):
            spec = _spec(document)
            assert spec.type == grading.NUMERIC
            key = float(document["correct_answer"])
            assert grading.grade(spec, str(key))[1] is True
            # Within the tolerance is right; one whole unit off is wrong.
            assert grading.grade(spec, str(key + document["tolerance"] * 0.9))[1] is True
            assert grading.grade(spec, str(key + 1))[1] is False


def test_a_generator_draws_fresh_instances_with_stable_ids():
    drawn = {
        generated_questions("Chain Rule", random.Random(seed))[0]["question_text"] for seed in SEEDS
    }
    assert len(drawn) > 5
    ids = {q["question_id"] for q in generated_questions("Chain Rule", random.Random(1))}
    assert ids == {q["question_id"] for q in generated_questions("Chain Rule", random.Random(2))}


def _numbers(text):
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text.replace("−", "-"))]


def test_keys_match_an_independent_computation():
    for seed in SEEDS:
        rng = random.Random(seed)
        limit, _ = generated_questions("Limits", rng)
        # (x² − a²)/(x − (a)) as x → a tends to 2a.
        a = _numbers(limit["question_text"].split("→")[1])[0]
        assert limit["correct_answer"] == pytest.approx(2 * a)

        boyle = generated_questions("Gas Laws", random.Random(seed))[0]
        pressure, volume, new_volume = _numbers(boyle["question_text"])[:3]
        assert boyle["correct_answer"] == pytest.approx(pressure * volume / new_volume)

        grams = generated_questions("Stoichiometry", random.Random(seed))[0]
        moles, *_, molar_mass = _numbers(grams["question_text"])
        expected = moles * molar_mass
        assert abs(grams["correct_answer"] - expected) <= grams["tolerance"]
