"""Factories for the question bank and quizzes (kept apart from factories.py, which another
module owns)."""

import factory

from courses.tests.factories import TopicFactory
from mastery.models import Question, QuestionType


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    topic = factory.SubFactory(TopicFactory)
    external_id = factory.Sequence(lambda n: f"q{n}")
    type = QuestionType.MULTIPLE_CHOICE
    question_text = factory.Sequence(lambda n: f"Question {n}?")
    options = factory.LazyFunction(
        lambda: [{"id": "a", "text": "Right"}, {"id": "b", "text": "Wrong"}]
    )
    correct_answer = "a"
    difficulty = "medium"
    explanation = "Because a is right."


def bank(topic, *, per_level: int = 1, levels=("easy", "medium", "hard", "exam_level")):
    """Multiple-choice questions in the topic, `per_level` at each level; the key is "a"."""
    return [
        QuestionFactory(topic=topic, difficulty=level, external_id=f"{topic.pk}-{level}-{i}")
        for level in levels
        for i in range(per_level)
    ]


def give_evidence(user, topic, *, correct: int, total: int, at, source="quiz"):
    """A graded attempt on `topic` through the evidence service, folded into mastery at once
    (the recompute that normally runs on commit runs inline here)."""
    from django.test import TestCase

    from mastery.services import performance_record_create

    with TestCase.captureOnCommitCallbacks(execute=True):
        return performance_record_create(
            user=user,
            course=topic.course,
            score=float(correct),
            max_score=float(total),
            time_spent_min=5,
            completed_at=at,
            topic_breakdown={str(topic.pk): {"correct": correct, "total": total}},
            source=source,
        )
